// The Swift side of tools/bench: fills a queue, or drains it through the AMQP module's
// AsyncSequence with one ack per message (the same work as tools/bench-c/consumer.c).
//
//   amqp-bench fill    PORT QUEUE COUNT BODY_FILE
//   amqp-bench consume PORT QUEUE COUNT PREFETCH
// Prints the consume rate (messages per second) and the CPU time per message (µs) on standard output.
import AMQP
import Foundation
import Logging

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("amqp-bench: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 6, let port = Int(arguments[2]), let count = Int(arguments[4]), count > 0 else {
    fail("usage: amqp-bench fill PORT QUEUE COUNT BODY_FILE | consume PORT QUEUE COUNT PREFETCH")
}
let queue = arguments[3]
var logger = Logger(label: "amqp-bench")
logger.logLevel = .warning
var configuration = AMQPConfiguration(endpoints: [Endpoint(host: "127.0.0.1", port: port)])
configuration.connectionName = "amqp-bench"

let connection = try await AMQPConnection.connect(configuration: configuration, logger: logger)
let channel = try await connection.openChannel()

switch arguments[1] {
case "fill":
    guard let body = FileManager.default.contents(atPath: arguments[5]) else { fail("cannot read \(arguments[5])") }
    let bytes = [UInt8](body)
    // What oslo.messaging puts on a cast (see Tests/Fixtures/wire/cluster_create_defaults.jsonl).
    let properties = AMQPProperties(
        contentType: "application/json", contentEncoding: "utf-8", headers: [:], deliveryMode: .persistent, priority: 0)
    try await channel.declareQueue(QueueDeclaration(name: queue))
    try await channel.purgeQueue(named: queue)
    try await channel.enableConfirms()
    var sent = 0
    while sent < count {
        let batch = min(1000, count - sent)
        try await withThrowingTaskGroup(of: PublishOutcome.self) { group in
            for _ in 0..<batch {
                group.addTask { try await channel.publish(bytes, routingKey: queue, properties: properties) }
            }
            for try await outcome in group where outcome != .confirmed { fail("publish not confirmed: \(outcome)") }
        }
        sent += batch
    }
    let declared = try await channel.declareQueuePassive(named: queue)
    FileHandle.standardError.write(Data("swift: filled \(queue) with \(declared.messageCount) messages of \(bytes.count) bytes\n".utf8))

case "consume":
    guard let prefetch = UInt16(arguments[5]) else { fail("bad prefetch") }
    try await channel.setPrefetch(count: prefetch)
    let consumer = try await channel.consume(queue: queue)
    // Drained off the main actor, as a worker's consumer task would be.
    let (received, bytes, elapsed) = try await Drain.run(consumer, count: count)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    // rate, CPU time (user + system, whole process) per message in microseconds, peak RSS in KiB
    print(String(format: "%.1f %.2f", Double(received - 1) / seconds, cpu * 1e6 / Double(received)) + " \(usage.ru_maxrss)")
    FileHandle.standardError.write(
        Data("swift: \(received) messages (\(bytes) bytes) in \(String(format: "%.3f", seconds)) s\n".utf8))

default:
    fail("unknown mode \(arguments[1])")
}
await connection.close()

enum Drain {
    /// Takes `count` deliveries, acknowledging each; returns how many, their bytes and the time from the first.
    static func run(_ consumer: AMQPConsumer, count: Int) async throws -> (Int, Int, Duration) {
        var received = 0
        var bytes = 0
        let clock = ContinuousClock()
        var start = clock.now
        for try await delivery in consumer {
            if received == 0 { start = clock.now }
            bytes += delivery.body.count
            try delivery.ack()
            received += 1
            if received == count { break }
        }
        return (received, bytes, clock.now - start)
    }
}
