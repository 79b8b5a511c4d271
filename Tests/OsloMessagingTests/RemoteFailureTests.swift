import JSON
import OsloMessaging
import Testing

/// A Magnum-style exception as the higher layer will define them.
struct MagnumStyleError: Error, RemoteExceptionConvertible {
    var remoteClassName: String
    var remoteMessage: String
    var remoteKwargs: JSONObject
    var remoteModuleName: String { "magnum.common.exception" }
}

@Suite struct RemoteFailureTests {
    /// (recording, reply index) of every recorded failure reply.
    static let recordedFailures: [(String, Int)] = [
        ("cluster_create_call_failure.jsonl", 1), ("indirection_save.jsonl", 5),
        ("rotate_ca_not_supported.jsonl", 1), ("ping.jsonl", 1),
    ]

    @Test(arguments: recordedFailures)
    func parsesAndReserialisesRecordedFailuresByteForByte(_ file: String, _ index: Int) throws {
        let message = try WireFixtures.message(file, index)
        let original = try #require(message["failure"]?.stringValue)
        let failure = try RemoteFailure(serialized: original)
        #expect(failure.serialized == original)
        #expect(!failure.className.isEmpty && !failure.moduleName.isEmpty)
        #expect(failure.args == [.string(failure.message)])
    }

    @Test func magnumExceptionsSerialiseLikeTheRecordedOnes() throws {
        // What the higher layer will throw, against what Python magnum sent.
        let cases: [(String, Int, MagnumStyleError)] = [
            ("cluster_create_call_failure.jsonl", 1, MagnumStyleError(
                remoteClassName: "InvalidParameterValue",
                remoteMessage: "flavor m1.tiny has too little disk for boot_volume_size 50",
                remoteKwargs: ["err": "flavor m1.tiny has too little disk for boot_volume_size 50", "code": 400])),
            ("rotate_ca_not_supported.jsonl", 1, MagnumStyleError(
                remoteClassName: "NotSupported", remoteMessage: "rotate_ca_certificate is not supported.",
                remoteKwargs: ["operation": "rotate_ca_certificate", "code": 400])),
        ]
        for (file, index, error) in cases {
            let recorded = try RemoteFailure(serialized: try #require(WireFixtures.message(file, index)["failure"]?.stringValue))
            let ours = RemoteFailure(error: error)
            #expect(ours.className == recorded.className)
            #expect(ours.moduleName == recorded.moduleName)
            #expect(ours.message == recorded.message)
            #expect(ours.args == recorded.args)
            #expect(ours.kwargs == recorded.kwargs)
            #expect(Array(ours.jsonObject.keys) == ["class", "module", "message", "tb", "args", "kwargs"])
            #expect(ours.code == 400)
        }
        let notFound = try RemoteFailure(serialized: try #require(WireFixtures.message("indirection_save.jsonl", 5)["failure"]?.stringValue))
        #expect(notFound.className == "ClusterNotFound")
        #expect(notFound.code == 404)
        #expect(notFound.pythonExceptionName(allowedModules: ["magnum.common.exception"])
                == "magnum.common.exception_Remote.ClusterNotFound_Remote")
    }

    @Test func plainSwiftErrorsBecomeRemoteErrorsOnThePythonSide() {
        struct DatabaseUnavailable: Error, CustomStringConvertible { var description: String { "database is down" } }
        let failure = RemoteFailure(error: DatabaseUnavailable())
        #expect(failure.className == "DatabaseUnavailable")
        #expect(failure.moduleName == "magnum_capi_worker")
        #expect(failure.message == "database is down")
        #expect(failure.traceback == ["magnum_capi_worker.DatabaseUnavailable: database is down\n"])
        #expect(failure.pythonExceptionName(allowedModules: ["magnum.common.exception"]) == "oslo_messaging.rpc.client.RemoteError")
    }

    @Test func passingOnARemoteFailureDropsTheRemoteSuffix() {
        let received = RemoteFailure(className: "ClusterNotFound_Remote", moduleName: "magnum.common.exception_Remote",
                                     message: "gone", kwargs: ["code": 404])
        let forwarded = RemoteFailure(error: received)
        #expect(forwarded.className == "ClusterNotFound")
        #expect(forwarded.moduleName == "magnum.common.exception")
        #expect(forwarded.kwargs == ["code": 404])
    }

    @Test func toleratesSparseFailuresButRejectsGarbage() throws {
        let sparse = try RemoteFailure(serialized: #"{"class": "X", "module": "m", "message": "boom"}"#)
        #expect(sparse.traceback.isEmpty && sparse.args.isEmpty && sparse.kwargs.isEmpty)
        #expect(throws: MessageDecodingError.self) { _ = try RemoteFailure(serialized: "not json") }
        #expect(throws: MessageDecodingError.self) { _ = try RemoteFailure(serialized: "[1]") }
        #expect(throws: MessageDecodingError.self) { _ = try RemoteFailure(serialized: #"{"class": 1}"#) }
    }
}
