import AMQP
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

/// Shared plumbing of the broker tests: configurations for the broker `tools/test` started,
/// unique names (tests run in parallel on one broker) and a connection that is always closed.
enum Harness {
    static func endpoint(_ broker: TestEnvironment.Broker, password: String = "guest") -> Endpoint {
        Endpoint(host: "127.0.0.1", port: broker.port, username: "guest", password: Password(password))
    }

    static func configuration(_ broker: TestEnvironment.Broker) -> AMQPConfiguration {
        var configuration = AMQPConfiguration(endpoints: [endpoint(broker)])
        configuration.connectTimeout = .seconds(5)
        configuration.handshakeTimeout = .seconds(5)
        configuration.rpcTimeout = .seconds(10)
        configuration.connectionName = "amqp-tests"
        return configuration
    }

    static func unique(_ prefix: String) -> String {
        "amqp-test-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func logger(_ capture: LogCapture? = nil) -> Logger {
        if let capture { return capture.logger(label: "amqp-test") }
        var logger = Logger(label: "amqp-test") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a connection to the shared broker and closes it afterwards, also when `body` throws.
    static func withConnection<R>(
        logs: LogCapture? = nil,
        configure: (inout AMQPConfiguration) -> Void = { _ in },
        _ body: (AMQPConnection) async throws -> R
    ) async throws -> R {
        let broker = try TestEnvironment.requireBroker()
        var configuration = configuration(broker)
        configure(&configuration)
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logger(logs))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Waits until `condition` holds, polling every 50 ms, for at most `timeout`.
    static func eventually(
        timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

}

/// Drains a consumer in a task of its own and keeps what arrived, so that tests can wait for
/// a number of deliveries (or for silence) with a time limit.
final class Collector: Sendable {
    private struct State {
        var deliveries: [AMQPDelivery] = []
        var finished = false
        var error: (any Error)?
    }
    private final class Box: Sendable { let state = Mutex(State()) }
    private let box = Box()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ consumer: AMQPConsumer, onDelivery: @escaping @Sendable (AMQPDelivery) async -> Void = { _ in }) {
        let box = self.box
        let task = Task {
            do {
                for try await delivery in consumer {
                    box.state.withLock { $0.deliveries.append(delivery) }
                    await onDelivery(delivery)
                }
                box.state.withLock { $0.finished = true }
            } catch {
                box.state.withLock {
                    $0.finished = true
                    $0.error = error
                }
            }
        }
        self.task.withLock { $0 = task }
    }

    var deliveries: [AMQPDelivery] { box.state.withLock { $0.deliveries } }
    var count: Int { box.state.withLock { $0.deliveries.count } }
    var finished: Bool { box.state.withLock { $0.finished } }
    var error: (any Error)? { box.state.withLock { $0.error } }

    /// The deliveries once there are at least `count` (or whatever arrived within `timeout`).
    @discardableResult
    func waitFor(count: Int, timeout: Duration = .seconds(10)) async throws -> [AMQPDelivery] {
        _ = try await Harness.eventually(timeout: timeout) { self.count >= count }
        return deliveries
    }

    func waitUntilFinished(timeout: Duration = .seconds(10)) async throws -> Bool {
        try await Harness.eventually(timeout: timeout) { self.finished }
    }

    func stop() { task.withLock { $0?.cancel() } }
}

extension Array where Element == UInt8 {
    init(text: String) { self = Array(text.utf8) }
    var text: String { String(decoding: self, as: UTF8.self) }
}

extension Harness {
    /// Publishes `count` messages (bodies "0", "1", …) with confirms, `window` at a time.
    static func publishNumbered(
        _ count: Int, on channel: AMQPChannel, exchange: String = "", routingKey: String,
        properties: AMQPProperties = AMQPProperties(), window: Int = 500
    ) async throws {
        var next = 0
        while next < count {
            let upper = min(next + window, count)
            try await withThrowingTaskGroup(of: PublishOutcome.self) { group in
                for i in next..<upper {
                    group.addTask {
                        try await channel.publish([UInt8](text: String(i)), exchange: exchange, routingKey: routingKey, properties: properties)
                    }
                }
                for try await outcome in group { #expect(outcome == .confirmed) }
            }
            next = upper
        }
    }

    /// Runs a blocking call (a tool that takes seconds) off the cooperative thread pool.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }

    /// A local TCP port nothing listens on (bound, then released).
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Records a connection's events for later assertions.
final class EventRecorder: Sendable {
    private final class Box: Sendable { let events = Mutex<[AMQPConnectionEvent]>([]) }
    private let box = Box()
    private let task: Task<Void, Never>

    init(_ connection: AMQPConnection) {
        let box = self.box
        let stream = connection.events()
        task = Task {
            for await event in stream { box.events.withLock { $0.append(event) } }
        }
    }

    var events: [AMQPConnectionEvent] { box.events.withLock { $0 } }

    func contains(_ predicate: (AMQPConnectionEvent) -> Bool) -> Bool { events.contains(where: predicate) }

    func stop() { task.cancel() }
}
