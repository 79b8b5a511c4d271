import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// Two workers consuming the same queue, every request for the same cluster: the cluster's
/// lease keeps their driver calls from interleaving, and every request is handled once.
@Suite("Workers racing on one cluster")
struct WorkerRaceTests {
    @Test func twoWorkersNeverInterleaveDriverCallsForACluster() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        try await Fixture.createCluster(seed, 1, status: "CREATE_COMPLETE")
        try await Fixture.createCluster(seed, 2, status: "CREATE_COMPLETE")
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let options = ReliabilityOptions(leaseTime: 5, leaseAcquireTimeout: 20)
        var workers: [TestWorker] = []
        for name in ["worker-a", "worker-b"] {
            workers.append(try await TestWorker.start(host: name, broker: broker, database: database, ledger: ledger, options: options,
                                                      callDuration: .milliseconds(15)))
        }
        let client = await makeClient(broker)
        let casts = 24
        for n in 0..<casts {
            let cluster = n % 3 == 0 ? 2 : 1
            try await client.cast("cluster_resize", args: try await Fixture.resizeArgs(seed, cluster, nodeCount: 3 + n), context: Fixture.context)
        }
        let journal = OperationJournal(database: seed.database)
        try await eventually(60, "every resize handled") {
            let done = try await seed.database.read { try $0.query("SELECT COUNT(*) FROM capi_worker_journal WHERE state = 'done'", []).rows }
            return done.first?.first == .integer(Int64(casts))
        }
        _ = journal
        #expect(ledger.overlaps.isEmpty, "\(ledger.overlaps)")
        #expect(ledger.calls.filter { $0.method == "resize_cluster" }.count == casts)
        // Both workers took part.
        #expect(Set(ledger.calls.map(\.worker)).count == 2)
        #expect(await broker.readyCount("dead") == 0)
        for w in workers { await w.service.stop() }
        await client.close()
        await seed.close()
        await database.cleanup()
    }
}
