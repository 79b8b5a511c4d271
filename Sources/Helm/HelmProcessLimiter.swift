/// Bounds how many helm processes run at once (each one is a Go program holding a chart, the
/// rendered manifests and API connections in memory; a burst of cluster operations must not
/// start dozens).
///
/// Callers beyond the limit wait in FIFO order; a waiting caller whose task is cancelled leaves
/// the queue at once with `CancellationError`.
public actor HelmProcessLimiter {
    public nonisolated let limit: Int
    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    private var highWater = 0

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `body` once a slot is free; the slot is released when it returns or throws.
    public func withPermit<Result: Sendable>(
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        try await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }

    /// Slots in use now.
    public var runningCount: Int { running }
    /// Callers waiting for a slot now.
    public var waitingCount: Int { waiters.count }
    /// The most slots ever in use at once.
    public var highWaterMark: Int { highWater }

    private func acquire() async throws {
        try Task.checkCancellation()
        if running < limit {
            running += 1
            highWater = max(highWater, running)
            return
        }
        let id = nextWaiterID
        nextWaiterID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        // The slot was handed over by `release()`; a task cancelled meanwhile gives it back.
        if Task.isCancelled {
            release()
            throw CancellationError()
        }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // Hand the slot straight to the next waiter: `running` stays the same.
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
