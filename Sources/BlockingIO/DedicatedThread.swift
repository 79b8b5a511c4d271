import Foundation

/// One OS thread that runs blocking work (C database calls) submitted from async code, one job at
/// a time, in order.
///
/// Swift's cooperative pool has as many threads as cores; a blocking `mysql_stmt_execute` or
/// `sqlite3_step` there would stall every task behind it. Each database connection gets one of
/// these instead, which also keeps the connection on the one thread its C library expects.
/// The thread ends when `shutdown()` is called or the last reference goes away.
public final class DedicatedThread: Sendable {
    private let queue: JobQueue
    public let name: String

    public init(name: String) {
        self.name = name
        let queue = JobQueue()
        self.queue = queue
        let thread = Thread { queue.loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { queue.stop(wait: false) }

    /// Runs `body` on this thread and returns its result. The caller's task waits without
    /// blocking a cooperative thread. Cancellation cannot interrupt a running C call; the job
    /// always runs to completion.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let name = self.name
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = queue.enqueue {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted { continuation.resume(throwing: ThreadStopped(name: name)) }
        }
    }

    /// Stops accepting work, lets queued jobs finish and waits for the thread to end.
    public func shutdown() {
        queue.stop(wait: true)
    }

    /// The thread was shut down before the job could be queued.
    public struct ThreadStopped: Error, CustomStringConvertible, Sendable {
        public let name: String
        public var description: String { "the database thread \(name) has been shut down" }
    }
}

/// The jobs of one `DedicatedThread`, guarded by a condition variable. The thread holds this,
/// not the `DedicatedThread`, so dropping the last reference ends the thread.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var stopping = false
    private var finished = false

    func loop() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job()
        }
    }

    func enqueue(_ job: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func stop(wait: Bool) {
        condition.lock()
        stopping = true
        condition.broadcast()
        if wait {
            while !finished { condition.wait() }
        }
        condition.unlock()
    }
}
