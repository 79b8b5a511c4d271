import JSON
import OsloMessaging
import Testing

@Suite struct InMemoryBrokerTests {
    func body(_ s: String) -> [UInt8] { Array(s.utf8) }

    func first(_ sub: Subscription) async throws -> Delivery {
        var it = sub.makeAsyncIterator()
        return try #require(try await it.next())
    }

    @Test func routesTopicFanoutDirectAndDefault() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic))
        try await t.declareExchange(ExchangeDeclaration(name: "f", type: .fanout, autoDelete: true))
        try await t.declareExchange(ExchangeDeclaration(name: "d", type: .direct))
        for q in ["exact", "star", "hash", "fan1", "fan2", "direct", "plain"] { try await t.declareQueue(QueueDeclaration(name: q)) }
        try await t.bindQueue(QueueBinding(queue: "exact", exchange: "magnum", routingKey: "notifications.info"))
        try await t.bindQueue(QueueBinding(queue: "star", exchange: "magnum", routingKey: "notifications.*"))
        try await t.bindQueue(QueueBinding(queue: "hash", exchange: "magnum", routingKey: "#.error"))
        try await t.bindQueue(QueueBinding(queue: "fan1", exchange: "f", routingKey: "x"))
        try await t.bindQueue(QueueBinding(queue: "fan2", exchange: "f", routingKey: "y"))
        try await t.bindQueue(QueueBinding(queue: "direct", exchange: "d", routingKey: "k"))

        _ = try await t.publish(OutgoingMessage(exchange: "magnum", routingKey: "notifications.info", body: body("1")))
        _ = try await t.publish(OutgoingMessage(exchange: "magnum", routingKey: "a.b.error", body: body("2")))
        _ = try await t.publish(OutgoingMessage(exchange: "f", routingKey: "", body: body("3")))
        _ = try await t.publish(OutgoingMessage(exchange: "d", routingKey: "k", body: body("4")))
        _ = try await t.publish(OutgoingMessage(exchange: "d", routingKey: "other", body: body("5")))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "plain", body: body("6")))

        #expect(await broker.readyBodies("exact") == [body("1")])
        #expect(await broker.readyBodies("star") == [body("1")])
        #expect(await broker.readyBodies("hash") == [body("2")])
        #expect(await broker.readyBodies("fan1") == [body("3")])
        #expect(await broker.readyBodies("fan2") == [body("3")])
        #expect(await broker.readyBodies("direct") == [body("4")])
        #expect(await broker.readyBodies("plain") == [body("6")])
        #expect(await broker.dropped.map(\.reason) == [.unroutable])
    }

    @Test func topicPatterns() {
        #expect(InMemoryBroker.topicMatches(pattern: "a.*", key: "a.b"))
        #expect(!InMemoryBroker.topicMatches(pattern: "a.*", key: "a.b.c"))
        #expect(InMemoryBroker.topicMatches(pattern: "a.#", key: "a"))
        #expect(InMemoryBroker.topicMatches(pattern: "#", key: "x.y.z"))
        #expect(InMemoryBroker.topicMatches(pattern: "magnum-conductor", key: "magnum-conductor"))
        #expect(!InMemoryBroker.topicMatches(pattern: "magnum-conductor", key: "magnum-conductor.host"))
    }

    @Test func mandatoryUnroutableIsReturned() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        let outcome = try await t.publish(OutgoingMessage(exchange: "", routingKey: "reply_gone", body: body("r"), mandatory: true))
        #expect(outcome == .returned(replyCode: 312, replyText: "NO_ROUTE"))
        await #expect(throws: TransportError.self) {
            _ = try await t.publish(OutgoingMessage(exchange: "missing", routingKey: "x", body: self.body("r")))
        }
    }

    @Test func redeclarationMustBeEquivalent() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic, durable: false))
        try await t.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic, durable: false))
        let exchangeError = await #expect(throws: TransportError.self) {
            try await t.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic, durable: true))
        }
        #expect(exchangeError?.kind == .preconditionFailed)
        #expect(exchangeError?.message.contains("inequivalent arg 'durable'") == true)

        try await t.declareQueue(QueueDeclaration(name: "q", arguments: ["x-expires": 1_800_000]))
        let queueError = await #expect(throws: TransportError.self) {
            try await t.declareQueue(QueueDeclaration(name: "q", arguments: ["x-queue-type": "quorum", "x-expires": 1_800_000]))
        }
        #expect(queueError?.message.contains("x-queue-type") == true)
        await #expect(throws: TransportError.self) {
            try await t.declareQueue(QueueDeclaration(name: "q"))
        }
        // x-ha-policy is not an equivalence argument.
        try await t.declareQueue(QueueDeclaration(name: "q", arguments: ["x-ha-policy": "all", "x-expires": 1_800_000]))
        // Quorum queues must be durable and not auto-delete.
        let quorumError = await #expect(throws: TransportError.self) {
            try await t.declareQueue(QueueDeclaration(name: "qq", durable: false, arguments: ["x-queue-type": "quorum"]))
        }
        #expect(quorumError?.message.contains("non-durable") == true)
    }

    @Test func requeueRedeliversWithCountAndAckRemoves() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareQueue(QueueDeclaration(name: "q"))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("m")))
        let sub = try await t.consume(ConsumeRequest(queue: "q"))
        var it = sub.makeAsyncIterator()
        let d1 = try #require(try await it.next())
        #expect(!d1.redelivered && d1.deliveryCount == 0)
        try await d1.settle(.requeue)
        let d2 = try #require(try await it.next())
        #expect(d2.redelivered && d2.deliveryCount == 1)
        try await d2.settle(.ack)
        #expect(await broker.readyCount("q") == 0)
        #expect(await broker.unackedCount("q") == 0)
        await #expect(throws: TransportError.self) { try await d2.settle(.ack) }
    }

    @Test func deadLettersToTheConfiguredExchangeWithXDeath() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
        try await t.declareQueue(QueueDeclaration(name: "dlq"))
        try await t.bindQueue(QueueBinding(queue: "dlq", exchange: "dlx", routingKey: ""))
        try await t.declareQueue(QueueDeclaration(name: "work", arguments: ["x-dead-letter-exchange": "dlx"]))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "work", body: body("bad")))
        let d = try await first(try await t.consume(ConsumeRequest(queue: "work")))
        try await d.settle(.deadLetter)
        let dead = await broker.readyMessages("dlq")
        #expect(dead.map(\.body) == [body("bad")])
        let death = dead.first?.properties.headers["x-death"]?[0]
        #expect(death?["reason"] == "rejected")
        #expect(death?["queue"] == "work")
    }

    @Test func policiesDeadLetterAndRejectionsWithoutDLXAreRecorded() async throws {
        let broker = InMemoryBroker()
        await broker.addPolicy(.init(exchange: "dlx") { $0.hasPrefix("magnum") })
        let t = await broker.connect()
        try await t.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
        try await t.declareQueue(QueueDeclaration(name: "dlq"))
        try await t.bindQueue(QueueBinding(queue: "dlq", exchange: "dlx", routingKey: ""))
        try await t.declareQueue(QueueDeclaration(name: "magnum-conductor"))
        try await t.declareQueue(QueueDeclaration(name: "other"))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "magnum-conductor", body: body("a")))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "other", body: body("b")))
        try await first(try await t.consume(ConsumeRequest(queue: "magnum-conductor"))).settle(.deadLetter)
        try await first(try await t.consume(ConsumeRequest(queue: "other"))).settle(.deadLetter)
        #expect(await broker.readyBodies("dlq") == [body("a")])
        #expect(await broker.dropped.map(\.reason) == [.rejected])
    }

    @Test func quorumDeliveryLimitDeadLetters() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareQueue(QueueDeclaration(name: "q", durable: true, arguments: ["x-queue-type": "quorum", "x-delivery-limit": 1]))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("poison")))
        let sub = try await t.consume(ConsumeRequest(queue: "q"))
        var it = sub.makeAsyncIterator()
        try await #require(try await it.next()).settle(.requeue)
        let again = try #require(try await it.next())
        #expect(again.properties.headers["x-delivery-count"] == 1)
        try await again.settle(.requeue)
        #expect(await broker.readyCount("q") == 0)
        #expect(await broker.dropped.map(\.reason) == [.deliveryLimit])
    }

    @Test func prefetchLimitsUnsettledDeliveries() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareQueue(QueueDeclaration(name: "q"))
        for i in 0..<3 { _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("\(i)"))) }
        let sub = try await t.consume(ConsumeRequest(queue: "q", prefetchCount: 1))
        var it = sub.makeAsyncIterator()
        let d0 = try #require(try await it.next())
        #expect(await broker.unackedCount("q") == 1)
        #expect(await broker.readyCount("q") == 2)
        try await d0.settle(.ack)
        let d1 = try #require(try await it.next())
        #expect(d1.body == body("1"))
    }

    @Test func closingAConnectionRedeliversItsUnsettledMessagesToOthers() async throws {
        let broker = InMemoryBroker()
        let a = await broker.connect()
        let b = await broker.connect()
        try await a.declareQueue(QueueDeclaration(name: "q"))
        _ = try await a.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("work")))
        let held = try await first(try await a.consume(ConsumeRequest(queue: "q")))
        #expect(!held.redelivered)
        await a.close()
        let redelivered = try await first(try await b.consume(ConsumeRequest(queue: "q")))
        #expect(redelivered.redelivered && redelivered.deliveryCount == 1 && redelivered.body == body("work"))
        // The first delivery's connection is gone: settling it is refused, as on RabbitMQ.
        await #expect(throws: TransportError(.lostOwnership, "delivery 1 came on a connection that was closed; it was requeued")) {
            try await held.settle(.ack)
        }
        try await redelivered.settle(.ack)
        #expect(await broker.readyCount("q") == 0)
    }

    @Test func cancelledConsumersCanStillSettle() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareQueue(QueueDeclaration(name: "q"))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("x")))
        let sub = try await t.consume(ConsumeRequest(queue: "q"))
        let d = try await first(sub)
        await sub.cancel()
        try await d.settle(.ack)
        #expect(await broker.readyCount("q") == 0)
    }

    @Test func expiredMessagesAreNotDelivered() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareQueue(QueueDeclaration(name: "q"))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("old"), properties: .oslo(expirationMilliseconds: 1)))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: body("new")))
        try await Task.sleep(for: .milliseconds(20))
        let d = try await first(try await t.consume(ConsumeRequest(queue: "q")))
        #expect(d.body == body("new"))
        #expect(await broker.dropped.map(\.reason) == [.expired])
    }

    @Test func autoDeleteExchangesGoWithTheirLastBinding() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        try await t.declareExchange(ExchangeDeclaration(name: "topic_fanout", type: .fanout, autoDelete: true))
        try await t.declareQueue(QueueDeclaration(name: "fq"))
        try await t.bindQueue(QueueBinding(queue: "fq", exchange: "topic_fanout", routingKey: "topic"))
        try await t.deleteQueue(named: "fq")
        #expect(await broker.exchangeDeclarations.map(\.name) == [])
    }
}
