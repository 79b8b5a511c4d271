import AMQP
import Foundation
import Testing
import TestSupport

@Suite("Failover and reconnect", .enabled(if: TestEnvironment.brokerEnabled))
struct ReconnectTests {
    @Test("a host list whose first host is down connects to the second")
    func failoverToSecondHost() async throws {
        let broker = try TestEnvironment.requireBroker()
        let url = try TransportURL(
            parsing: "rabbit://guest:guest@127.0.0.1:\(Harness.closedPort()),guest:guest@127.0.0.1:\(broker.port)/")
        var configuration = AMQPConfiguration(transportURL: url)
        configuration.connectTimeout = .seconds(3)
        let logs = LogCapture()
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logs.logger())
        #expect(connection.endpoint == "127.0.0.1:\(broker.port)")
        #expect(connection.isConnected)
        #expect(logs.text.contains("cannot connect"), "the dead first host is logged")
        let channel = try await connection.openChannel()
        _ = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
        await connection.close()
        #expect(!connection.isConnected)
    }

    /// The broker restarts (about 10 s) under a consumer. Runs on a broker of its own so that
    /// the tests running in parallel on the shared one are not disturbed.
    @Test("after a broker restart the consumer resumes by itself; acked work stays done; old deliveries lost ownership")
    func brokerRestartMidConsume() async throws {
        _ = try TestEnvironment.requireBroker()
        let broker = try await TestEnvironment.startPrivateBroker()
        defer { broker.destroy() }

        var configuration = AMQPConfiguration(endpoints: [Endpoint(host: "127.0.0.1", port: broker.port)])
        configuration.reconnect = ReconnectBackoff(initialDelay: .milliseconds(200), step: .milliseconds(200), maximumDelay: .seconds(1))
        configuration.heartbeat = .seconds(5)
        let logs = LogCapture()
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logs.logger())
        let events = EventRecorder(connection)

        // Topology: a transient exchange (gone after the restart, so it must be re-declared), a
        // durable queue with persistent messages bound to it, and a server-named queue bound too.
        let channel = try await connection.openChannel()
        let exchange = "restart-exchange"
        try await channel.declareExchange(ExchangeDeclaration(name: exchange, type: .direct))
        let work = try await channel.declareQueue(QueueDeclaration(name: "restart-work", durable: true))
        try await channel.bindQueue(work.name, to: exchange, routingKey: "job")
        let temporary = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
        try await channel.bindQueue(temporary.name, to: exchange, routingKey: "job")
        try await channel.enableConfirms()
        let persistent = AMQPProperties(deliveryMode: .persistent)
        try await Harness.publishNumbered(20, on: channel, exchange: exchange, routingKey: "job", properties: persistent)

        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.setPrefetch(count: 10)
        let consumer = try await consumerChannel.consume(queue: work.name)
        let collector = Collector(consumer)
        let before = try await collector.waitFor(count: 10)
        try #require(before.count == 10)
        for delivery in before.prefix(5) { try delivery.ack() }
        // A round trip on the same channel: the broker has applied those acks when it answers.
        _ = try await consumerChannel.declareQueuePassive(named: work.name)

        try await broker.control("restart")

        #expect(try await Harness.eventually(timeout: .seconds(30)) {
            events.contains { if case .reconnected = $0 { true } else { false } }
        })
        #expect(events.contains { if case .disconnected(let error) = $0 { error.kind == .connectionClosed } else { false } })
        #expect(connection.isConnected)

        // Deliveries from before the restart can no longer be settled here (the broker
        // requeued them when the connection dropped).
        let acked = Array(before.prefix(5))
        let heldBefore = collector.deliveries.filter { !$0.isOwned && !acked.map(\.deliveryTag).contains($0.deliveryTag) }
        #expect(heldBefore.count >= 5, "at least the five unacknowledged of the first ten")
        for delivery in heldBefore {
            #expect { try delivery.ack() } throws: { ($0 as? AMQPError)?.kind == .lostOwnership }
        }

        // The consumer sequence carries on by itself: the 15 messages not acked come (again).
        var after: [AMQPDelivery] = []
        #expect(try await Harness.eventually(timeout: .seconds(20)) {
            for delivery in collector.deliveries.filter(\.isOwned).dropFirst(after.count) {
                try delivery.ack()
                after.append(delivery)
            }
            return after.count >= 15
        })
        try await Task.sleep(for: .milliseconds(200))
        #expect(collector.deliveries.filter(\.isOwned).count == 15, "no duplicates after the reconnect")
        let done = Set(acked.map(\.body.text)).union(after.map(\.body.text))
        #expect(done == Set((0..<20).map { "\($0)" }), "nothing is lost")
        #expect(Set(after.map(\.body.text)).isDisjoint(with: acked.map(\.body.text)), "acked work is not redone")
        // Flagged redelivered: every delivery held when the broker went away, and possibly some
        // the broker had sent that were still on their way (unread) when it stopped — never one
        // this consumer saw and settled.
        let redelivered = Set(after.filter(\.redelivered).map(\.body.text))
        let held = Set(heldBefore.map(\.body.text))
        #expect(held.isSubset(of: redelivered), "the deliveries held when the broker went away come back flagged redelivered")
        let seenBefore = Set(collector.deliveries.filter { !$0.isOwned }.map(\.body.text))
        #expect(redelivered.subtracting(held).isDisjoint(with: seenBefore),
                "beyond those held, only deliveries never read before the restart are flagged redelivered")

        // The server-named queue came back under a new name, still bound; the exchange was re-declared.
        let renamed = events.events.compactMap { event -> String? in
            if case .queueRenamed(temporary.name, let new) = event { return new }
            return nil
        }
        try #require(renamed.count == 1)
        #expect(try await channel.publish([UInt8](text: "after"), exchange: exchange, routingKey: "job", mandatory: true) == .confirmed)
        let extra = try await collector.waitFor(count: collector.count + 1)
        #expect(extra.last?.body.text == "after")
        try extra.last?.ack()
        #expect(try await channel.declareQueuePassive(named: renamed[0]).messageCount == 1)
        #expect(!consumer.consumerTag.isEmpty)

        collector.stop()
        events.stop()
        await connection.close()
        #expect(try await collector.waitUntilFinished())
    }
}
