import DequeModule
import Synchronization

/// Bounds how many handlers run at once. A lock rather than an actor: taking a free permit and
/// giving one back never suspends the task or moves it to another executor (an actor's two
/// hops per request showed in the cost of every cast).
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }
    private let state: Mutex<State>

    init(value: Int) { state = Mutex(State(available: max(1, value))) }

    func acquire() async {
        let taken = state.withLock { s -> Bool in
            guard s.available > 0 else { return false }
            s.available -= 1
            return true
        }
        if taken { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                // A permit may have come back between the first look and here.
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let next = s.waiters.popFirst() { return next }
            s.available += 1
            return nil
        }
        next?.resume()
    }
}
