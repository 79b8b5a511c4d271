import Foundation
import JSON
import Logging
import Synchronization
import OsloMessaging
import Testing

@Suite struct NotifierTests {
    @Test func timestampsReadLikePythonsStrOfUtcnow() {
        #expect(OsloTimestamp.string(from: Date(timeIntervalSince1970: 1_795_565_004.436610)) == "2026-11-25 00:03:24.436610")
        #expect(OsloTimestamp.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00")
        #expect(OsloTimestamp.string(from: Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29 00:00:00.500000")
        #expect(OsloTimestamp.now().wholeMatch(of: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?/) != nil)
    }

    @Test func priorities() {
        #expect(NotificationPriority.error.wireValue == "ERROR")
        #expect(NotificationPriority(wireValue: "WARNING") == .warn)
        #expect(NotificationPriority(wireValue: "bogus") == nil)
    }

    @Test func notificationsLookLikeMagnumsOnTheWire() async throws {
        let broker = InMemoryBroker()
        let recorder = TransportRecorder()
        let notifier = Notifier(transport: RecordingTransport(wrapping: await broker.connect(), recorder: recorder),
                                publisherID: "container-infra.conductor-1", options: NotifierOptions(exchange: "magnum"),
                                logger: Logger(label: "notifier"))
        let recordedMessage = try WireFixtures.message("notifications.jsonl", 3)
        let recorded = try OsloNotification(message: recordedMessage)
        var context = RequestContext(message: try WireFixtures.message("cluster_create_defaults.jsonl", 0))
        context["trace_info"] = ["hmac_key": "SECRET"]
        let sent = try await notifier.notify("magnum.cluster.delete", payload: recorded.payload, priority: .error, context: context)

        let published = try #require(await recorder.publishedMessages.first)
        #expect(published.exchange == "magnum")
        #expect(published.routingKey == "notifications.error")
        #expect(!published.mandatory)
        #expect(published.properties == .oslo())
        let message = try RPCEnvelope.decode(published.body).message
        #expect(Array(message.keys) == Array(recordedMessage.keys))
        let ours = try OsloNotification(message: message)
        #expect(ours.eventType == recorded.eventType && ours.priority == "ERROR" && ours.payload == recorded.payload)
        #expect(ours.publisherID == "container-infra.conductor-1")
        #expect(ours.messageID.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil)
        #expect(ours.uniqueID?.count == 32)
        #expect(ours.messageID == sent.messageID)
        // The context is redacted as Python redacts it: the recorded notification context is
        // the redacted form of the same user's request context.
        #expect(ours.context.authToken == nil)
        #expect(ours.context.fields["trace_info"] == nil)
        var expected = recorded.context.fields
        expected["request_id"] = context.fields["request_id"]
        #expect(ours.context.fields == expected)

        // The queue oslo declares so nothing is lost before a listener exists.
        #expect(await broker.readyCount("notifications.error") == 1)
        #expect(await broker.bindings.contains(QueueBinding(queue: "notifications.error", exchange: "magnum", routingKey: "notifications.error")))
    }

    @Test func oneMessagePerTopicAndDriverVariants() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        let two = Notifier(transport: t, publisherID: "p", options: NotifierOptions(topics: ["notifications", "audit"], exchange: "magnum"),
                           logger: Logger(label: "n"))
        try await two.notify("e", payload: [:], priority: .info)
        #expect(await broker.readyCount("notifications.info") == 1)
        #expect(await broker.readyCount("audit.info") == 1)

        let legacy = Notifier(transport: t, publisherID: "p", options: NotifierOptions(driver: .messaging, topics: ["legacy"], exchange: "magnum"),
                              logger: Logger(label: "n"))
        try await legacy.notify("e", payload: [:], priority: .warn)
        let body = try #require(await broker.readyBodies("legacy.warn").first)
        #expect(try !RPCEnvelope.decode(body).wasEnveloped)
        #expect(try OsloNotification(body: body).priority == "WARN")

        let noop = Notifier(transport: t, publisherID: "p", options: NotifierOptions(driver: .noop, topics: ["quiet"], exchange: "magnum"),
                            logger: Logger(label: "n"))
        try await noop.notify("e", payload: [:], priority: .info)
        #expect(await broker.readyCount("quiet.info") == nil)
    }

    @Test func listenerReceivesRequeuesAndDeadLetters() async throws {
        let broker = InMemoryBroker()
        await broker.addPolicy(.init(exchange: "dlx") { $0.hasPrefix("notifications") })
        let peer = await broker.connect()
        try await peer.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
        try await peer.declareQueue(QueueDeclaration(name: "dead"))
        try await peer.bindQueue(QueueBinding(queue: "dead", exchange: "dlx", routingKey: ""))
        let dead = try await QueueCollector.start(peer, queue: "dead")

        let received = LockedList<IncomingNotification>()
        let failedOnce = Counter()
        let listener = NotificationListener(transport: await broker.connect(), exchange: "magnum",
                                            priorities: [.info, .error], logger: Logger(label: "listener")) { n in
            if n.eventType == "flaky", failedOnce.increment() == 1 { throw CancellationError() }
            received.append(n)
            return .handled
        }
        try await listener.start()
        let notifier = Notifier(transport: await broker.connect(), publisherID: "container-infra.h",
                                options: NotifierOptions(exchange: "magnum"), logger: Logger(label: "n"))
        try await notifier.notify("magnum.cluster.create", payload: ["outcome": "success"], priority: .info)
        try await notifier.notify("flaky", payload: [:], priority: .error)
        _ = try await peer.publish(OutgoingMessage(exchange: "magnum", routingKey: "notifications.info", body: Array("{oops".utf8)))
        try await eventually("two handled") { received.items.count == 2 }
        try await dead.waitFor(1)
        let first = try #require(received.items.first { $0.eventType == "magnum.cluster.create" })
        #expect(first.priority == .info && first.publisherID == "container-infra.h" && first.payload == ["outcome": "success"])
        let flaky = try #require(received.items.first { $0.eventType == "flaky" })
        #expect(flaky.redelivered)
        #expect(dead.bodies == [Array("{oops".utf8)])
        await listener.stop()
    }

    @Test func poolsShareOneQueue() async throws {
        let broker = InMemoryBroker()
        let a = LockedList<String>(), b = LockedList<String>()
        let la = NotificationListener(transport: await broker.connect(), exchange: "magnum", priorities: [.info], pool: "billing",
                                      logger: Logger(label: "a")) { n in a.append(n.eventType); return .handled }
        let lb = NotificationListener(transport: await broker.connect(), exchange: "magnum", priorities: [.info], pool: "billing",
                                      logger: Logger(label: "b")) { n in b.append(n.eventType); return .handled }
        try await la.start()
        try await lb.start()
        let notifier = Notifier(transport: await broker.connect(), publisherID: "p", options: NotifierOptions(exchange: "magnum"),
                                logger: Logger(label: "n"))
        for i in 0..<4 { try await notifier.notify("e\(i)", payload: [:], priority: .info) }
        try await eventually("all four once") { a.items.count + b.items.count == 4 }
        #expect(Set(a.items + b.items).count == 4)
        #expect(!a.items.isEmpty && !b.items.isEmpty)
        await la.stop()
        await lb.stop()
    }
}

final class LockedList<T: Sendable>: Sendable {
    private let storage = Mutex<[T]>([])
    func append(_ item: T) { storage.withLock { $0.append(item) } }
    var items: [T] { storage.withLock { $0 } }
}
