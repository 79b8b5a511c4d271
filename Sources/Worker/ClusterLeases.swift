import Foundation
public import Logging
public import MagnumObjects
public import OsloMessaging

/// Hooks for lease metrics (`Operations.WorkerMetrics` has the gauges and counters: wire
/// `owned` to `setOwnedLeases`, `acquired` to `leaseAcquired`, `lost` to `leaseLost(reason:)`).
public struct LeaseEvents: Sendable {
    public var owned: @Sendable (Int) -> Void
    public var acquired: @Sendable () -> Void
    /// `expired`, `taken_over` or `store_unavailable`.
    public var lost: @Sendable (String) -> Void

    public init(owned: @escaping @Sendable (Int) -> Void = { _ in }, acquired: @escaping @Sendable () -> Void = {},
                lost: @escaping @Sendable (String) -> Void = { _ in }) {
        self.owned = owned
        self.acquired = acquired
        self.lost = lost
    }

    public static let none = LeaseEvents()
}

/// Another worker (or another handler of this one) holds the cluster and did not let go within
/// `[capi_worker] lease_acquire_timeout`: the request is handed back to the broker (requeued),
/// not failed.
public struct ClusterBusy: Error, Sendable, CustomStringConvertible, RetryableError {
    public let resource: String
    public let holder: String?

    public init(resource: String, holder: String?) {
        self.resource = resource
        self.holder = holder
    }

    public var description: String {
        "cluster \(resource) is being worked on by \(holder ?? "another handler"); the request is handed back to the broker"
    }
}

/// Per-cluster exclusivity across workers: at most one worker (and within it one handler or
/// sync) acts on a cluster at a time.
///
/// A lease is a row in `capi_worker_lease` (owner, expiry) taken with a conditional write,
/// renewed every third of `leaseTime` while the work runs, and deleted when it ends. A worker
/// that dies stops renewing: its leases expire `leaseTime` after the last renewal and any other
/// worker takes them over. Within one worker, an in-process lock per cluster queues its own
/// handlers first, so the database is asked only by one of them.
///
/// Why a lease table and not MariaDB's `GET_LOCK`: see docs/reliability.md (a lock tied to a
/// connection is lost silently with the connection, needs one pinned pool connection per held
/// cluster, does not exist in SQLite, and cannot be inspected or expired by time).
public actor ClusterLeases {
    public nonisolated let owner: String
    public nonisolated let leaseTime: Double
    public nonisolated let acquireTimeout: Double
    public nonisolated let table: ClusterLeaseTable
    nonisolated let clock: any WorkerClock
    let events: LeaseEvents
    let logger: Logger

    private struct LocalLock {
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private var locked: [String: LocalLock] = [:]
    private var held: [String: Task<Void, Never>] = [:]
    private var stopped = false

    /// - Parameters:
    ///   - owner: unique per worker instance (`host/pid/random`, see `ClusterLeases.ownerID`).
    ///   - leaseTime: seconds a lease lasts without renewal (`[capi_worker] lease_time`).
    ///   - acquireTimeout: seconds to wait for a busy cluster (`[capi_worker] lease_acquire_timeout`).
    public init(table: ClusterLeaseTable, owner: String, leaseTime: Double = 60, acquireTimeout: Double = 60,
                clock: any WorkerClock = WallClock(), events: LeaseEvents = .none, logger: Logger) {
        self.table = table
        self.owner = owner
        self.leaseTime = max(0.5, leaseTime)
        self.acquireTimeout = max(0, acquireTimeout)
        self.clock = clock
        self.events = events
        self.logger = logger
    }

    /// `host/pid/8 hex`: distinct for every worker instance, recognisable by an operator.
    public static func ownerID(host: String) -> String {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)/\(ProcessInfo.processInfo.processIdentifier)/\(String(repeating: "0", count: max(0, 8 - random.count)))\(random)"
    }

    /// Clusters this worker holds now.
    public var heldResources: [String] { Array(held.keys).sorted() }

    /// Runs `body` holding `resource`'s lease. Waits for it up to `acquireTimeout` when `wait`,
    /// else gives up at once; either way throws `ClusterBusy` when it could not be had.
    public func withLease<T: Sendable>(_ resource: String, wait: Bool = true,
                                       _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(resource, wait: wait)
        do {
            let value = try await body()
            await release(resource)
            return value
        } catch {
            await release(resource)
            throw error
        }
    }

    /// Takes the lease (in-process lock first, then the table) and starts renewing it.
    public func acquire(_ resource: String, wait: Bool = true) async throws {
        guard !stopped else { throw ClusterBusy(resource: resource, holder: "this worker, which is shutting down") }
        let deadline = Date().addingTimeInterval(wait ? acquireTimeout : 0)
        try await lockLocally(resource, until: deadline)
        var log = logger
        log[metadataKey: "cluster_uuid"] = "\(resource)"
        var pause = 0.02
        while true {
            let now = clock.now()
            let won: Bool
            do {
                won = try await table.acquire(resource, owner: owner, now: now, expiresAt: now.adding(seconds: leaseTime))
            } catch {
                unlockLocally(resource)
                throw error
            }
            if won { break }
            if !wait || Date() >= deadline || stopped {
                let holder = try? await table.lease(resource)
                unlockLocally(resource)
                throw ClusterBusy(resource: resource, holder: holder?.owner)
            }
            // Jittered back-off: workers racing for one cluster do not retry in lock-step.
            try? await Task.sleep(for: .seconds(pause * Double.random(in: 0.5...1.5)))
            pause = min(pause * 2, 0.5)
        }
        events.acquired()
        held[resource] = renewal(resource, logger: log)
        events.owned(held.count)
        log.debug("lease acquired", metadata: ["owner": "\(owner)"])
    }

    /// Stops renewing and deletes the lease; the next local waiter goes on.
    public func release(_ resource: String) async {
        if let renewal = held.removeValue(forKey: resource) {
            renewal.cancel()
            events.owned(held.count)
            do { try await table.release(resource, owner: owner) } catch {
                logger.warning("could not release the lease (it expires by itself): \(error)", metadata: ["cluster_uuid": "\(resource)"])
            }
        }
        unlockLocally(resource)
    }

    /// Shutdown: new acquisitions fail, every lease of this worker is deleted.
    public func releaseAll() async {
        stopped = true
        for (_, renewal) in held { renewal.cancel() }
        let count = held.count
        held = [:]
        events.owned(0)
        do {
            let rows = try await table.releaseAll(owner: owner)
            logger.info("released \(rows) lease(s)", metadata: ["owner": "\(owner)", "held": "\(count)"])
        } catch {
            logger.warning("could not release leases (they expire after \(leaseTime) s): \(error)", metadata: ["owner": "\(owner)"])
        }
    }

    /// Renews every third of the lease time, in real time; reports a lost lease.
    private func renewal(_ resource: String, logger: Logger) -> Task<Void, Never> {
        let table = self.table, owner = self.owner, leaseTime = self.leaseTime, clock = self.clock, events = self.events
        return Task {
            var failures = 0
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(leaseTime / 3)) } catch { return }
                do {
                    if try await table.renew(resource, owner: owner, expiresAt: clock.now().adding(seconds: leaseTime)) {
                        failures = 0
                    } else {
                        if Task.isCancelled { return }
                        logger.error("lease lost: another worker took the cluster over; this worker's work on it may overlap")
                        events.lost("taken_over")
                        return
                    }
                } catch {
                    failures += 1
                    if failures >= 2 {
                        logger.error("lease could not be renewed (\(error)); it expires after \(leaseTime) s")
                        events.lost("store_unavailable")
                        return
                    }
                }
            }
        }
    }

    private func lockLocally(_ resource: String, until deadline: Date) async throws {
        if locked[resource] == nil {
            locked[resource] = LocalLock()
            return
        }
        // Queued behind this worker's own holder; the wait is bounded by whoever holds it,
        // which is itself bounded by its handler.
        await withCheckedContinuation { continuation in locked[resource]?.waiters.append(continuation) }
        if Date() > deadline.addingTimeInterval(leaseTime) {
            unlockLocally(resource)
            throw ClusterBusy(resource: resource, holder: "this worker")
        }
    }

    private func unlockLocally(_ resource: String) {
        guard var lock = locked[resource] else { return }
        if lock.waiters.isEmpty {
            locked[resource] = nil
        } else {
            let next = lock.waiters.removeFirst()
            locked[resource] = lock
            next.resume()
        }
    }
}
