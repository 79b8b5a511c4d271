import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite struct MagnumErrorTests {
    static let cases: [(String, JSONObject)] = [
        ("ClusterNotFound", ["cluster": "00000000-0000-4000-8000-000000000000"]),
        ("ClusterTemplateNotFound", ["clustertemplate": "k8s"]),
        ("NodeGroupNotFound", ["nodegroup": "gpu-pool"]),
        ("InvalidParameterValue", ["err": "flavor m1.tiny has too little disk for boot_volume_size 50"]),
        ("NotSupported", ["operation": "rotate_ca_certificate"]),
        ("ClusterAlreadyExists", ["uuid": "u"]),
        ("MasterNGSizeInvalid", ["requested_size": 2]),
        ("DeletingDefaultNGNotSupported", [:]),
        ("ObjectNotFound", ["name": "Cluster", "id": 7]),
        ("AuthorizationFailure", ["client": "keystone", "message": "reason: [401] {'x': None}"]),
        ("ClusterNotFound", [:]),  // a missing kwarg keeps the template, as Magnum does
    ]

    @Test func recordedFailuresAreReproduced() throws {
        let e = MagnumError.clusterNotFound("00000000-0000-4000-8000-000000000000")
        #expect(e.message == "Cluster 00000000-0000-4000-8000-000000000000 could not be found.")
        #expect(e.kwargs == ["cluster": "00000000-0000-4000-8000-000000000000", "code": 404])
        #expect(e.code == 404)
        #expect(e.isKind(of: "ResourceNotFound") && e.isKind(of: "ObjectNotFound") && !e.isKind(of: "Invalid"))
        #expect(MagnumError.notSupported("rotate_ca_certificate").message == "rotate_ca_certificate is not supported.")
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func messagesAndCodesMatchMagnum() async throws {
        let request: JSONValue = ["op": "exceptions",
                                  "cases": .array(Self.cases.map { .array([.string($0.0), .object($0.1)]) })]
        let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("magnum_objects.py", input: Data(request.serialized())))
        let results = try #require(reply.arrayValue)
        for ((name, kwargs), python) in zip(Self.cases, results) {
            let mine = MagnumError(name, kwargs)
            #expect(mine.message == python["message"]?.stringValue, "\(name)")
            #expect(JSONValue.object(mine.kwargs) == python["kwargs"], "\(name)")
            #expect(mine.code == python["code"]?.intValue, "\(name)")
        }
    }

    @Test func pythonFormattingSubset() {
        #expect(PythonFormat.percent("%(a)s and %(b)d%%", ["a": ["x": nil], "b": 3]) == "{'x': None} and 3%")
        #expect(PythonFormat.percent("%(missing)s", [:]) == nil)
        #expect(PythonFormat.repr("it's") == "\"it's\"")
        #expect(PythonFormat.repr(["a", 1.5, true]) == "['a', 1.5, True]")
    }
}
