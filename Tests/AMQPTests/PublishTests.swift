import AMQP
import Testing
import TestSupport

@Suite("Publishing", .enabled(if: TestEnvironment.brokerEnabled))
struct PublishTests {
    @Test("a mandatory publish to an unroutable key is returned; a routable one is confirmed")
    func mandatoryReturned() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let exchange = Harness.unique("routes")
            try await channel.declareExchange(ExchangeDeclaration(name: exchange, type: .direct, autoDelete: true))
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.bindQueue(queue.name, to: exchange, routingKey: "known")
            try await channel.enableConfirms()

            let body = [UInt8](text: "nobody wants me")
            let properties = AMQPProperties(contentType: "text/plain", messageID: "lost-1")
            let returned = try await channel.publish(
                body, exchange: exchange, routingKey: "unknown", properties: properties, mandatory: true)
            guard case .returned(let message) = returned else {
                Issue.record("expected .returned, got \(returned)")
                return
            }
            #expect(message.replyCode == AMQPReplyCode.noRoute)
            #expect(message.replyText == "NO_ROUTE")
            #expect(message.exchange == exchange)
            #expect(message.routingKey == "unknown")
            #expect(message.body == body)
            #expect(message.properties == properties)

            #expect(try await channel.publish(body, exchange: exchange, routingKey: "known", mandatory: true) == .confirmed)
            #expect(try await channel.publish(body, exchange: exchange, routingKey: "unknown", mandatory: false) == .confirmed)
        }
    }

    @Test("returns are matched to the right publish among many in flight")
    func returnsMatchedAmongMany() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            let outcomes = try await withThrowingTaskGroup(of: (Int, PublishOutcome).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let key = i % 3 == 0 ? "no-such-queue-\(i)" : queue.name
                        return (i, try await channel.publish([UInt8](text: "m\(i)"), routingKey: key, mandatory: true))
                    }
                }
                var all: [Int: PublishOutcome] = [:]
                for try await (i, outcome) in group { all[i] = outcome }
                return all
            }
            #expect(outcomes.count == 200)
            for (i, outcome) in outcomes {
                if i % 3 == 0 {
                    guard case .returned(let message) = outcome else {
                        Issue.record("publish \(i) should be returned, got \(outcome)")
                        continue
                    }
                    #expect(message.body.text == "m\(i)")
                    #expect(message.routingKey == "no-such-queue-\(i)")
                } else {
                    #expect(outcome == .confirmed, "publish \(i)")
                }
            }
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == 133)
        }
    }

    @Test("unconfirmed mandatory publishes that bounce appear in returnedMessages")
    func returnedWithoutConfirms() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            try channel.publishWithoutConfirm(
                [UInt8](text: "bounce"), routingKey: Harness.unique("nowhere"), properties: AMQPProperties(type: "probe"),
                mandatory: true)
            var iterator = channel.returnedMessages.makeAsyncIterator()
            let message = try #require(await iterator.next())
            #expect(message.body.text == "bounce")
            #expect(message.replyCode == 312)
            #expect(message.properties.type == "probe")
        }
    }

    @Test("fire-and-forget publishes arrive")
    func fireAndForget() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            for i in 0..<100 { try channel.publishWithoutConfirm([UInt8](text: "\(i)"), routingKey: queue.name) }
            let collector = Collector(try await channel.consume(queue: queue.name, noAck: true))
            let got = try await collector.waitFor(count: 100)
            #expect(got.map(\.body.text) == (0..<100).map { "\($0)" }, "one channel keeps publish order")
            collector.stop()
        }
    }

    @Test("a confirmed publish needs confirm mode")
    func publishNeedsConfirmMode() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            await #expect { _ = try await channel.publish([1], routingKey: "x") } throws: {
                ($0 as? AMQPError)?.kind == .invalidUsage
            }
            #expect(channel.isOpen)
        }
    }

    @Test("a queue that rejects overflow nacks the publish")
    func overflowNacks() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(
                QueueDeclaration(name: "", exclusive: true, arguments: ["x-max-length": 1, "x-overflow": "reject-publish"]))
            try await channel.enableConfirms()
            #expect(try await channel.publish([1], routingKey: queue.name) == .confirmed)
            #expect(try await channel.publish([2], routingKey: queue.name) == .nacked)
        }
    }
}
