public import ClusterStore
public import Logging
public import MagnumObjects

/// Which clusters this worker's periodic syncs look after: the live workers are the
/// `magnum_service` rows of binary `magnum-conductor` (the heartbeats every worker writes), and
/// each cluster belongs to the live worker with the highest rendezvous score for its uuid
/// (`RendezvousHash`). Every worker computes the same owner from the same rows, so each cluster
/// is synced by exactly one of them per period; when a worker joins or dies only the clusters it
/// gains or loses move.
///
/// A worker is live while its `report_count` keeps growing: a row whose count has not changed
/// for `memberTimeout` seconds *on this worker's clock* is dead (no comparison of clocks between
/// workers), and so is a row Magnum itself would show `down` (`last_seen_up` older than
/// `service_down_time`), disabled or forced down. This worker always counts itself.
public actor ClusterShard {
    public nonisolated let host: String
    public nonisolated let binary: String
    public nonisolated let memberTimeout: Double
    public nonisolated let serviceDownTime: Double
    let store: any ClusterStore
    let clock: any WorkerClock
    let logger: Logger
    private var seen: [String: (count: Int, changedAt: Timestamp)] = [:]
    private var current: [String] = []

    public init(store: any ClusterStore, host: String, binary: String = ServiceHeartbeat.conductorBinary, memberTimeout: Double,
                serviceDownTime: Double = 180, clock: any WorkerClock = WallClock(), logger: Logger) {
        self.store = store
        self.host = host
        self.binary = binary
        self.memberTimeout = memberTimeout
        self.serviceDownTime = serviceDownTime
        self.clock = clock
        self.logger = logger
        self.current = [host]
    }

    /// The live workers as last refreshed, sorted.
    public var members: [String] { current }

    /// Reads the heartbeat rows again; returns the live workers. On a database error the last
    /// known membership is kept (and this worker in it).
    @discardableResult
    public func refresh() async -> [String] {
        let rows: [MagnumService]
        do {
            rows = try await store.magnumServices(disabled: nil, options: .all)
        } catch {
            logger.warning("could not read magnum_service for sharding; keeping members \(current): \(error)")
            return current
        }
        let now = clock.now()
        let wallNow = WallClock().now()
        var live: Set<String> = [host]
        for row in rows where row.binary == binary {
            guard let h = row.host, !h.isEmpty, h != host else { continue }
            if row.base["disabled"]?.boolValue == true || row.base["forced_down"]?.boolValue == true { continue }
            let count = row.reportCount ?? 0
            if let previous = seen[h], previous.count == count {
                // unchanged: keep when it changed
            } else {
                seen[h] = (count, now)
            }
            guard let changedAt = seen[h]?.changedAt, now.secondsSinceEpoch - changedAt.secondsSinceEpoch < memberTimeout else { continue }
            if let lastSeen = row.lastSeenUp ?? row.base.timestamp("updated_at") ?? row.base.timestamp("created_at"),
               wallNow.secondsSinceEpoch - lastSeen.secondsSinceEpoch > serviceDownTime {
                continue
            }
            live.insert(h)
        }
        let members = live.sorted()
        if members != current {
            logger.info("sharding members changed: \(current) -> \(members)")
            current = members
        }
        return members
    }

    /// Whether this worker looks after `cluster` with the current members.
    public func owns(_ cluster: String) -> Bool {
        RendezvousHash.owner(of: cluster, among: current) == host
    }
}

/// Highest-random-weight hashing: the owner of a key is the member whose hash of
/// `member + key` is largest. Stable across processes and platforms (FNV-1a + a 64-bit mixer).
public enum RendezvousHash {
    public static func owner(of key: String, among members: [String]) -> String? {
        var best: (score: UInt64, member: String)?
        for member in members {
            let s = score(member: member, key: key)
            if let b = best, (b.score, b.member) >= (s, member) { continue }
            best = (s, member)
        }
        return best?.member
    }

    public static func score(member: String, key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in member.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        // splitmix64's finaliser spreads FNV's weak low bits.
        hash ^= hash >> 30
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash = hash &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash
    }
}
