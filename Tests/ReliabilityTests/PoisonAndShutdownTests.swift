import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

@Suite("Poison requests and graceful shutdown")
struct PoisonAndShutdownTests {
    /// A request that kills every worker that runs it is started `max_deliveries` times, then
    /// dead-lettered with an error notification naming it; the next worker carries on.
    @Test func aRequestThatKillsEveryWorkerIsDeadLetteredAfterMaxDeliveries() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let options = ReliabilityOptions(leaseTime: 1, leaseAcquireTimeout: 10, maxDeliveries: 3)
        let poisoned = Fixture.clusterUUID(7)
        var workers: [TestWorker] = []
        for n in 0..<4 {
            workers.append(try await TestWorker.start(host: "worker-\(n)", broker: broker, database: database, ledger: ledger,
                                                      options: options, poison: [poisoned]))
        }
        let client = await makeClient(broker)
        try await client.cast("cluster_create", args: try Fixture.createArgs(7), context: Fixture.context)
        try await eventually(240, "the poison request dead-lettered") { await broker.readyCount("dead") == 1 }
        // Three workers died running it; the fourth refused to run it again.
        #expect(ledger.count(method: "create_cluster", cluster: poisoned) == 3)
        #expect(workers.filter(\.kill.killed).count == 3)
        let journal = OperationJournal(database: seed.database)
        let rows = try await seed.database.read { try $0.query("SELECT message_id FROM capi_worker_journal", []).rows }
        guard case .text(let id)? = rows.first?.first else { throw HarnessError("no journal row") }
        let entry = try #require(try await journal.entry(messageID: id))
        #expect(entry.state == .done)
        #expect(entry.outcome?.hasPrefix("dead-lettered: cluster_create for cluster \(poisoned) was started 3 times") == true)
        let errors = try await broker.readyBodies("notifications.error").map { try OsloNotification(body: $0) }
        let event = try #require(errors.first { $0.eventType == ConductorNotifications.deadLetterEventType })
        #expect(event.payload["cluster_uuid"] == .string(poisoned))
        #expect(event.payload["method"] == "cluster_create")
        #expect(event.payload["reason"]?.stringValue?.contains("started 3 times") == true)
        // The survivor carries on with the next request.
        let survivor = try #require(workers.first { !$0.kill.killed })
        try await client.cast("cluster_create", args: try Fixture.createArgs(8), context: Fixture.context)
        try await eventually(120, "the next create") { ledger.count(method: "create_cluster", cluster: Fixture.clusterUUID(8)) == 1 }
        #expect(try await seed.cluster(uuid: Fixture.clusterUUID(8), context: .allProjects).status == .createInProgress)
        await survivor.service.stop()
        await client.close()
        await seed.close()
        await database.cleanup()
    }

    /// SIGTERM with a request running: consuming stops at once, the request finishes within the
    /// grace period, is acknowledged, and the worker's leases are released.
    @Test func shutdownFinishesRunningRequestsAndReleasesLeases() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        try await Fixture.createCluster(seed, 1, status: "CREATE_COMPLETE")
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let worker = try await TestWorker.start(host: "worker-a", broker: broker, database: database, ledger: ledger,
                                                options: ReliabilityOptions(leaseTime: 2), callDuration: .milliseconds(800))
        let client = await makeClient(broker)
        try await client.cast("cluster_resize", args: try await Fixture.resizeArgs(seed, 1, nodeCount: 5), context: Fixture.context)
        try await eventually(30, "the driver call started") { ledger.count(method: "resize_cluster", cluster: Fixture.clusterUUID(1)) == 1 }
        #expect(await worker.service.leasesHeld == [Fixture.clusterUUID(1)])
        let finished = await worker.service.shutdown(gracePeriod: 20)
        #expect(finished)
        #expect(await broker.consumerCount("magnum-conductor") == 0)
        #expect(await broker.unackedCount("magnum-conductor") == 0)
        #expect(await broker.readyCount("magnum-conductor") == 0)
        let leases = try await seed.database.read { try $0.query("SELECT COUNT(*) FROM capi_worker_lease", []).rows }
        #expect(leases.first?.first == .integer(0))
        #expect(try await seed.cluster(uuid: Fixture.clusterUUID(1), context: .allProjects).status == .updateInProgress)
        await client.close()
        await seed.close()
        await database.cleanup()
    }

    /// A request still running when the grace period ends is handed back: the worker exits (its
    /// connection drops), another worker resumes it from the journal once the lease expires, and
    /// its effect still happens once.
    @Test func aRequestOutlivingTheGracePeriodIsHandedBackAndResumedElsewhere() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        try await Fixture.createCluster(seed, 1, status: "CREATE_COMPLETE")
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let options = ReliabilityOptions(leaseTime: 1, leaseAcquireTimeout: 20)
        let slow = try await TestWorker.start(host: "worker-a", broker: broker, database: database, ledger: ledger, options: options,
                                              callDuration: .seconds(3))
        let client = await makeClient(broker)
        try await client.cast("cluster_resize", args: try await Fixture.resizeArgs(seed, 1, nodeCount: 5), context: Fixture.context)
        try await eventually(30, "the driver call started") { ledger.count(method: "resize_cluster", cluster: Fixture.clusterUUID(1)) == 1 }
        let finished = await slow.service.shutdown(gracePeriod: 0.2)
        #expect(!finished)
        await slow.crash()  // the process exits
        let other = try await TestWorker.start(host: "worker-b", broker: broker, database: database, ledger: ledger, options: options)
        try await eventually(30, "resumed elsewhere") {
            let rows = try await seed.database.read { try $0.query("SELECT state, attempts FROM capi_worker_journal", []).rows }
            return rows.first?.first == .text("done")
        }
        #expect(ledger.effects["\(Fixture.clusterUUID(1)):resize_cluster"] == 1)
        #expect(ledger.calls.filter { $0.method == "resize_cluster" }.map(\.worker) == ["worker-a", "worker-b"])
        #expect(try await seed.cluster(uuid: Fixture.clusterUUID(1), context: .allProjects).status == .updateInProgress)
        await other.service.stop()
        await client.close()
        await seed.close()
        await database.cleanup()
    }
}
