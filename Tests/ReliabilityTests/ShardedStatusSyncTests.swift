import ClusterStore
import Foundation
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// Three workers share the periodic status sync of 300 clusters (membership from their
/// `magnum_service` heartbeats, rendezvous hashing on the cluster uuid), on one virtual clock.
@Suite("Sharded status sync")
struct ShardedStatusSyncTests {
    @Test func eachClusterIsSyncedByExactlyOneWorkerPerPeriodAndADeadWorkersShareMovesWithinALeaseTime() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        let clusters = 300
        for i in 0..<clusters { try await Fixture.createCluster(seed, i, status: "UPDATE_IN_PROGRESS") }
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let start = WallClock().now()
        let clock = VirtualClock(start: start)
        let leaseTime = 30.0
        let interval = 10.0  // [capi_worker] status_sync_interval
        let options = ReliabilityOptions(leaseTime: leaseTime, leaseAcquireTimeout: 1, periodicJitter: 0)
        var workers: [TestWorker] = []
        for name in ["worker-a", "worker-b", "worker-c"] {
            // The clusters never finish (completes: false): every period syncs all of them.
            workers.append(try await TestWorker.start(host: name, broker: broker, database: database, ledger: ledger, options: options,
                                                      periodicMode: .manual(clock), periodicEnable: true, serviceDownTime: 180,
                                                      completes: false))
        }
        // Every worker reports once before the first sync, as they would have been running a while.
        for w in workers { await w.service.heartbeat.report() }

        /// Runs one period on the live workers; returns who synced each cluster in it.
        func period(_ n: Int, live: [TestWorker]) async -> [String: [String]] {
            let before = ledger.calls.count
            let t = start.adding(seconds: Double(n) * interval)
            for w in live { await w.service.runPeriodicTasks(until: t) }
            var who: [String: [String]] = [:]
            for call in ledger.calls[before...] where call.method == "update_cluster_status" { who[call.cluster, default: []].append(call.worker) }
            return who
        }

        // Three periods with all three: each cluster once per period, by its rendezvous owner.
        for n in 0..<3 {
            let who = await period(n, live: workers)
            #expect(who.count == clusters, "period \(n): \(who.count) clusters synced")
            #expect(who.values.allSatisfy { $0.count == 1 }, "period \(n): a cluster was synced twice")
            let shares = Dictionary(grouping: who.values.map { $0[0] }, by: { $0 }).mapValues(\.count)
            #expect(shares.count == 3 && shares.values.allSatisfy { $0 > 60 }, "\(shares)")
            for (cluster, w) in who {
                #expect(RendezvousHash.owner(of: cluster, among: ["worker-a", "worker-b", "worker-c"]) == w[0])
            }
        }

        // worker-c dies after period 2 (its last heartbeat was at period 2's time).
        let dead = workers[2]
        await dead.crash()
        let survivors = Array(workers.prefix(2))
        let deadShare = Set((0..<clusters).map { Fixture.clusterUUID($0) }
            .filter { RendezvousHash.owner(of: $0, among: ["worker-a", "worker-b", "worker-c"]) == "worker-c" })
        var pickedUpAt: Double?
        for n in 3..<9 {
            let who = await period(n, live: survivors)
            #expect(who.values.allSatisfy { $0.count == 1 }, "period \(n): a cluster was synced twice")
            #expect(!who.values.contains { $0.contains("worker-c") })
            if who.count == clusters, pickedUpAt == nil { pickedUpAt = Double(n - 2) * interval }
            if pickedUpAt != nil { #expect(who.count == clusters, "period \(n) after the takeover") }
            if pickedUpAt == nil {
                // Until the survivors see c gone, c's share waits (nobody else syncs it).
                #expect(Set(who.keys).isDisjoint(with: deadShare))
            }
        }
        let takeover = try #require(pickedUpAt, "the dead worker's clusters were never picked up")
        // Picked up within one lease time of its death (it leaves the sharding after half a lease
        // time without a heartbeat the survivors can see; they beat every quarter lease time).
        #expect(takeover <= leaseTime, "took \(takeover) s")
        for w in survivors { #expect(await w.service.shard?.members == ["worker-a", "worker-b"]) }

        // A worker joins again: the shares rebalance to three.
        let back = try await TestWorker.start(host: "worker-c", broker: broker, database: database, ledger: ledger, options: options,
                                              periodicMode: .manual(clock), periodicEnable: true, serviceDownTime: 180, completes: false)
        await back.service.heartbeat.report()
        let everyone = survivors + [back]
        _ = await period(9, live: everyone)
        let who = await period(10, live: everyone)
        #expect(who.count == clusters && who.values.allSatisfy { $0.count == 1 })
        #expect(Set(who.values.map { $0[0] }) == ["worker-a", "worker-b", "worker-c"])
        for w in everyone { await w.service.stop() }
        await seed.close()
        await database.cleanup()
    }
}
