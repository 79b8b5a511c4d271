import JSON
import OsloMessaging
import Testing
import TestSupport

/// oslo.messaging's functional `CallTestCase` / `CastTestCase` scenarios with the real Python
/// `RPCClient` (rabbit driver, same broker and vhost) as the caller and the Swift `RPCServer`
/// over `AMQPTransport` as the server.
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct PythonClientSwiftServerTests {
    @Test func callsReachTheNamedServerAndCastsTheirQueue() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        let s2 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s2")
        defer { Task { await s1.stop(); await s2.stop() } }

        for name in ["s1", "s2", "s1"] {
            let answer = try await Interop.python("call", exchange: exchange, [
                "target": Interop.target(topic, server: name), "method": "echo", "args": ["n": 1, "s": "é"], "timeout": 30,
            ])
            #expect(answer.exception == nil, "\(answer)")
            #expect(answer["result"]?["server"] == .string(name))
            #expect(answer["result"]?["args"] == ["n": 1, "s": "é"])
        }
        _ = try await Interop.python("cast", exchange: exchange, [
            "target": Interop.target(topic, server: "s2"), "method": "echo", "args": ["marker": "cast-to-s2"],
        ])
        try await eventually("the cast on s2") { s2.log.all.contains { $0.args["marker"] == "cast-to-s2" } }
        #expect(!s1.log.all.contains { $0.args["marker"] == "cast-to-s2" })
        #expect(s1.log.count == 2)
    }

    @Test func topicCallsAndCastsAreSharedByTheServersOfTheTopic() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        let s2 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s2")
        defer { Task { await s1.stop(); await s2.stop() } }

        let answer = try await Interop.python("calls", exchange: exchange, [
            "target": Interop.target(topic), "method": "echo", "args": [:], "timeout": 60, "concurrency": 4, "total": 40,
        ])
        #expect(answer["latencies_ms"]?.arrayValue?.count == 40, "\(answer["exceptions"] ?? .null)")
        for i in 0..<20 {
            _ = try await Interop.python("cast", exchange: exchange, [
                "target": Interop.target(topic), "method": "noop", "args": ["i": JSONValue(i)],
            ])
        }
        try await eventually("60 requests handled") { s1.log.count + s2.log.count == 60 }
        #expect(s1.log.count > 0 && s2.log.count > 0, "s1 \(s1.log.count), s2 \(s2.log.count)")
    }

    @Test func aFanoutCastReachesEveryServer() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        let s2 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s2")
        defer { Task { await s1.stop(); await s2.stop() } }

        _ = try await Interop.python("cast", exchange: exchange, [
            "target": Interop.target(topic, fanout: true), "method": "echo", "args": ["marker": "everyone"],
        ])
        try await eventually("the fanout cast on both servers") {
            s1.log.all.contains { $0.args["marker"] == "everyone" } && s2.log.all.contains { $0.args["marker"] == "everyone" }
        }
        #expect(s1.log.count == 1 && s2.log.count == 1)
    }

    @Test func aCallThatTakesLongerThanItsTimeoutRaisesMessagingTimeout() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        defer { Task { await s1.stop() } }

        let answer = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic), "method": "sleep", "args": ["seconds": 4], "timeout": 1,
        ])
        #expect(answer.exception?["python_class"] == "MessagingTimeout", "\(answer)")
        #expect(answer.exception?["is_timeout"] == true)
    }

    @Test func exceptionsArriveWithTheirClassOrAsRemoteError() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        defer { Task { await s1.stop() } }

        let magnum = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic), "method": "raise_magnum", "timeout": 30,
            "args": ["class": "ClusterNotFound", "message": "Cluster abc could not be found.",
                     "kwargs": ["cluster": "abc", "code": 404]],
        ])
        let e = try #require(magnum.exception, "\(magnum)")
        #expect(e["python_class"] == "ClusterNotFound_Remote")
        #expect(e["python_module"] == "magnum.common.exception_Remote")
        #expect(e["kwargs"] == ["cluster": "abc", "code": 404])
        #expect(e["code"] == 404)
        #expect(e["str"]?.stringValue?.hasPrefix("Cluster abc could not be found.") == true)

        let plain = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic), "method": "raise_plain", "args": [:], "timeout": 30,
        ])
        let p = try #require(plain.exception, "\(plain)")
        #expect(p["python_class"] == "RemoteError")
        #expect(p["exc_type"] == "PlainFailure")
        #expect(p["value"] == "the plain failure")
    }

    @Test func keepAlivesHoldACallPastItsCallMonitorTimeout() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1")
        defer { Task { await s1.stop() } }

        // oslo raises MessagingTimeout when it hears nothing for call_monitor_timeout seconds;
        // the server's keep-alives (every half of it) keep the call going until the result.
        let answer = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic), "method": "sleep", "args": ["seconds": 7], "timeout": 60,
            "call_monitor_timeout": 2,
        ])
        #expect(answer.exception == nil, "\(answer)")
        #expect(answer["result"] == "slept")
        #expect(s1.server.statistics.keepAlivesSent >= 2)
    }

    @Test func namespacesAndVersionsSelectTheEndpoint() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let log = CallLog()
        let endpoints: [any RPCEndpoint] = [
            SwiftServer.endpoint(name: "s1", log: log, namespace: nil, version: "1.3"),
            SwiftServer.endpoint(name: "s1", log: log, namespace: "admin", version: "2.1"),
        ]
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", endpoints: endpoints, log: log)
        defer { Task { await s1.stop() } }

        func call(namespace: String?, version: String?, method: String = "echo") async throws -> JSONObject {
            try await Interop.python("call", exchange: exchange, [
                "target": Interop.target(topic, namespace: namespace, version: version), "method": .string(method),
                "args": [:], "timeout": 30,
            ])
        }
        let plain = try await call(namespace: nil, version: "1.2")
        #expect(plain["result"]?["namespace"] == .null && plain["result"]?["version"] == "1.3", "\(plain)")
        let admin = try await call(namespace: "admin", version: "2.0")
        #expect(admin["result"]?["namespace"] == "admin" && admin["result"]?["version"] == "2.1", "\(admin)")

        let tooNew = try await call(namespace: nil, version: "1.4")
        #expect(tooNew.exception?["python_class"] == "RemoteError", "\(tooNew)")
        #expect(tooNew.exception?["exc_type"] == "UnsupportedVersion")
        let noNamespace = try await call(namespace: "nope", version: nil)
        #expect(noNamespace.exception?["exc_type"] == "UnsupportedVersion", "\(noNamespace)")
        let missing = try await call(namespace: nil, version: "1.0", method: "zz")
        #expect(missing.exception?["exc_type"] == "NoSuchMethod", "\(missing)")
        #expect(missing.exception?["value"] == "Endpoint does not support RPC method zz")
    }

    @Test(arguments: [true, false])
    func pingIsAnsweredOnlyWhenEnabled(_ enabled: Bool) async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", pingEnabled: enabled)
        defer { Task { await s1.stop() } }

        let answer = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic, server: "s1"), "method": "oslo_rpc_server_ping", "args": [:], "timeout": 30,
        ])
        if enabled {
            #expect(answer["result"] == "pong", "\(answer)")
        } else {
            #expect(answer.exception?["exc_type"] == "NoSuchMethod", "\(answer)")
        }
    }
}
