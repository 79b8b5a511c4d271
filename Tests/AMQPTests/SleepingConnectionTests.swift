@testable import AMQP
import Synchronization
import Testing
import TestSupport

/// Publishes and settlements queued while the connection thread sleeps in `poll()` are run by
/// the caller (ConnectionCore, ConnectionLoop.runCommandsWhileAsleep); publishes can report
/// their outcome through a callback instead of a waiting task.
@Suite("Commands run while the connection sleeps", .enabled(if: TestEnvironment.brokerEnabled))
struct SleepingConnectionTests {
    @Test("on a quiet connection a publish and an ack wake no thread")
    func quietConnectionNeedsNoWakeUp() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            let consumerChannel = try await connection.openChannel()
            let consumer = try await consumerChannel.consume(queue: queue.name)
            var deliveries = consumer.makeAsyncIterator()
            let core = connection.core
            let wakesBefore = core.threadWakes.load(ordering: .relaxed)
            let ranBefore = core.commandsRunWhileAsleep.load(ordering: .relaxed)
            let rounds = 40
            for i in 0..<rounds {
                // Idle long enough for the thread to be asleep in poll() when the publish comes.
                try await Task.sleep(for: .milliseconds(15))
                #expect(try await channel.publish([UInt8](text: "m\(i)"), routingKey: queue.name) == .confirmed)
                let delivery = try #require(try await deliveries.next())
                #expect(delivery.body.text == "m\(i)")
                try await Task.sleep(for: .milliseconds(15))
                try delivery.ack()
            }
            #expect(try await Harness.eventually {
                try await channel.declareQueuePassive(named: queue.name).messageCount == 0
            })
            let wakes = core.threadWakes.load(ordering: .relaxed) - wakesBefore
            let ran = core.commandsRunWhileAsleep.load(ordering: .relaxed) - ranBefore
            // 80 commands (a publish and an ack per round); a few may find the thread waking up
            // for the broker's answer and wake it instead.
            #expect(ran >= 2 * rounds - 8, "commands run by callers: \(ran)")
            #expect(wakes <= 8, "thread wake-ups: \(wakes)")
            // The unacked count is right: nothing is redelivered after the consumer goes.
            try await consumer.cancel()
            #expect(try await channel.declareQueuePassive(named: queue.name).messageCount == 0)
        }
    }

    @Test("publishes and acks from many tasks while the thread sleeps and wakes: each message once, each confirmed")
    func concurrentCallersAndThread() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            let consumerChannel = try await connection.openChannel()
            try await consumerChannel.setPrefetch(count: 50)
            let seen = Mutex<[String: Int]>([:])
            let collector = Collector(try await consumerChannel.consume(queue: queue.name)) { delivery in
                seen.withLock { $0[delivery.body.text, default: 0] += 1 }
                // Acks come from the consumer task, some after a pause (the thread may sleep).
                if delivery.deliveryTag % 7 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
                try? delivery.ack()
            }
            let publishers = 8, each = 250
            let outcomes = try await withThrowingTaskGroup(of: [PublishOutcome].self) { group in
                for p in 0..<publishers {
                    group.addTask {
                        var outcomes: [PublishOutcome] = []
                        for i in 0..<each {
                            if i % 50 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                            outcomes.append(try await channel.publish([UInt8](text: "p\(p)-\(i)"), routingKey: queue.name))
                        }
                        return outcomes
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(outcomes.count == publishers * each)
            #expect(outcomes.allSatisfy { $0 == .confirmed })
            _ = try await collector.waitFor(count: publishers * each)
            #expect(try await Harness.eventually {
                try await channel.declareQueuePassive(named: queue.name).messageCount == 0
            })
            try await Task.sleep(for: .milliseconds(100))
            let counts = seen.withLock { $0 }
            #expect(counts.count == publishers * each)
            #expect(counts.values.allSatisfy { $0 == 1 }, "no message delivered twice")
            collector.stop()
            #expect(channel.isOpen && consumerChannel.isOpen)
        }
    }

    @Test("a publish with a completion hears confirmed, returned, refused, or the closed channel")
    func completionOutcomes() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(
                QueueDeclaration(name: "", exclusive: true, arguments: ["x-max-length": 1, "x-overflow": "reject-publish"]))
            try await channel.enableConfirms()
            func publish(_ key: String, mandatory: Bool = false, on target: AMQPChannel? = nil) async -> Result<PublishOutcome, AMQPError> {
                await withCheckedContinuation { continuation in
                    (target ?? channel).publish([UInt8](text: "x"), routingKey: key, mandatory: mandatory) { result in
                        continuation.resume(returning: result)
                    }
                }
            }
            #expect(try await publish(queue.name).get() == .confirmed)
            #expect(try await publish(queue.name).get() == .nacked, "the queue is full and rejects")
            guard case .returned(let returned) = try await publish(Harness.unique("nowhere"), mandatory: true).get() else {
                Issue.record("an unroutable mandatory publish should be returned")
                return
            }
            #expect(returned.replyCode == 312)

            let closing = try await connection.openChannel()
            try await closing.enableConfirms()
            try await closing.close()
            guard case .failure(let error) = await publish(queue.name, on: closing) else {
                Issue.record("a publish on a closed channel should fail")
                return
            }
            #expect(error.kind == .channelClosed)
        }
    }
}
