import Foundation
import JSON
import OsloMessaging
import Synchronization
import Testing
import TestSupport

/// `AMQPTransport` on the real broker: declarations as oslo makes them, broker errors as
/// `TransportError`s, returns, quorum delivery counts, dead-lettering through a queue's own
/// dead-letter exchange, consumers that come back after their queue was deleted, prefetch.
@Suite(.enabled(if: interopEnabled, "needs the broker (tools/test)"))
struct AMQPTransportTests {
    static func withTransport<R>(rabbit: RabbitOptions = RabbitOptions(), _ body: (AMQPTransport) async throws -> R) async throws -> R {
        let transport = try await Interop.transport(rabbit: rabbit)
        do {
            let result = try await body(transport)
            await transport.close()
            return result
        } catch {
            await transport.close()
            throw error
        }
    }

    /// Consumes `queue` into a box until cancelled.
    static func collect(_ subscription: Subscription, settle: Settlement? = .ack) -> (DeliveryBox, Task<Void, any Error>) {
        let box = DeliveryBox()
        let task = Task {
            for try await delivery in subscription {
                if let settle { try await delivery.settle(settle) }
                box.append(delivery)
            }
        }
        return (box, task)
    }

    @Test func quorumDeclarationsCarryOslosArguments() async throws {
        var rabbit = RabbitOptions()
        rabbit.rabbitQuorumQueue = true
        rabbit.rabbitTransientQuorumQueue = true
        rabbit.rabbitQuorumDeliveryLimit = 3
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let server = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", rabbit: rabbit)
        defer { Task { await server.stop() } }
        let broker = try TestEnvironment.requireBroker()
        let listing = try await broker.rabbitmqctl("list_queues", "name", "type", "durable", "auto_delete", "arguments",
                                                   "--no-table-headers", "--quiet")
        let rows = Dictionary(uniqueKeysWithValues: listing.split(separator: "\n").filter { $0.hasPrefix(topic) }
            .map { line -> (String, String) in
                let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
        func check(_ queue: String, _ arguments: [String]) {
            let row = rows[queue] ?? ""
            #expect(row.hasPrefix("quorum\ttrue\tfalse\t"), "\(queue): \(row)")
            for argument in arguments { #expect(row.contains(argument), "\(queue): \(row)") }
            #expect(row.components(separatedBy: "{\"x-").count - 1 == arguments.count, "\(queue): \(row)")
        }
        check(topic, [#"{"x-queue-type","quorum"}"#, #"{"x-delivery-limit",3}"#])
        check("\(topic).s1", [#"{"x-queue-type","quorum"}"#, #"{"x-delivery-limit",3}"#])
        check(server.server.fanoutQueue, [#"{"x-queue-type","quorum"}"#, #"{"x-delivery-limit",3}"#, #"{"x-expires",1800000}"#])
        let exchanges = try await broker.rabbitmqctl("list_exchanges", "name", "type", "durable", "auto_delete",
                                                     "--no-table-headers", "--quiet")
        #expect(exchanges.contains("\(exchange)\ttopic\ttrue\tfalse"), "\(exchanges)")
        #expect(exchanges.contains("\(topic)_fanout\tfanout\ttrue\ttrue"), "\(exchanges)")
    }

    @Test func anInequivalentRedeclarationIsPreconditionFailedAndTheNextDeclarationWorks() async throws {
        try await Self.withTransport { transport in
            let name = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: name, durable: false))
            do {
                try await transport.declareQueue(QueueDeclaration(name: name, durable: true))
                Issue.record("a durable redeclaration of a transient queue was accepted")
            } catch let error as TransportError {
                #expect(error.kind == .preconditionFailed)
                #expect(error.replyCode == 406)
                #expect(error.message.contains("inequivalent arg 'durable'"), "\(error)")
            }
            try await transport.declareQueue(QueueDeclaration(name: name, durable: false))
            try await transport.deleteQueue(named: name)
            try await transport.deleteQueue(named: name)  // gone already: not an error
        }
    }

    @Test func publishingToAMissingExchangeIsNotFoundAndLaterPublishesWork() async throws {
        try await Self.withTransport { transport in
            let missing = Interop.unique("no-exchange")
            do {
                _ = try await transport.publish(OutgoingMessage(exchange: missing, routingKey: "k", body: Array("x".utf8)))
                Issue.record("publishing to a missing exchange succeeded")
            } catch let error as TransportError {
                #expect(error.kind == .notFound)
                #expect(error.replyCode == 404)
            }
            let queue = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: queue))
            #expect(try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: Array("y".utf8))) == .accepted)
            #expect(try await transport.queueStatus(queue).messages == 1)
            try await transport.deleteQueue(named: queue)
        }
    }

    @Test func anUnroutableMandatoryMessageIsReturned() async throws {
        try await Self.withTransport { transport in
            let outcome = try await transport.publish(OutgoingMessage(
                exchange: "", routingKey: Interop.unique("reply-gone"), body: Array("r".utf8), mandatory: true))
            #expect(outcome == .returned(replyCode: 312, replyText: "NO_ROUTE"))
        }
    }

    @Test func aPublishThatDoesNotWaitHearsItsOutcome() async throws {
        try await Self.withTransport { transport in
            func publish(_ message: OutgoingMessage) async -> Result<PublishOutcome, any Error> {
                await withCheckedContinuation { continuation in
                    transport.publish(message) { continuation.resume(returning: $0) }
                }
            }
            let queue = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: queue))
            // The first publish opens the shared channel (the waiting path); the rest take the
            // channel as it is and hear the broker on the connection's thread.
            for i in 0..<20 {
                #expect(try await publish(OutgoingMessage(exchange: "", routingKey: queue, body: Array("m\(i)".utf8))).get()
                    == .accepted)
            }
            #expect(try await transport.queueStatus(queue).messages == 20)
            #expect(try await publish(OutgoingMessage(exchange: "", routingKey: Interop.unique("reply-gone"),
                                                      body: Array("r".utf8), mandatory: true)).get()
                == .returned(replyCode: 312, replyText: "NO_ROUTE"))
            // The broker closes the shared channel for a missing exchange: a TransportError, and
            // the next publish gets a fresh channel.
            switch await publish(OutgoingMessage(exchange: Interop.unique("no-exchange"), routingKey: "k", body: [1])) {
            case .success(let outcome): Issue.record("publishing to a missing exchange: \(outcome)")
            case .failure(let error): #expect((error as? TransportError)?.replyCode == 404)
            }
            #expect(try await publish(OutgoingMessage(exchange: "", routingKey: queue, body: [2])).get() == .accepted)
            #expect(try await transport.queueStatus(queue).messages == 21)
            try await transport.deleteQueue(named: queue)
        }
    }

    @Test func quorumRedeliveriesCarryTheirDeliveryCount() async throws {
        try await Self.withTransport { transport in
            let queue = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: queue, durable: true, arguments: ["x-queue-type": "quorum"]))
            _ = try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: Array("again".utf8)))
            let subscription = try await transport.consume(ConsumeRequest(queue: queue))
            var counts: [Int] = []
            var redelivered: [Bool] = []
            for try await delivery in subscription {
                counts.append(delivery.deliveryCount)
                redelivered.append(delivery.redelivered)
                try await delivery.settle(counts.count < 3 ? .requeue : .ack)
                if counts.count == 3 { break }
            }
            await subscription.cancel()
            #expect(counts == [0, 1, 2])
            #expect(redelivered == [false, true, true])
            try await transport.deleteQueue(named: queue)
        }
    }

    @Test func aQueueWithItsOwnDeadLetterExchangeDeadLettersThroughTheBroker() async throws {
        try await Self.withTransport { transport in
            let dlx = Interop.unique("own-dlx"), dead = Interop.unique("own-dead"), queue = Interop.unique("q")
            try await transport.declareExchange(ExchangeDeclaration(name: dlx, type: .fanout))
            try await transport.declareQueue(QueueDeclaration(name: dead))
            try await transport.bindQueue(QueueBinding(queue: dead, exchange: dlx, routingKey: ""))
            try await transport.declareQueue(QueueDeclaration(name: queue, arguments: ["x-dead-letter-exchange": .string(dlx)]))
            _ = try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: Array("poison".utf8)))
            let subscription = try await transport.consume(ConsumeRequest(queue: queue))
            for try await delivery in subscription {
                try await delivery.settle(.deadLetter, reason: "test")
                break
            }
            await subscription.cancel()
            let (box, task) = Self.collect(try await transport.consume(ConsumeRequest(queue: dead)))
            defer { task.cancel() }
            try await eventually("the dead-lettered message") { box.count == 1 }
            let kept = try #require(box.all.first)
            #expect(kept.body == Array("poison".utf8))
            #expect(kept.properties.headers["x-first-death-reason"] == "rejected")
            #expect(kept.properties.headers["x-first-death-queue"] == .string(queue))
            #expect(kept.properties.headers[DeadLetterOptions.Header.reason] == nil, "the broker's dead-lettering, not a republish")
            for name in [queue, dead] { try await transport.deleteQueue(named: name) }
        }
    }

    @Test func aConsumerWhoseQueueIsDeletedComesBackOnTheSameSubscription() async throws {
        try await Self.withTransport { transport in
            let exchange = Interop.unique("x"), queue = Interop.unique("q")
            let declarations = OsloTopology().topicConsumer(exchange: exchange, routingKey: queue)
            try await declarations.apply(to: transport)
            let subscription = try await transport.consume(ConsumeRequest(queue: queue))
            let (box, task) = Self.collect(subscription)
            defer { task.cancel() }
            _ = try await transport.publish(OutgoingMessage(exchange: exchange, routingKey: queue, body: Array("1".utf8)))
            try await eventually("the first message") { box.count == 1 }

            // An operator deletes the queue: RabbitMQ cancels the consumer; like oslo, the
            // transport declares the queue (and its binding) again and consumes it again.
            let broker = try TestEnvironment.requireBroker()
            try await broker.rabbitmqctl("delete_queue", queue)
            try await eventually("the queue declared again") {
                if (try? await transport.queueStatus(queue).consumers) == 1 { return true }
                try await Task.sleep(for: .milliseconds(200))  // each failed check costs a channel
                return false
            }
            _ = try await transport.publish(OutgoingMessage(exchange: exchange, routingKey: queue, body: Array("2".utf8)))
            try await eventually("the message after the deletion") { box.count == 2 }
            #expect(box.all.map { String(decoding: $0.body, as: UTF8.self) } == ["1", "2"])
            await subscription.cancel()
            try await transport.deleteQueue(named: queue)
        }
    }

    @Test func prefetchBoundsUnsettledDeliveries() async throws {
        try await Self.withTransport { transport in
            let queue = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: queue))
            for i in 0..<5 {
                _ = try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: Array("\(i)".utf8)))
            }
            let subscription = try await transport.consume(ConsumeRequest(queue: queue, prefetchCount: 2))
            let (box, task) = Self.collect(subscription, settle: nil)
            defer { task.cancel() }
            try await eventually("two deliveries") { box.count == 2 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(box.count == 2, "no third delivery before one is settled")
            #expect(try await transport.queueStatus(queue).messages == 3)
            try await box.all[0].settle(.ack)
            try await eventually("a third delivery") { box.count == 3 }
            for d in box.all.dropFirst() { try await d.settle(.ack) }
            try await eventually("the rest") { box.count == 5 }
            for d in box.all.dropFirst(3) { try await d.settle(.ack) }
            await subscription.cancel()
            try await transport.deleteQueue(named: queue)
        }
    }

    @Test func aMessageRoundTripsWithItsProperties() async throws {
        try await Self.withTransport { transport in
            let queue = Interop.unique("q")
            try await transport.declareQueue(QueueDeclaration(name: queue))
            var properties = MessageProperties.oslo(expirationMilliseconds: 60000)
            properties.headers = ["s": "é", "i": 7, "b": true, "nested": ["k": [1, "two"]], "d": 1.5]
            properties.correlationID = "c-1"
            properties.messageID = "m-1"
            let body = RPCRequest(method: "echo", args: ["x": 1], uniqueID: "u-1").encodedBody()
            _ = try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: body, properties: properties))
            let (box, task) = Self.collect(try await transport.consume(ConsumeRequest(queue: queue)))
            defer { task.cancel() }
            try await eventually("the message") { box.count == 1 }
            let d = try #require(box.all.first)
            #expect(d.body == body)
            #expect(d.properties == properties)
            #expect(d.queue == queue && d.exchange == "" && d.routingKey == queue && !d.redelivered && d.deliveryCount == 0)
            try await transport.deleteQueue(named: queue)
        }
    }
}
