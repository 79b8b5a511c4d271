import Foundation
import JSON
import Logging
import OsloMessaging
import Synchronization
import Testing

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut(what: what)
}

/// Consumes a queue in the background and keeps what arrives (settling each with `.ack`).
final class QueueCollector: Sendable {
    private let items = Mutex<[Delivery]>([])
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    var deliveries: [Delivery] { items.withLock { $0 } }
    var bodies: [[UInt8]] { deliveries.map(\.body) }

    static func start(_ transport: any MessageTransport, queue: String) async throws -> QueueCollector {
        let collector = QueueCollector()
        let sub = try await transport.consume(ConsumeRequest(queue: queue))
        let t = Task {
            do {
                for try await d in sub {
                    try? await d.settle(.ack)
                    collector.items.withLock { $0.append(d) }
                }
            } catch {}
        }
        collector.task.withLock { $0 = t }
        return collector
    }

    func replies() throws -> [RPCReply] { try deliveries.map { try RPCReply(body: $0.body) } }

    func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        try await eventually("\(count) messages", timeout: timeout) { self.deliveries.count >= count }
    }
}

/// Counts running handlers and remembers the peak.
final class ConcurrencyProbe: Sendable {
    private let state = Mutex((running: 0, peak: 0, total: 0))
    func enter() { state.withLock { $0.running += 1; $0.total += 1; $0.peak = max($0.peak, $0.running) } }
    func leave() { state.withLock { $0.running -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
    var total: Int { state.withLock { $0.total } }
}

/// A one-shot gate a handler can wait on.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

/// A counter shared with handlers.
final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var count: Int { value.withLock { $0 } }
}

/// A call body as magnum-api would send it.
func callBody(_ method: String, args: JSONObject = [:], msgID: String = Identifiers.uuidHex(), replyQueue: String,
              timeout: Int? = nil, uniqueID: String = Identifiers.uuidHex(), context: RequestContext = RequestContext(),
              namespace: String? = nil, version: String? = nil) -> [UInt8] {
    RPCRequest(method: method, args: args, namespace: namespace, version: version, msgID: msgID, replyQueue: replyQueue,
               callMonitorTimeout: timeout.map(Double.init), uniqueID: uniqueID, context: context).encodedBody()
}

func castBody(_ method: String, args: JSONObject = [:], uniqueID: String = Identifiers.uuidHex(),
              context: RequestContext = RequestContext()) -> [UInt8] {
    RPCRequest(method: method, args: args, uniqueID: uniqueID, context: context).encodedBody()
}
