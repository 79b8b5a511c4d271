import DequeModule

/// Bounds how many handlers run at once.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: Deque<CheckedContinuation<Void, Never>> = []

    init(value: Int) { available = max(1, value) }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if let next = waiters.popFirst() {
            next.resume()
        } else {
            available += 1
        }
    }
}
