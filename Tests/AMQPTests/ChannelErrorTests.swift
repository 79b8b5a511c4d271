import AMQP
import Testing
import TestSupport

@Suite("Channel errors", .enabled(if: TestEnvironment.brokerEnabled))
struct ChannelErrorTests {
    @Test("a passive declare of a missing queue fails with NOT_FOUND and closes only that channel")
    func passiveDeclareNotFound() async throws {
        try await Harness.withConnection { connection in
            let events = EventRecorder(connection)
            let channel = try await connection.openChannel()
            let missing = Harness.unique("missing")
            let error = await #expect(throws: AMQPError.self) { try await channel.declareQueuePassive(named: missing) }
            #expect(error?.kind == .channelClosed)
            #expect(error?.replyCode == AMQPReplyCode.notFound)
            #expect(error?.replyText?.contains(missing) == true)
            #expect(!channel.isOpen)
            #expect(channel.closeReason?.replyCode == 404)
            // Later calls on it fail the same way, without a round trip.
            let again = await #expect(throws: AMQPError.self) { try await channel.declareQueue(QueueDeclaration(name: "")) }
            #expect(again?.replyCode == 404)
            // The connection and other channels are fine.
            let other = try await connection.openChannel()
            _ = try await other.declareQueue(QueueDeclaration(name: "", exclusive: true))
            #expect(connection.isConnected)
            #expect(try await Harness.eventually(timeout: .seconds(2)) {
                events.contains { if case .channelClosed(channel.id, _) = $0 { true } else { false } }
            })
            events.stop()
        }
    }

    @Test("redeclaring a queue with other arguments fails with PRECONDITION_FAILED")
    func inequivalentRedeclare() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let name = Harness.unique("inequivalent")
            try await channel.declareQueue(QueueDeclaration(name: name, exclusive: true, arguments: ["x-max-length": 10]))
            let error = await #expect(throws: AMQPError.self) {
                try await channel.declareQueue(QueueDeclaration(name: name, exclusive: true, arguments: ["x-max-length": 20]))
            }
            #expect(error?.kind == .channelClosed)
            #expect(error?.replyCode == AMQPReplyCode.preconditionFailed)
            #expect(error?.message.contains("queue.declare") == true)
        }
    }

    @Test("a confirmed publish to a missing exchange fails with NOT_FOUND")
    func publishToMissingExchange() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            try await channel.enableConfirms()
            let error = await #expect(throws: AMQPError.self) {
                _ = try await channel.publish([1], exchange: Harness.unique("no-exchange"), routingKey: "k")
            }
            #expect(error?.kind == .channelClosed)
            #expect(error?.replyCode == 404)
        }
    }

    @Test("exchanges: declare with every flag, bind to another exchange, delete")
    func exchangeLifecycle() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let source = Harness.unique("source")
            let destination = Harness.unique("destination")
            try await channel.declareExchange(ExchangeDeclaration(name: source, type: .topic, autoDelete: false))
            try await channel.declareExchange(
                ExchangeDeclaration(name: destination, type: .fanout, durable: false, internal: true, arguments: ["alternate-exchange": "amq.fanout"]))
            try await channel.declareExchangePassive(named: destination)
            try await channel.bindExchange(destination, to: source, routingKey: "a.*")
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.bindQueue(queue.name, to: destination)
            try await channel.enableConfirms()
            #expect(try await channel.publish([1], exchange: source, routingKey: "a.b", mandatory: true) == .confirmed)
            guard case .returned = try await channel.publish([2], exchange: source, routingKey: "b.c", mandatory: true) else {
                Issue.record("b.c should not route")
                return
            }
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == 1)
            try await channel.unbindExchange(destination, from: source, routingKey: "a.*")
            guard case .returned = try await channel.publish([3], exchange: source, routingKey: "a.b", mandatory: true) else {
                Issue.record("after unbind a.b should not route")
                return
            }
            #expect(try await channel.purgeQueue(named: queue.name) == 1)
            try await channel.unbindQueue(queue.name, from: destination)
            try await channel.deleteExchange(named: destination)
            try await channel.deleteExchange(named: source)
            let error = await #expect(throws: AMQPError.self) { try await channel.declareExchangePassive(named: source) }
            #expect(error?.replyCode == 404)
        }
    }

    @Test("queue arguments oslo uses are accepted (quorum, expiry, dead-lettering, delivery limit)")
    func queueArguments() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            var quorum = QueueDeclaration(name: Harness.unique("quorum"), durable: true)
            quorum.queueType = "quorum"
            quorum.deliveryLimit = 5
            quorum.maxInMemoryLength = 100
            quorum.deadLetterExchange = ""
            quorum.deadLetterRoutingKey = "dead"
            quorum.expires = 60_000
            let declared = try await channel.declareQueue(quorum)
            #expect(declared.name == quorum.name)
            #expect(declared.messageCount == 0)
            #expect(try await channel.deleteQueue(named: quorum.name) == 0)
        }
    }
}
