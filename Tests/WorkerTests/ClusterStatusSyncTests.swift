import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import OsloMessaging
import Synchronization
import Testing
import TestSupport
import Worker

/// The periodic status and health syncs: against Magnum's own `MagnumPeriodicTasks` (same seeded
/// database, same driver script), and over virtual time.
@Suite("Cluster status sync")
struct ClusterStatusSyncTests {
    static let prodEast = Seed.cluster
    static let elsewhere = Seed.otherCluster

    /// Sets the seeded clusters' statuses before a run.
    static func prepare(_ store: any ClusterStore, _ statuses: [String: String]) async throws {
        for (uuid, status) in statuses {
            _ = try await store.updateCluster(.uuid(uuid), values: ["status": .string(status)])
        }
    }

    struct PeriodicCase: Sendable, CustomTestStringConvertible {
        let name: String
        let task: String
        let statuses: [String: String]
        let script: JSONValue
        var ignoreColumns: [String: Set<String>] = [:]
        var testDescription: String { name }
    }

    static let periodicCases: [PeriodicCase] = [
        PeriodicCase(name: "create and update complete, one fails", task: "sync_cluster_status",
                     statuses: [prodEast: "CREATE_IN_PROGRESS", elsewhere: "UPDATE_IN_PROGRESS"],
                     script: ["status_by_cluster": [
                         prodEast: ["cluster": ["status": "CREATE_COMPLETE", "status_reason": "Cluster is ready"],
                                             "nodegroups": ["default-master": ["status": "CREATE_COMPLETE"]]],
                         elsewhere: ["cluster": ["status": "UPDATE_FAILED", "status_reason": "worker group failed"]],
                     ]]),
        PeriodicCase(name: "still in progress: nothing to report", task: "sync_cluster_status",
                     statuses: [prodEast: "UPDATE_IN_PROGRESS", elsewhere: "ROLLBACK_IN_PROGRESS"],
                     script: ["status_by_cluster": [prodEast: ["cluster": ["api_address": "https://198.51.100.7:6443"]]]]),
        PeriodicCase(name: "rollback complete, a driver error", task: "sync_cluster_status",
                     statuses: [prodEast: "ROLLBACK_IN_PROGRESS", elsewhere: "CREATE_IN_PROGRESS"],
                     script: ["status_by_cluster": [
                         prodEast: ["cluster": ["status": "ROLLBACK_COMPLETE"]],
                         elsewhere: ["raise": ["class": "MagnumException", "message": "Kubernetes API unreachable"]],
                     ]]),
        PeriodicCase(name: "delete complete removes the rows", task: "sync_cluster_status",
                     statuses: [prodEast: "DELETE_IN_PROGRESS", elsewhere: "CREATE_COMPLETE"],
                     script: ["status_by_cluster": [prodEast: ["cluster": ["status": "DELETE_COMPLETE"],
                                                                        "destroy_nodegroups": ["gpu-pool"]]]],
                     // Magnum deletes only the CA and client key pairs and leaves the etcd and
                     // front-proxy CAs behind; we delete all four (docs/certificates.md).
                     ignoreColumns: ["x509keypair": ["*"]]),
        PeriodicCase(name: "health of every cluster", task: "sync_cluster_health_status",
                     statuses: [prodEast: "CREATE_COMPLETE", elsewhere: "UPDATE_FAILED"],
                     script: ["get_monitor": [
                         ["health": ["health_status": "UNHEALTHY", "health_status_reason": ["api": "down", "nodes": "2/3 ready"]]],
                         ["raise": ["class": "MagnumException", "message": "no route to the management cluster"]],
                     ]]),
        PeriodicCase(name: "health: no monitor, empty report", task: "sync_cluster_health_status",
                     statuses: [prodEast: "UPDATE_IN_PROGRESS", elsewhere: "DELETE_IN_PROGRESS"],
                     script: ["get_monitor": [["health": .null], ["health": [:]]]]),
    ]

    @Test("Magnum's periodic tasks agree", .enabled(if: TestEnvironment.pythonEnabled), arguments: periodicCases)
    func periodicParity(_ c: PeriodicCase) async throws {
        try await MagnumDatabase.with(.sqlite, count: 2) { dbs in
            let (swiftDB, pythonDB) = (dbs[0], dbs[1])
            for db in dbs {
                try await Seed.apply(to: db.store)
                try await Self.prepare(db.store, c.statuses)
            }
            let python = try await askConductorPeer([
                "op": "periodic", "task": .string(c.task), "connection": .string(pythonDB.url), "host": .string(ConductorHarness.host),
                "script": c.script,
            ])
            let harness = await ConductorHarness(store: swiftDB.store, script: try DriverScript(json: c.script))
            if c.task == "sync_cluster_status" {
                await harness.statusSync.syncClusterStatus()
            } else {
                await harness.statusSync.syncClusterHealth()
            }
            let swiftRows = try await askConductorPeer(["op": "rows", "connection": .string(swiftDB.url)])
            let swiftMap = Parity.placeholders(swiftRows), pythonMap = Parity.placeholders(python["rows"] ?? .null)

            func withoutRequestID(_ v: JSONValue) -> JSONValue {
                var v = v
                if v["ctxt"]?["request_id"] != nil { v["ctxt"]?["request_id"] = "<admin request>" }
                return v
            }
            let ours = try await harness.notifications().filter { $0.eventType != ClusterStatusUpdate.eventType }
                .map { withoutRequestID(Parity.notification($0, swiftMap)) }
            let theirs = (python["notifications"]?.arrayValue ?? []).map { withoutRequestID(Parity.pythonNotification($0, pythonMap)) }
            let noteDiff = Parity.differences(.array(theirs), .array(ours))
            #expect(noteDiff.isEmpty && ours.count == theirs.count,
                    "notifications (Python \(theirs.count), Swift \(ours.count)):\n  \(noteDiff.joined(separator: "\n  "))")

            let callDiff = Parity.differences(Parity.normalise(python["driver_calls"] ?? [], pythonMap),
                                              Parity.normalise(.array(harness.driver.calls.map { .object($0) }), swiftMap))
            #expect(callDiff.isEmpty, "driver calls:\n  \(callDiff.joined(separator: "\n  "))")

            var pythonTables = Parity.rows(python["rows"] ?? .null, pythonMap)
            var swiftTables = Parity.rows(swiftRows, swiftMap)
            for (table, columns) in c.ignoreColumns where columns.contains("*") {
                pythonTables[table] = nil
                swiftTables[table] = nil
            }
            let rowDiff = Parity.differences(.object(pythonTables), .object(swiftTables))
            #expect(rowDiff.isEmpty, "rows:\n  \(rowDiff.joined(separator: "\n  "))")
            if c.ignoreColumns["x509keypair"] != nil {
                // Every key pair of the deleted cluster is gone.
                #expect(swiftRows["x509keypair"]?.arrayValue?.isEmpty == true)
                #expect((python["rows"]?["x509keypair"]?.arrayValue?.count ?? 0) == 2, "Magnum leaves the etcd and front-proxy CAs")
            }
        }
    }

    // MARK: - Virtual time

    /// A service with periodic tasks on a virtual clock, over an in-memory broker.
    struct Service {
        let service: ConductorService
        let clock: VirtualClock
        let driver: RecordingClusterDriver
        let recorder: TransportRecorder
        let store: any ClusterStore

        init(store: any ClusterStore, script: DriverScript, options: ConductorOptions = Service.options) async {
            let clock = VirtualClock(start: Timestamp(microsecondsSinceEpoch: 1_795_000_000_123_456))
            let driver = RecordingClusterDriver(store: store, script: script)
            let recorder = TransportRecorder()
            let transport = RecordingTransport(wrapping: await InMemoryBroker().connect(), recorder: recorder)
            service = ConductorService(options: options, transport: transport, store: store,
                                       drivers: ClusterDriverRegistry([.init(name: "k8s_capi_helm_v1", driver: driver)]),
                                       periodicMode: .manual(clock), logger: ConductorHarness.logger)
            self.clock = clock
            self.driver = driver
            self.recorder = recorder
            self.store = store
        }

        static let options = ConductorOptions(host: "worker-a", notificationDriver: .messagingV2)

        func advance(by seconds: Double) async {
            await service.runPeriodicTasks(until: clock.now().adding(seconds: seconds))
        }

        func notifications() async throws -> [OsloNotification] {
            try await recorder.publishedMessages.filter { $0.routingKey.hasPrefix("notifications.") }.map { try OsloNotification(body: $0.body) }
        }

        func status(_ uuid: String) async throws -> String? {
            try await store.cluster(uuid: uuid, context: .allProjects).status?.rawValue
        }
    }

    @Test func clustersMoveOnOverVirtualTimeAndEachChangeIsReportedOnce() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            try await Self.prepare(store, [Self.prodEast: "CREATE_IN_PROGRESS", Self.elsewhere: "UPDATE_IN_PROGRESS"])
            let script = DriverScript(statusByCluster: [
                // prod-east needs three polls, elsewhere fails at the second.
                Self.prodEast: [DriverStep(), DriverStep(), .cluster(["status": "CREATE_COMPLETE", "status_reason": "ready"])],
                Self.elsewhere: [DriverStep(), .cluster(["status": "UPDATE_FAILED", "status_reason": "machine deployment failed"])],
            ])
            let s = await Service(store: store, script: script)

            await s.advance(by: 0)  // run_immediately
            #expect(try await s.status(Self.prodEast) == "CREATE_IN_PROGRESS")
            #expect(try await s.notifications().filter { $0.eventType.hasPrefix("magnum.cluster.") }.isEmpty)

            await s.advance(by: 10)
            #expect(try await s.status(Self.prodEast) == "CREATE_IN_PROGRESS")
            #expect(try await s.status(Self.elsewhere) == "UPDATE_FAILED")

            await s.advance(by: 10)
            #expect(try await s.status(Self.prodEast) == "CREATE_COMPLETE")

            // Nothing is in progress any more: further runs change and send nothing.
            await s.advance(by: 300)
            let polls = s.driver.calls.filter { $0["method"] == "update_cluster_status" }
            #expect(polls.filter { $0["cluster"] == .string(Self.prodEast) }.count == 3)
            #expect(polls.filter { $0["cluster"] == .string(Self.elsewhere) }.count == 2)

            let events = try await s.notifications()
            let cadf = events.filter { $0.eventType != ClusterStatusUpdate.eventType }
            #expect(cadf.map(\.eventType) == ["magnum.cluster.update", "magnum.cluster.create"])
            #expect(cadf.map(\.priority) == ["ERROR", "INFO"])
            #expect(cadf.map { $0.payload["outcome"]?.stringValue } == ["failure", "success"])
            #expect(cadf.allSatisfy { $0.publisherID == "container-infra.worker-a" })
            let updates = events.filter { $0.eventType == ClusterStatusUpdate.eventType }
            #expect(updates.count == 2)
            #expect(updates.map { $0.payload["status"]?.stringValue } == ["UPDATE_FAILED", "CREATE_COMPLETE"])
            #expect(updates.map { $0.payload["previous_status"]?.stringValue } == ["UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS"])
            #expect(updates.map(\.priority) == ["ERROR", "INFO"])
            #expect(updates.first?.payload["worker"] == "worker-a")
            // The health sync ran at start and every 60 s (no monitor: nothing saved).
            #expect(s.driver.calls.filter { $0["method"] == "get_monitor" }.count > 0)
            // The heartbeat was written too.
            #expect(try await store.magnumService(host: "worker-a", binary: "magnum-conductor")?.reportCount ?? 0 > 5)
        }
    }

    @Test func deleteCompleteRemovesTheClusterItsNodegroupsAndItsCertificates() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            try await Self.prepare(store, [Self.prodEast: "DELETE_IN_PROGRESS"])
            let s = await Service(store: store, script: DriverScript(statusByCluster: [
                Self.prodEast: [DriverStep(), .cluster(["status": "DELETE_COMPLETE"])],
            ]))
            await s.advance(by: 25)
            await #expect(throws: MagnumError.self) { try await store.cluster(uuid: Self.prodEast, context: .allProjects) }
            #expect(try await store.nodeGroups(clusterId: Self.prodEast, context: .allProjects, filters: [:], options: .all).isEmpty)
            #expect(try await store.x509KeyPairs(context: .allProjects, filters: [:], options: .all).isEmpty)
            let events = try await s.notifications()
            #expect(events.filter { $0.eventType == "magnum.cluster.delete" }.map { $0.payload["outcome"]?.stringValue } == ["success"])
            let update = events.first { $0.eventType == ClusterStatusUpdate.eventType }
            #expect(update?.payload["status"] == "DELETE_COMPLETE")
            // The event still lists the nodegroups the cluster had.
            #expect(update?.payload["nodegroups"]?.arrayValue?.count == 3)
            // The other project's cluster was left alone (it is not in progress).
            #expect(try await store.cluster(uuid: Self.elsewhere, context: .allProjects).uuid == Self.elsewhere)
        }
    }

    @Test func aClusterLeftInDeleteCompleteIsRemovedByTheNextSync() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            // A worker saved DELETE_COMPLETE and stopped before removing the rows.
            try await Self.prepare(store, [Self.prodEast: "DELETE_COMPLETE", Self.elsewhere: "CREATE_COMPLETE"])
            #expect(try await store.x509KeyPairs(context: .allProjects, filters: [:], options: .all).isEmpty == false)
            let s = await Service(store: store, script: DriverScript(statusByCluster: [:]))
            await s.advance(by: 0)
            await #expect(throws: MagnumError.self) { try await store.cluster(uuid: Self.prodEast, context: .allProjects) }
            #expect(try await store.nodeGroups(clusterId: Self.prodEast, context: .allProjects, filters: [:], options: .all).isEmpty)
            #expect(try await store.x509KeyPairs(context: .allProjects, filters: [:], options: .all).isEmpty,
                    "the seeded key pairs are the deleted cluster's")
            // The driver is not asked again; the delete is notified (again: whether the stopped
            // worker sent it is not known); the cluster that is not in progress is left alone.
            #expect(s.driver.calls.filter { $0["method"] == "update_cluster_status" }.isEmpty)
            let events = try await s.notifications()
            #expect(events.filter { $0.eventType == "magnum.cluster.delete" }.map { $0.payload["outcome"]?.stringValue } == ["success"])
            #expect(try await store.cluster(uuid: Self.elsewhere, context: .allProjects).status?.rawValue == "CREATE_COMPLETE")
            await s.advance(by: 60)
            #expect(try await s.notifications().filter { $0.eventType == "magnum.cluster.delete" }.count == 1)
        }
    }

    @Test func periodicDisabledLeavesOnlyTheHeartbeat() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            try await Self.prepare(store, [Self.prodEast: "CREATE_IN_PROGRESS"])
            var options = Service.options
            options.periodicEnable = false
            let s = await Service(store: store, script: DriverScript(statusByCluster: [Self.prodEast: [.cluster(["status": "CREATE_COMPLETE"])]]),
                                  options: options)
            await s.advance(by: 120)
            #expect(s.driver.calls.isEmpty)
            #expect(try await s.status(Self.prodEast) == "CREATE_IN_PROGRESS")
            #expect(try await store.magnumService(host: "worker-a", binary: "magnum-conductor")?.reportCount == 3)
        }
    }

    @Test func healthIsSavedWhenTheMonitorReportsIt() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            let s = await Service(store: store, script: DriverScript(steps: [
                "get_monitor": [DriverStep(health: .some(ClusterHealthReport(healthStatus: "UNHEALTHY", healthStatusReason: ["nodes": "1/3 ready"])))],
            ]))
            await s.advance(by: 1)
            let cluster = try await store.cluster(uuid: Self.prodEast, context: .allProjects)
            #expect(cluster.healthStatus == .unhealthy)
            #expect(cluster.healthStatusReason == ["nodes": "1/3 ready"])
            // prod-east (CREATE_COMPLETE) and elsewhere (UPDATE_IN_PROGRESS) are both polled.
            #expect(Set(s.driver.calls.filter { $0["method"] == "get_monitor" }.compactMap { $0["cluster"]?.stringValue })
                    == [Self.prodEast, Self.elsewhere])
        }
    }

    /// A driver that takes its time and counts how many clusters it works on at once.
    final class SlowDriver: ClusterDriver {
        let provides = [ClusterType(serverType: "vm", os: "ubuntu", coe: "kubernetes")]
        let inFlight = Mutex((now: 0, peak: 0, total: 0))

        func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws {}
        func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws {}
        func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                           context: RequestContext) async throws {}
        func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?, nodeGroup: inout NodeGroup,
                            rollback: Bool, context: RequestContext) async throws {}
        func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {}
        func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}
        func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}
        func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}

        func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {
            inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now); $0.total += 1 }
            try await Task.sleep(for: .milliseconds(20))
            inFlight.withLock { $0.now -= 1 }
        }
    }

    @Test func atMostMaxConcurrencyClustersAreSyncedAtOnce() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            for i in 0..<7 {
                _ = try await store.createCluster(["uuid": .string(String(format: "d0000000-0000-4000-8000-%012d", i)), "name": .string("c\(i)"),
                                                   "project_id": .string(Seed.project), "cluster_template_id": .string(Seed.template),
                                                   "status": "UPDATE_IN_PROGRESS"])
            }
            let driver = SlowDriver()
            let sync = ClusterStatusSync(
                store: store, drivers: ClusterDriverRegistry([.init(name: "k8s_capi_helm_v1", driver: driver)]),
                certificates: ClusterCertificateService(store: ClusterStoreX509KeyPairs(store: store), options: .defaults, logger: ConductorHarness.logger),
                notifications: ConductorNotifications(notifier: nil, store: store, clock: WallClock(), host: "h", logger: ConductorHarness.logger),
                maxConcurrency: 3, logger: ConductorHarness.logger)
            let results = await sync.syncClusterStatus()
            #expect(results.count == 8)  // the seeded "elsewhere" is UPDATE_IN_PROGRESS too
            let counts = driver.inFlight.withLock { $0 }
            #expect(counts.total == 8)
            #expect(counts.peak <= 3)
            #expect(counts.peak >= 2)
        }
    }
}
