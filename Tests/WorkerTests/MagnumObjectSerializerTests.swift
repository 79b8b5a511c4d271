import JSON
import MagnumObjects
import OsloMessaging
import Testing
import Worker

/// The conductor's RPC serializer: object primitives anywhere in the arguments must hydrate.
@Suite("Magnum object serializer")
struct MagnumObjectSerializerTests {
    static func cluster(version: String = "1.24", data: JSONObject = ["uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "name": "a"]) -> JSONValue {
        [PrimitiveKey.name: "Cluster", PrimitiveKey.namespace: "magnum", PrimitiveKey.version: .string(version), PrimitiveKey.data: .object(data)]
    }

    func deserialize(_ args: JSONObject) async throws -> JSONObject {
        try await MagnumObjectSerializer().deserializeArguments(args, context: RequestContext())
    }

    @Test func acceptedArgumentsPassUnchanged() async throws {
        let args: JSONObject = ["cluster": Self.cluster(), "older": Self.cluster(version: "1.20"), "node_count": 3,
                                "nested": ["list": [Self.cluster()], "dict": ["c": Self.cluster()]], "name": "x"]
        #expect(try await deserialize(args) == args)
        #expect(try await MagnumObjectSerializer().serializeResult(["a": 1], context: RequestContext()) == ["a": 1])
    }

    @Test func primitivesInsideListsAndDictsAreCheckedToo() async throws {
        await #expect(throws: IndirectionFailure.self) {
            try await deserialize(["nested": ["list": [Self.cluster(version: "1.99")]]])
        }
        do {
            _ = try await deserialize(["nested": ["dict": ["c": Self.cluster(version: "2.0")]]])
            Issue.record("no error")
        } catch let error as IndirectionFailure {
            #expect(error.className == "IncompatibleObjectVersion")
            #expect(error.moduleName == "oslo_versionedobjects.exception")
            #expect(error.kwargs["objver"] == "2.0")
            #expect(error.kwargs["supported"] == "1.24")
        }
    }

    @Test func fieldsOfTheWrongTypeAreValueErrors() async throws {
        do {
            _ = try await deserialize(["cluster": Self.cluster(data: ["uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "node_count": 1,
                                                                      "labels": "not a dict"])])
            Issue.record("no error")
        } catch let error as IndirectionFailure {
            #expect(error.className == "ValueError")
            #expect(error.moduleName == "builtins")
            #expect(RemoteFailure(error: error).className == "ValueError")
        }
    }

    @Test func errorsTravelAsThePythonClassTheyStandFor() {
        let magnum = RemoteFailure(error: MagnumError.clusterNotFound("x"))
        #expect(magnum.moduleName == "magnum.common.exception")
        #expect(magnum.className == "ClusterNotFound")
        #expect(magnum.args == ["Cluster x could not be found."])
        #expect(magnum.kwargs == ["cluster": "x", "code": 404])
        let object = RemoteFailure(error: ObjectError(.unsupportedObject, objectName: "Widget", "Unsupported object type Widget"))
        #expect(object.moduleName == "oslo_versionedobjects.exception")
        #expect(object.className == "UnsupportedObjectError")
        #expect(object.kwargs == ["objtype": "Widget", "code": 500])
        let driver = RemoteFailure(error: DriverNotImplemented("Driver does not support credential rotate."))
        #expect(driver.moduleName == "builtins")
        #expect(driver.className == "NotImplementedError")
    }
}
