import Foundation
public import MagnumObjects
import Synchronization

/// Where the conductor's periodic work and its notifications get the time from. The live worker
/// uses the wall clock; tests and the replay tool use a `VirtualClock` they move forward
/// themselves, so a ten-minute status sync plays out in microseconds and always the same way.
public protocol WorkerClock: Sendable {
    /// The current time, UTC.
    func now() -> Timestamp
    /// Returns once `deadline` has passed (at once when it already has). Throws
    /// `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Timestamp) async throws
}

/// The real time of the host (`timeutils.utcnow()`), sleeping with `Task.sleep`.
public struct WallClock: WorkerClock {
    public init() {}

    public func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
    }

    public func sleep(until deadline: Timestamp) async throws {
        let remaining = Double(deadline.microsecondsSinceEpoch - now().microsecondsSinceEpoch) / 1_000_000
        if remaining > 0 {
            try await Task.sleep(for: .microseconds(Int64(remaining * 1_000_000)))
        } else {
            try Task.checkCancellation()
        }
    }
}

/// A clock that only moves when told to. `advance(to:)` wakes every sleeper whose deadline has
/// been reached, earliest first.
///
/// Waking a sleeper does not wait for what it does next; code that needs "run everything due up
/// to time T, to completion" drives the periodic tasks directly
/// (`PeriodicTaskScheduler.advance(_:to:)`) instead of relying on sleeps.
public final class VirtualClock: WorkerClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Timestamp
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Timestamp
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(start: Timestamp) {
        state = Mutex(State(now: start))
    }

    public func now() -> Timestamp { state.withLock { $0.now } }

    /// Sleepers currently waiting (for tests that must know a loop went to sleep).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves the time forward (never backwards) and wakes the sleepers that are due.
    public func advance(to time: Timestamp) {
        let due: [Sleeper] = state.withLock { s in
            if time > s.now { s.now = time }
            let now = s.now
            let ready = s.sleepers.filter { $0.deadline <= now }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            s.sleepers.removeAll { $0.deadline <= now }
            return ready
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    public func advance(by seconds: Double) {
        advance(to: now().adding(seconds: seconds))
    }

    public func sleep(until deadline: Timestamp) async throws {
        try Task.checkCancellation()
        let id: UInt64 = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // The cancellation flag is set before the handler runs: a cancellation that came
                // before the sleeper was registered is seen here.
                let cancelled = Task.isCancelled
                let resumeNow: Bool = state.withLock { s in
                    if cancelled || deadline <= s.now { return true }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow {
                    if cancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let cancelled: Sleeper? = state.withLock { s in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }
}

extension Timestamp {
    /// `2026-11-25T00:01:42.123456` — how `jsonutils.to_primitive` writes a datetime
    /// (`strftime('%Y-%m-%dT%H:%M:%S.%f')`): always six digits, no zone.
    var pythonPrimitive: String {
        let c = components
        return "\(pad4(c.year))-\(pad2(c.month))-\(pad2(c.day))T\(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)).\(pad6(Int(c.microsecond)))"
    }

    /// `2026-11-25T00:01:42.123456+0000` — pycadf's `get_utc_now()`.
    var cadfEventTime: String { pythonPrimitive + "+0000" }
}

private func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
private func pad4(_ v: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, 4 - s.count)) + s }
private func pad6(_ v: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, 6 - s.count)) + s }
