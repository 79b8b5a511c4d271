import Foundation
import JSON
import Logging
import OsloMessaging
import TestSupport
import Testing

/// Cross-checks against the real oslo.messaging 18.3.1 and magnum 23.0.0 (no broker needed):
/// `tools/peers/oslo_wire.py` (one process for the suite, `PythonOracle`) runs bodies through oslo's own `deserialize_msg`,
/// `unpack_context`, `deserialize_remote_exception`, notification and RPC dispatchers.
@Suite(.enabled(if: TestEnvironment.pythonVenvEnabled, "needs the Python venv (tools/python-env)"), .serialized)
struct PythonInteropTests {
    static func oracle(_ requests: [JSONObject]) async throws -> [JSONObject] {
        try await PythonOracle.shared.ask(requests)
    }

    static func decodeRequest(_ body: [UInt8]) -> JSONObject {
        if let text = String(validating: body, as: UTF8.self) { return ["op": "decode", "body": .string(text)] }
        return ["op": "decode", "body_b64": .string(Data(body).base64EncodedString())]
    }

    @Test func ourDecoderAgreesWithOsloOnEveryRecording() async throws {
        var bodies: [(String, [UInt8])] = []
        for file in WireFixtures.recordingNames {
            for entry in try WireFixtures.entries(file) { bodies.append(("\(file)#\(entry.seq)", entry.body)) }
        }
        let answers = try await Self.oracle(bodies.map { Self.decodeRequest($0.1) })
        for ((name, body), python) in zip(bodies, answers) {
            let message = try RPCEnvelope.decode(body).message
            switch python["kind"]?.stringValue {
            case "request":
                let ours = try RPCRequest(message: message)
                #expect(python["method"] == .string(ours.method), "\(name)")
                #expect(python["args"] == .object(ours.args), "\(name)")
                #expect(python["namespace"] == JSONValue(ours.namespace), "\(name)")
                #expect(python["version"] == JSONValue(ours.version), "\(name)")
                #expect(python["msg_id"] == JSONValue(ours.msgID), "\(name)")
                #expect(python["reply_q"] == JSONValue(ours.replyQueue), "\(name)")
                #expect(python["unique_id"] == JSONValue(ours.uniqueID), "\(name)")
                #expect(python["client_timeout"] == (message["_timeout"] ?? .null), "\(name)")
                #expect(python["context"] == .object(ours.context.fields), "\(name)")
                if !ours.context.fields.isEmpty {
                    // What Magnum's conductor rebuilds from it is exactly the same context.
                    #expect(python["magnum_context"] == .object(ours.context.fields), "\(name)")
                }
            case "reply":
                let ours = try RPCReply(message: message)
                #expect(python["msg_id"] == JSONValue(ours.msgID), "\(name)")
                #expect(python["ending"] == .bool(ours.ending), "\(name)")
                #expect(python["result"] == ours.result, "\(name)")
                if let failure = ours.failure {
                    #expect(python["failure"]?["class"] == .string(failure.className), "\(name)")
                    #expect(python["failure"]?["module"] == .string(failure.moduleName), "\(name)")
                    #expect(python["failure"]?["kwargs"] == .object(failure.kwargs), "\(name)")
                    let exception = try #require(python["exception"])
                    let expectedName = failure.pythonExceptionName(allowedModules: ["magnum.common.exception"])
                    #expect("\(exception["python_module"]?.stringValue ?? "").\(exception["python_class"]?.stringValue ?? "")" == expectedName, "\(name)")
                } else {
                    #expect(python["exception"] == .null, "\(name)")
                }
            case "notification":
                let ours = try OsloNotification(message: message)
                let call = try #require(python["calls"]?[0])
                #expect(call["priority"] == .string(try #require(ours.priorityLevel).rawValue), "\(name)")
                #expect(call["event_type"] == .string(ours.eventType), "\(name)")
                #expect(call["publisher_id"] == .string(ours.publisherID), "\(name)")
                #expect(call["payload"] == ours.payload, "\(name)")
                #expect(call["metadata"] == ["message_id": .string(ours.messageID), "timestamp": .string(ours.timestamp)], "\(name)")
                #expect(call["ctxt"] == .object(ours.context.fields), "\(name)")
            default:
                Issue.record("\(name): python says \(python)")
            }
        }
    }

    @Test func osloReadsOurRepliesAsTheRightExceptions() async throws {
        struct Plain: Error, CustomStringConvertible { var description: String { "kaboom" } }
        let endpoint = RPCMethodTable(methods: [
            "object": { _ in ["magnum_object.name": "Cluster", "magnum_object.version": "1.24", "magnum_object.data": ["name": "é"]] },
            "notFound": { _ in throw MagnumStyleError(remoteClassName: "ClusterNotFound", remoteMessage: "Cluster abc could not be found.",
                                                      remoteKwargs: ["cluster": "abc", "code": 404]) },
            "plain": { _ in throw Plain() },
            "slow": { _ in try await Task.sleep(for: .milliseconds(1500)); return 7 },
        ])
        let h = try await RPCServerTests.Harness.start([endpoint])
        let calls: [(String, [UInt8])] = [
            ("object", callBody("object", msgID: "c-object", replyQueue: "reply_test")),
            ("notFound", callBody("notFound", msgID: "c-notFound", replyQueue: "reply_test")),
            ("plain", callBody("plain", msgID: "c-plain", replyQueue: "reply_test")),
            ("missing", callBody("missing", msgID: "c-missing", replyQueue: "reply_test")),
            ("version", callBody("object", msgID: "c-version", replyQueue: "reply_test", version: "5.0")),
            ("malformed", RPCEnvelope.encode(["args": [:], "_msg_id": "c-malformed", "_reply_q": "reply_test"])),
            ("slow", callBody("slow", msgID: "c-slow", replyQueue: "reply_test", timeout: 2)),
        ]
        for (_, body) in calls { try await h.send(body) }
        try await h.replies.waitFor(calls.count + 1, timeout: .seconds(10))
        await h.server.stop()
        let bodies = h.replies.bodies
        let answers = try await Self.oracle(bodies.map(Self.decodeRequest))
        var byID: [String: [JSONObject]] = [:]
        for answer in answers { byID[answer["msg_id"]?.stringValue ?? "", default: []].append(answer) }
        func exception(_ id: String) -> JSONValue? { byID[id]?.last?["exception"] }

        #expect(byID["c-object"]?.first?["result"] == ["magnum_object.name": "Cluster", "magnum_object.version": "1.24", "magnum_object.data": ["name": "é"]])
        #expect(exception("c-object") == .null)
        let notFound = exception("c-notFound")
        #expect(notFound?["python_class"] == "ClusterNotFound_Remote")
        #expect(notFound?["python_module"] == "magnum.common.exception_Remote")
        #expect(notFound?["code"] == 404)
        #expect(notFound?["kwargs"] == ["cluster": "abc", "code": 404])
        #expect(notFound?["str"]?.stringValue?.hasPrefix("Cluster abc could not be found.") == true)
        #expect(exception("c-plain")?["python_class"] == "RemoteError")
        #expect(exception("c-plain")?["exc_type"] == "Plain")
        #expect(exception("c-plain")?["value"] == "kaboom")
        #expect(exception("c-missing")?["exc_type"] == "NoSuchMethod")
        #expect(exception("c-missing")?["value"] == "Endpoint does not support RPC method missing")
        #expect(exception("c-version")?["exc_type"] == "UnsupportedVersion")
        #expect(exception("c-malformed")?["python_class"] == "ValueError")
        #expect(exception("c-malformed")?["python_module"] == "builtins")
        let slow = try #require(byID["c-slow"])
        #expect(slow.map { $0["ending"] } == [false, true])
        #expect(slow.first?["result"] == .null && slow.first?["exception"] == .null)
        #expect(slow.last?["result"] == 7)
    }

    @Test func osloReadsOurRequestsAndNotifications() async throws {
        let broker = InMemoryBroker()
        let recorder = TransportRecorder()
        let transport = RecordingTransport(wrapping: await broker.connect(), recorder: recorder)
        var context = RequestContext(message: try WireFixtures.message("cluster_create_defaults.jsonl", 0))
        context["trust_id"] = "t-1"
        let client = RPCClient(transport: transport, target: RPCTarget(exchange: "magnum", topic: "magnum-conductor", version: "1.1"),
                               options: RPCClientOptions(callMonitorTimeout: 30), logger: Logger(label: "c"))
        try await client.cast("cluster_delete", args: ["uuid": "u-é"], context: context)
        _ = try? await client.call("cluster_upgrade", args: ["max_batch_size": 1, "f": 1.5], context: context, timeout: .milliseconds(10))
        let notifier = Notifier(transport: transport, publisherID: "container-infra.h", options: NotifierOptions(exchange: "magnum"),
                                logger: Logger(label: "n"))
        try await notifier.notify("magnum.cluster.update", payload: ["outcome": "pending", "n": 1], priority: .info, context: context)
        await client.close()

        let published = await recorder.publishedMessages
        #expect(published.count == 3)
        var requests = published.map { Self.decodeRequest($0.body) }
        requests.append(["op": "redact_context", "context": .object(context.fields)])
        let answers = try await Self.oracle(requests)

        #expect(answers[0]["method"] == "cluster_delete")
        #expect(answers[0]["args"] == ["uuid": "u-é"])
        #expect(answers[0]["version"] == "1.1")
        #expect(answers[0]["msg_id"] == .null)
        #expect(answers[0]["context"] == .object(context.fields))  // unknown keys (trust_id) travel too
        #expect(answers[1]["method"] == "cluster_upgrade")
        #expect(answers[1]["args"] == ["max_batch_size": 1, "f": 1.5])
        #expect(answers[1]["client_timeout"] == 30)
        #expect(answers[1]["reply_q"] == JSONValue(await client.currentReplyQueue))
        let notification = try #require(answers[2]["calls"]?[0])
        #expect(answers[2]["result"] == "handled")
        #expect(notification["priority"] == "info")
        #expect(notification["payload"] == ["outcome": "pending", "n": 1])
        // Our redaction is what oslo.context + Magnum produce.
        #expect(notification["ctxt"] == answers[3]["redacted"])
    }

    @Test func dispatcherFailuresMatchOslosDispatcher() async throws {
        typealias Spec = (namespace: String?, version: String?, legacy: [String], methods: [String])
        let setups: [(endpoints: [Spec], ping: Bool)] = [
            ([(nil, "1.3", [], ["a", "b"]), ("admin", "2.1", ["old"], ["a", "c"])], false),
            ([(nil, nil, [], ["a"])], true),
            ([(nil, "1.0", [], ["a"])], false),
        ]
        let messages: [JSONObject] = [
            ["method": "a"], ["method": "b", "version": "1.2"], ["method": "b", "version": "1.4"], ["method": "c"],
            ["method": "c", "namespace": "admin"], ["method": "a", "namespace": "old", "version": "2.0"],
            ["method": "zz"], ["method": "a", "version": "2.0"], ["method": "a", "namespace": "nope"],
            ["method": "oslo_rpc_server_ping"], ["method": "a", "version": "x.1"], ["method": "a", "version": "1"],
            ["method": "_private"], ["method": "a", "version": "1.0.1"], ["method": "a", "version": "1.3.0"],
        ]
        var requests: [JSONObject] = []
        var cases: [(RPCDispatcher, JSONObject)] = []
        for setup in setups {
            let endpoints: [any RPCEndpoint] = setup.endpoints.enumerated().map { index, spec in
                var table = RPCMethodTable(namespace: spec.namespace, version: spec.version, legacyNamespaces: spec.legacy)
                for name in spec.methods { table.register(name) { inv in ["endpoint": JSONValue(index), "method": .string(inv.method)] } }
                table.register("_private") { _ in "private" }
                return table
            }
            let dispatcher = RPCDispatcher(endpoints: endpoints, pingEnabled: setup.ping)
            let specs: [JSONValue] = setup.endpoints.map { spec in
                ["namespace": JSONValue(spec.namespace), "version": JSONValue(spec.version),
                 "legacy_namespaces": .array(spec.legacy.map { .string($0) }), "methods": .array((spec.methods + ["_private"]).map { .string($0) })]
            }
            for message in messages {
                var m = message
                m["args"] = [:]
                requests.append(["op": "dispatch", "endpoints": .array(specs), "ping_enabled": .bool(setup.ping), "message": .object(m)])
                cases.append((dispatcher, m))
            }
        }
        let answers = try await Self.oracle(requests)
        let logger = Logger(label: "d")
        for ((dispatcher, message), python) in zip(cases, answers) {
            let request = try RPCRequest(message: message)
            do {
                let result = try await dispatcher.dispatch(request, logger: logger)
                #expect(python["result"] == result, "\(message): python \(python)")
            } catch {
                let ours = RemoteFailure(error: error)
                let theirs = try #require(python["failure"]?.objectValue, "\(message): python succeeded: \(python), we failed: \(ours)")
                #expect(theirs["class"] == .string(ours.className), "\(message)")
                #expect(theirs["module"] == .string(ours.moduleName), "\(message)")
                #expect(theirs["message"] == .string(ours.message), "\(message)")
                #expect(theirs["args"] == .array(ours.args), "\(message)")
                #expect(theirs["kwargs"] == .object(ours.kwargs), "\(message)")
            }
        }
    }
}
