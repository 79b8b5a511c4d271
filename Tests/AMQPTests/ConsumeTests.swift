import AMQP
import Testing
import TestSupport

@Suite("Consuming and settling", .enabled(if: TestEnvironment.brokerEnabled))
struct ConsumeTests {
    @Test("10,000 messages with prefetch 100 and one ack each: none lost, none duplicated")
    func tenThousandMessages() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: Harness.unique("bulk"), exclusive: true))
            try await channel.enableConfirms()
            let total = 10_000
            try await Harness.publishNumbered(total, on: channel, routingKey: queue.name)
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == UInt32(total))

            let consumerChannel = try await connection.openChannel()
            try await consumerChannel.setPrefetch(count: 100)
            let collector = Collector(try await consumerChannel.consume(queue: queue.name)) { delivery in
                try? delivery.ack()
            }
            let received = try await collector.waitFor(count: total, timeout: .seconds(60))
            // Anything more would be a duplicate: give it a moment to show up.
            try await Task.sleep(for: .milliseconds(300))
            #expect(collector.count == total)
            let numbers = received.map { Int($0.body.text) ?? -1 }
            let distinct = Set(numbers)
            #expect(distinct.count == total, "\(total - distinct.count) duplicates")
            #expect(distinct == Set(0..<total), "missing: \(Set(0..<total).subtracting(distinct).sorted().prefix(10))")
            #expect(received.allSatisfy { !$0.redelivered })
            let after = try await channel.declareQueuePassive(named: queue.name)
            #expect(after.messageCount == 0)
            #expect(after.consumerCount == 1)
            collector.stop()
        }
    }

    @Test("acks, nacks and rejects in any order settle exactly their own deliveries")
    func outOfOrderSettlement() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            try await Harness.publishNumbered(300, on: channel, routingKey: queue.name)
            let collector = Collector(try await channel.consume(queue: queue.name))
            let first = try await collector.waitFor(count: 300)
            try #require(first.count == 300)
            var generator = SystemRandomNumberGenerator()
            let order = first.shuffled(using: &generator)
            let requeued = Set(order.prefix(10).map(\.body.text))
            let dropped = Set(order.dropFirst(10).prefix(10).map(\.body.text))
            for (i, delivery) in order.enumerated() {
                switch i {
                case 0..<10: try delivery.nack(requeue: true)
                case 10..<20: try delivery.reject(requeue: false)
                default: try delivery.ack()
                }
                if i % 37 == 0 { await Task.yield() }
            }
            let all = try await collector.waitFor(count: 310)
            try await Task.sleep(for: .milliseconds(300))
            #expect(collector.count == 310, "only the ten requeued come back")
            let again = all.dropFirst(300)
            #expect(Set(again.map(\.body.text)) == requeued)
            #expect(again.allSatisfy { $0.redelivered })
            #expect(Set(again.map(\.body.text)).isDisjoint(with: dropped))
            for delivery in again { try delivery.ack() }
            let drained = try await Harness.eventually { try await channel.declareQueuePassive(named: queue.name).messageCount == 0 }
            #expect(drained)
            #expect(channel.isOpen)
            collector.stop()
        }
    }

    @Test("prefetch bounds the unacknowledged deliveries")
    func prefetchBoundsDeliveries() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            try await Harness.publishNumbered(50, on: channel, routingKey: queue.name)
            try await channel.setPrefetch(count: 7)
            let collector = Collector(try await channel.consume(queue: queue.name))
            try await collector.waitFor(count: 7)
            try await Task.sleep(for: .milliseconds(300))
            #expect(collector.count == 7, "no more than the prefetch count without acks")
            try collector.deliveries[6].ack(multiple: true)
            try await collector.waitFor(count: 14)
            try await Task.sleep(for: .milliseconds(200))
            #expect(collector.count == 14)
            collector.stop()
        }
    }

    @Test("nack with requeue comes back flagged redelivered")
    func nackRequeue() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            #expect(try await channel.publish([UInt8](text: "again"), routingKey: queue.name) == .confirmed)
            let collector = Collector(try await channel.consume(queue: queue.name))
            let first = try await collector.waitFor(count: 1)
            try #require(first.count == 1)
            #expect(!first[0].redelivered)
            try first[0].nack(requeue: true)
            let both = try await collector.waitFor(count: 2)
            try #require(both.count == 2)
            #expect(both[1].body.text == "again")
            #expect(both[1].redelivered)
            try both[1].ack()
            collector.stop()
        }
    }

    @Test("reject without requeue dead-letters to x-dead-letter-exchange")
    func rejectDeadLetters() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let dlx = Harness.unique("dlx")
            try await channel.declareExchange(ExchangeDeclaration(name: dlx, type: .direct, autoDelete: true))
            let dead = try await channel.declareQueue(QueueDeclaration(name: Harness.unique("dead"), exclusive: true))
            try await channel.bindQueue(dead.name, to: dlx, routingKey: "failed")
            var work = QueueDeclaration(name: Harness.unique("work"), exclusive: true)
            work.deadLetterExchange = dlx
            work.deadLetterRoutingKey = "failed"
            try await channel.declareQueue(work)
            try await channel.enableConfirms()
            let properties = AMQPProperties(headers: ["origin": "test"], messageID: "poison-1")
            #expect(try await channel.publish([UInt8](text: "poison"), routingKey: work.name, properties: properties) == .confirmed)

            let workCollector = Collector(try await channel.consume(queue: work.name))
            let got = try await workCollector.waitFor(count: 1)
            try #require(got.count == 1)
            try got[0].reject(requeue: false)

            let deadCollector = Collector(try await channel.consume(queue: dead.name))
            let deadLettered = try await deadCollector.waitFor(count: 1)
            try #require(deadLettered.count == 1)
            #expect(deadLettered[0].body.text == "poison")
            #expect(deadLettered[0].properties.messageID == "poison-1")
            #expect(deadLettered[0].exchange == dlx)
            #expect(deadLettered[0].routingKey == "failed")
            // RabbitMQ records why in x-death: a table inside an array.
            guard case .array(let deaths)? = deadLettered[0].properties.headers?["x-death"],
                  case .table(let death)? = deaths.first
            else {
                Issue.record("no x-death header: \(String(describing: deadLettered[0].properties.headers))")
                return
            }
            #expect(death["reason"] == .string("rejected"))
            #expect(death["queue"] == .string(work.name))
            try deadLettered[0].ack()
            try await Task.sleep(for: .milliseconds(200))
            #expect(workCollector.count == 1, "a rejected message is not requeued")
            workCollector.stop()
            deadCollector.stop()
        }
    }

    @Test("cancelling a consumer ends its sequence normally")
    func cancelEndsSequence() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            let consumer = try await channel.consume(queue: queue.name, consumerTag: "my-consumer")
            #expect(consumer.consumerTag == "my-consumer")
            let collector = Collector(consumer)
            try await consumer.cancel()
            #expect(try await collector.waitUntilFinished())
            #expect(collector.error == nil)
            #expect(try await channel.declareQueuePassive(named: queue.name).consumerCount == 0)
        }
    }

    @Test("a broker-initiated cancel (queue deleted) ends the sequence with consumerCancelled")
    func brokerCancel() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let name = Harness.unique("deleted")
            try await channel.declareQueue(QueueDeclaration(name: name, autoDelete: false))
            let collector = Collector(try await channel.consume(queue: name))
            let other = try await connection.openChannel()
            try await other.deleteQueue(named: name)
            #expect(try await collector.waitUntilFinished())
            let error = try #require(collector.error as? AMQPError)
            #expect(error.kind == .consumerCancelled)
            #expect(error.message.contains(name))
            // The channel itself stays usable.
            _ = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
        }
    }

    @Test("settling twice is ignored instead of killing the channel")
    func doubleAck() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            try await Harness.publishNumbered(2, on: channel, routingKey: queue.name)
            let collector = Collector(try await channel.consume(queue: queue.name))
            let got = try await collector.waitFor(count: 2)
            try #require(got.count == 2)
            try got[0].ack()
            try got[0].ack()
            try got[1].ack()
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == 0)
            #expect(channel.isOpen)
            collector.stop()
        }
    }

    @Test("closing the channel ends its consumers and makes its deliveries unsettleable")
    func closeChannel() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: Harness.unique("close"), exclusive: true))
            try await channel.enableConfirms()
            try await Harness.publishNumbered(1, on: channel, routingKey: queue.name)
            let collector = Collector(try await channel.consume(queue: queue.name))
            let got = try await collector.waitFor(count: 1)
            try #require(got.count == 1)
            try await channel.close()
            #expect(try await collector.waitUntilFinished())
            #expect(collector.error == nil)
            #expect(!got[0].isOwned)
            #expect { try got[0].ack() } throws: { ($0 as? AMQPError)?.kind == .lostOwnership }
            // The unacknowledged message went back to the queue.
            let other = try await connection.openChannel()
            #expect(try await other.declareQueuePassive(named: queue.name).messageCount == 1)
        }
    }
}
