import DequeModule
import Synchronization

/// Remembers the last `capacity` `_unique_id`s a server accepted, so a message the broker hands
/// out twice (a lost acknowledgement, a publisher retry) is processed once. oslo keeps 16 per
/// listener (`_MsgIdCache.DUP_MSG_CHECK_SIZE`); share one filter between a server's queues.
public final class DuplicateFilter: Sendable {
    /// oslo.messaging's window.
    public static let osloWindowSize = 16

    public let capacity: Int
    private let state: Mutex<(order: Deque<String>, members: Set<String>)>

    public init(capacity: Int = DuplicateFilter.osloWindowSize) {
        self.capacity = max(1, capacity)
        state = Mutex((Deque(), Set()))
    }

    /// `true` when `id` is in the window (a duplicate); otherwise records it and returns `false`.
    public func checkAndRecord(_ id: String) -> Bool {
        state.withLock { s in
            if s.members.contains(id) { return true }
            s.order.append(id)
            s.members.insert(id)
            while s.order.count > capacity, let old = s.order.popFirst() { s.members.remove(old) }
            return false
        }
    }

    public func contains(_ id: String) -> Bool { state.withLock { $0.members.contains(id) } }

    /// Takes `id` out of the window, for a message handed back to the broker for redelivery.
    public func forget(_ id: String) {
        state.withLock { s in
            guard s.members.remove(id) != nil else { return }
            if let index = s.order.firstIndex(of: id) { s.order.remove(at: index) }
        }
    }

    public var count: Int { state.withLock { $0.order.count } }
}
