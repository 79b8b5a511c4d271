import JSON
import OsloMessaging
import Testing
import TestSupport

/// The Swift `RPCClient` over `AMQPTransport` calling and casting to a real Python oslo.messaging
/// RPC server (threading executor) on the same broker.
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct SwiftClientPythonServerTests {
    struct Setup {
        let exchange: String
        let topic: String
        let transport: AMQPTransport
        let client: RPCClient

        static func make(timeout: Duration = .seconds(30)) async throws -> Setup {
            let transport = try await Interop.transport()
            let exchange = Interop.unique("x"), topic = Interop.unique("topic")
            return Setup(exchange: exchange, topic: topic, transport: transport, client: RPCClient(
                transport: transport, target: RPCTarget(exchange: exchange, topic: topic),
                options: RPCClientOptions(timeout: timeout), logger: Interop.quietLogger("client")))
        }

        init(exchange: String, topic: String, transport: AMQPTransport, client: RPCClient) {
            self.exchange = exchange
            self.topic = topic
            self.transport = transport
            self.client = client
        }

        func close() async {
            await client.close()
            await transport.close()
        }
    }

    @Test func callsGetThePythonResultFromTheRightServer() async throws {
        let s = try await Setup.make()
        defer { Task { await s.close() } }
        let p1 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p1")
        let p2 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p2")
        defer { Task { try? await Interop.stopPython(p1, exchange: s.exchange); try? await Interop.stopPython(p2, exchange: s.exchange) } }

        let any = try await s.client.call("echo", args: ["n": 1, "s": "é", "list": [1, 2.5, nil]])
        #expect(any["method"] == "echo")
        #expect(any["args"] == ["n": 1, "s": "é", "list": [1, 2.5, nil]])
        for name in ["p2", "p1"] {
            let result = try await s.client.call(
                "echo", args: ["to": .string(name)],
                target: RPCTarget(exchange: s.exchange, topic: s.topic, server: name))
            #expect(result["server"] == .string(name))
        }
    }

    @Test func pythonExceptionsComeBackAsRemoteFailures() async throws {
        let s = try await Setup.make()
        defer { Task { await s.close() } }
        let p1 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p1")
        defer { Task { try? await Interop.stopPython(p1, exchange: s.exchange) } }

        do {
            _ = try await s.client.call("raise_magnum", args: ["class": "ClusterNotFound", "kwargs": ["cluster": "abc"]])
            Issue.record("the call succeeded")
        } catch let failure as RemoteFailure {
            #expect(failure.className == "ClusterNotFound")
            #expect(failure.moduleName == "magnum.common.exception")
            #expect(failure.kwargs == ["cluster": "abc", "code": 404])
            #expect(failure.code == 404)
            #expect(failure.message == "Cluster abc could not be found.")
            #expect(failure.pythonExceptionName(allowedModules: ["magnum.common.exception"])
                == "magnum.common.exception_Remote.ClusterNotFound_Remote")
        }
        do {
            _ = try await s.client.call("raise_value", args: ["message": "no good"])
            Issue.record("the call succeeded")
        } catch let failure as RemoteFailure {
            #expect(failure.className == "ValueError")
            #expect(failure.moduleName == "builtins")
            #expect(failure.message == "no good")
        }
        do {
            _ = try await s.client.call("missing")
            Issue.record("the call succeeded")
        } catch let failure as RemoteFailure {
            #expect(failure.className == "NoSuchMethod")
            #expect(failure.moduleName == "oslo_messaging.rpc.dispatcher")
        }
    }

    @Test func aSlowPythonServerMakesTheCallTimeOut() async throws {
        let s = try await Setup.make()
        defer { Task { await s.close() } }
        let p1 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p1")
        defer { Task { try? await Interop.stopPython(p1, exchange: s.exchange) } }

        await #expect(throws: RPCTimeout.self) {
            _ = try await s.client.call("sleep", args: ["seconds": 3], timeout: .seconds(1))
        }
        // The client keeps working after a timeout (the late reply is dropped).
        #expect(try await s.client.call("echo", args: ["after": true])["args"] == ["after": true])
    }

    @Test func pythonKeepAlivesHoldAMonitoredCall() async throws {
        let s = try await Setup.make()
        defer { Task { await s.close() } }
        let p1 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p1")
        defer { Task { try? await Interop.stopPython(p1, exchange: s.exchange) } }

        let result = try await s.client.call("sleep", args: ["seconds": 5], timeout: .seconds(60), callMonitorTimeout: 2)
        #expect(result == "slept")
    }

    @Test func castsAndFanoutCastsReachPythonServers() async throws {
        let s = try await Setup.make()
        defer { Task { await s.close() } }
        let p1 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p1")
        let p2 = try await Interop.startPythonServer(exchange: s.exchange, topic: s.topic, server: "p2")
        defer { Task { try? await Interop.stopPython(p1, exchange: s.exchange); try? await Interop.stopPython(p2, exchange: s.exchange) } }

        var context = RequestContext()
        context["request_id"] = "req-swift-cast"
        try await s.client.cast("echo", args: ["marker": "to-p2"], context: context,
                                target: RPCTarget(exchange: s.exchange, topic: s.topic, server: "p2"))
        try await s.client.cast("echo", args: ["marker": "everyone"],
                                target: RPCTarget(exchange: s.exchange, topic: s.topic, fanout: true))
        try await eventually("the casts on the Python servers") {
            let r1 = try await Interop.pythonReceived(p1, exchange: s.exchange)
            let r2 = try await Interop.pythonReceived(p2, exchange: s.exchange)
            return r1.contains { $0["args"]?["marker"] == "everyone" } && r2.contains { $0["args"]?["marker"] == "everyone" }
                && r2.contains { $0["args"]?["marker"] == "to-p2" }
        }
        let r1 = try await Interop.pythonReceived(p1, exchange: s.exchange)
        let r2 = try await Interop.pythonReceived(p2, exchange: s.exchange)
        #expect(!r1.contains { $0["args"]?["marker"] == "to-p2" })
        #expect(r2.first { $0["args"]?["marker"] == "to-p2" }?["context_request_id"] == "req-swift-cast")
    }
}
