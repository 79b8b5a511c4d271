import ClusterStore
import Foundation
import Synchronization
import MagnumObjects
import Testing
import TestSupport
import Worker

/// The lease table and manager on both backends: one owner at a time, renewal, expiry and
/// takeover on the worker's clock, release and release-all.
@Suite("Cluster leases")
struct ClusterLeasesTests {
    static func withDatabase(_ backend: SharedDatabase.Backend, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let shared: SharedDatabase
        switch backend {
        case .sqlite: shared = try SharedDatabase.sqlite()
        case .mariadb:
            guard TestEnvironment.mariadbEnabled else { return }
            shared = try await SharedDatabase.mariadb("lease")
        }
        let database = try await shared.open()
        do {
            try await WorkerSchema.migrate(database)
            try await body(database)
        } catch {
            await database.close()
            await shared.cleanup()
            throw error
        }
        await database.close()
        await shared.cleanup()
    }

    @Test(arguments: [SharedDatabase.Backend.sqlite, .mariadb])
    func oneOwnerAtATimeUntilExpiry(_ backend: SharedDatabase.Backend) async throws {
        try await Self.withDatabase(backend) { database in
            let table = ClusterLeaseTable(database: database)
            let t0 = Timestamp(microsecondsSinceEpoch: 1_795_000_000_000_000)
            #expect(try await table.acquire("c1", owner: "a", now: t0, expiresAt: t0.adding(seconds: 30)))
            #expect(try await !table.acquire("c1", owner: "b", now: t0.adding(seconds: 10), expiresAt: t0.adding(seconds: 40)))
            // The owner may take it again (re-acquire extends it).
            #expect(try await table.acquire("c1", owner: "a", now: t0.adding(seconds: 10), expiresAt: t0.adding(seconds: 40)))
            #expect(try await table.renew("c1", owner: "a", expiresAt: t0.adding(seconds: 60)))
            #expect(try await !table.renew("c1", owner: "b", expiresAt: t0.adding(seconds: 60)))
            #expect(try await !table.acquire("c1", owner: "b", now: t0.adding(seconds: 59), expiresAt: t0.adding(seconds: 90)))
            // Expired: another owner takes it over; the old owner can no longer renew it.
            #expect(try await table.acquire("c1", owner: "b", now: t0.adding(seconds: 61), expiresAt: t0.adding(seconds: 91)))
            #expect(try await !table.renew("c1", owner: "a", expiresAt: t0.adding(seconds: 120)))
            #expect(try await table.lease("c1")?.owner == "b")
            // Release only by the owner.
            try await table.release("c1", owner: "a")
            #expect(try await table.lease("c1")?.owner == "b")
            try await table.release("c1", owner: "b")
            #expect(try await table.lease("c1") == nil)
            // Release-all on shutdown.
            for c in ["x", "y", "z"] { _ = try await table.acquire(c, owner: "a", now: t0, expiresAt: t0.adding(seconds: 30)) }
            _ = try await table.acquire("w", owner: "b", now: t0, expiresAt: t0.adding(seconds: 30))
            #expect(try await table.releaseAll(owner: "a") == 3)
            #expect(try await table.lease("w")?.owner == "b")
        }
    }

    @Test(arguments: [SharedDatabase.Backend.sqlite, .mariadb])
    func racingAcquirersNeverBothWin(_ backend: SharedDatabase.Backend) async throws {
        try await Self.withDatabase(backend) { database in
            let table = ClusterLeaseTable(database: database)
            let t0 = WallClock().now()
            for round in 0..<20 {
                let winners = await withTaskGroup(of: Bool.self) { group -> Int in
                    for owner in 0..<4 {
                        group.addTask {
                            (try? await table.acquire("r\(round)", owner: "o\(owner)", now: t0, expiresAt: t0.adding(seconds: 30))) ?? false
                        }
                    }
                    var n = 0
                    for await won in group where won { n += 1 }
                    return n
                }
                #expect(winners == 1, "round \(round)")
            }
        }
    }

    @Test func theManagerSerialisesHoldersAndADeadOwnersLeaseExpires() async throws {
        try await Self.withDatabase(.sqlite) { database in
            let clock = VirtualClock(start: Timestamp(microsecondsSinceEpoch: 1_795_000_000_000_000))
            let a = ClusterLeases(table: ClusterLeaseTable(database: database), owner: "a", leaseTime: 30, acquireTimeout: 0.3,
                                  clock: clock, logger: testLogger)
            let b = ClusterLeases(table: ClusterLeaseTable(database: database), owner: "b", leaseTime: 30, acquireTimeout: 0.3,
                                  clock: clock, logger: testLogger)
            // a holds the cluster and "dies" holding it (never releases).
            try await a.acquire("c1")
            await #expect(throws: ClusterBusy.self) { try await b.withLease("c1") { () } }
            // Within one lease time it is still a's; after it, b takes it over.
            clock.advance(by: 29)
            await #expect(throws: ClusterBusy.self) { try await b.withLease("c1", wait: false) { () } }
            clock.advance(by: 2)
            let ran = try await b.withLease("c1") { true }
            #expect(ran)
            // Within one worker, holders of one cluster queue behind each other.
            let inside = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await b.withLease("c2") {
                            let n = inside.add(1)
                            #expect(n == 1)
                            try await Task.sleep(for: .milliseconds(10))
                            inside.add(-1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await b.heldResources.isEmpty)
            await a.releaseAll()
            #expect(try await ClusterLeaseTable(database: database).lease("c1") == nil)
        }
    }

    @Test func rendezvousHashingSpreadsAndMovesOnlyTheLostShare() {
        let members = ["worker-a", "worker-b", "worker-c"]
        let keys = (0..<3000).map { Fixture.clusterUUID($0) }
        var counts: [String: Int] = [:]
        for k in keys { counts[RendezvousHash.owner(of: k, among: members) ?? "", default: 0] += 1 }
        for m in members { #expect((800...1200).contains(counts[m] ?? 0), "\(m): \(counts[m] ?? 0)") }
        // Worker c leaves: only its keys move; a's and b's stay.
        for k in keys {
            let before = RendezvousHash.owner(of: k, among: members)
            let after = RendezvousHash.owner(of: k, among: ["worker-a", "worker-b"])
            if before != "worker-c" { #expect(before == after) }
        }
        // Order of members does not matter.
        #expect(keys.allSatisfy { RendezvousHash.owner(of: $0, among: members) == RendezvousHash.owner(of: $0, among: members.reversed()) })
    }
}

final class Counter: Sendable {
    private let value = Synchronization.Mutex(0)
    @discardableResult func add(_ n: Int) -> Int { value.withLock { $0 += n; return $0 } }
    var current: Int { value.withLock { $0 } }
}
