import AMQP
import Foundation
import Testing
import TestSupport

@Suite("Heartbeats", .enabled(if: TestEnvironment.brokerEnabled))
struct HeartbeatTests {
    @Test("with a 2 s heartbeat, a handler busy for 6 s holding a delivery does not lose the connection")
    func busyHandlerKeepsConnection() async throws {
        let broker = try TestEnvironment.requireBroker()
        let name = Harness.unique("heartbeat")
        try await Harness.withConnection(configure: {
            $0.heartbeat = .seconds(2)
            $0.connectionName = name
        }) { connection in
            let events = EventRecorder(connection)
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            #expect(try await channel.publish([UInt8](text: "slow work"), routingKey: queue.name) == .confirmed)

            // The broker agreed to 2 s heartbeats for this connection.
            let listing = try await broker.rabbitmqctl("list_connections", "--quiet", "--no-table-headers", "client_properties", "timeout")
            #expect(listing.split(separator: "\n").contains { $0.contains(name) && $0.hasSuffix("\t2") }, "\(listing)")

            let handled = Collector(try await channel.consume(queue: queue.name)) { delivery in
                // Busy far longer than two heartbeat intervals; the connection thread keeps beating.
                try? await Task.sleep(for: .seconds(6))
                #expect(delivery.isOwned)
                #expect(throws: Never.self) { try delivery.ack() }
            }
            try await handled.waitFor(count: 1)
            try await Task.sleep(for: .seconds(6.5))
            #expect(connection.isConnected)
            #expect(!events.contains { if case .disconnected = $0 { true } else { false } }, "\(events.events)")
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == 0)
            handled.stop()
            events.stop()
        }
    }
}
