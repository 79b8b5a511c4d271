import Foundation
import JSON
import OsloMessaging
import Synchronization
import Testing
import TestSupport

/// Notifications between the Swift `Notifier` / `NotificationListener` over `AMQPTransport` and
/// the real oslo.messaging notifier and listener (`messagingv2`).
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct NotificationInteropTests {
    @Test func aPythonListenerReceivesSwiftNotificationsOnMagnumNotificationsInfo() async throws {
        // What Magnum deployments use: exchange magnum, topic notifications → notifications.info.
        let exchange = "magnum", topic = "notifications"
        let marker = Interop.unique("event")
        let listener = try await Interop.python("start_listener", exchange: exchange, ["topics": [.string(topic)]])
        let handle = try #require(listener["handle"]?.stringValue)
        defer { Task { try? await Interop.python("stop_listener", exchange: exchange, ["handle": .string(handle)]) } }

        let transport = try await Interop.transport()
        defer { Task { await transport.close() } }
        let notifier = Notifier(transport: transport, publisherID: "container-infra.worker-1",
                                options: NotifierOptions(exchange: exchange), logger: Interop.quietLogger("notifier"))
        var context = RequestContext()
        context["user_name"] = "demo"
        context["project_id"] = "p-1"
        context["auth_token"] = "gAAAAAB-secret-token"
        context["request_id"] = "req-n1"
        let sent = try await notifier.notify(
            "magnum.cluster.create", payload: ["marker": .string(marker), "outcome": "pending", "n": 1.5],
            priority: .info, context: context)

        try await eventually("the notification in Python") {
            let all = try await Interop.python("listener_received", exchange: exchange, ["handle": .string(handle)])
            return all["received"]?.arrayValue?.contains { $0["payload"]?["marker"] == .string(marker) } == true
        }
        let all = try await Interop.python("listener_received", exchange: exchange, ["handle": .string(handle)])
        let received = try #require(all["received"]?.arrayValue?.compactMap(\.objectValue)
            .first(where: { $0["payload"]?["marker"] == .string(marker) }))
        #expect(received["priority"] == "info")
        #expect(received["event_type"] == "magnum.cluster.create")
        #expect(received["publisher_id"] == "container-infra.worker-1")
        #expect(received["payload"] == ["marker": .string(marker), "outcome": "pending", "n": 1.5])
        #expect(received["metadata"] == ["message_id": .string(sent.messageID), "timestamp": .string(sent.timestamp)])
        // oslo's listener adds client_timeout (an RPC field) to every context it unpacks.
        var ctxt = received["ctxt"]?.objectValue ?? [:]
        #expect(ctxt.removeValue(forKey: "client_timeout") == .null)
        #expect(JSONValue.object(ctxt) == .object(sent.context.fields))
        #expect(received["ctxt"]?["auth_token"] == .null, "no token travels in a notification")
    }

    @Test func aSwiftListenerReceivesPythonNotifications() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("notifications")
        let transport = try await Interop.transport()
        defer { Task { await transport.close() } }
        let seen = Mutex<[IncomingNotification]>([])
        let listener = NotificationListener(transport: transport, exchange: exchange, topics: [topic],
                                            logger: Interop.quietLogger("listener")) { n in
            seen.withLock { $0.append(n) }
            return .handled
        }
        try await listener.start()
        defer { Task { await listener.stop() } }

        _ = try await Interop.python("notify", exchange: exchange, [
            "publisher_id": "container-infra.python", "event_type": "magnum.cluster.update",
            "payload": ["outcome": "success", "list": [1, "two"]], "priority": "error", "topics": [.string(topic)],
            "context": ["request_id": "req-py", "user_name": "demo"],
        ])
        _ = try await Interop.python("notify", exchange: exchange, [
            "publisher_id": "container-infra.python", "event_type": "magnum.cluster.delete",
            "payload": ["outcome": "pending"], "priority": "info", "topics": [.string(topic)],
        ])
        try await eventually("two notifications in Swift") { seen.withLock { $0.count } == 2 }
        let all = seen.withLock { $0 }
        let error = try #require(all.first { $0.priority == .error })
        #expect(error.eventType == "magnum.cluster.update")
        #expect(error.publisherID == "container-infra.python")
        #expect(error.payload == ["outcome": "success", "list": [1, "two"]])
        #expect(error.context["request_id"] == "req-py")
        #expect(error.context["user_name"] == "demo")
        #expect(all.contains { $0.priority == .info && $0.eventType == "magnum.cluster.delete" })
    }
}
