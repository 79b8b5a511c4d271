import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// Three in-process workers share one queue and one database; 500 casts over 100 clusters
/// (create, update, resize, nodegroup create, delete — 100 of each, phase by phase, as magnum-api
/// would send them to clusters in the right state), and a random worker crashes ten times during
/// the run (its database connection cut and its broker connection dropped mid-flight, then
/// restarted under the same host name, as a supervisor would).
///
/// Afterwards every operation's effect happened exactly once, every driver call is accounted for
/// by the journal, every cluster went through the right statuses and is gone at the end, and no
/// request was dead-lettered.
@Suite("Chaos: workers killed during a run")
struct ChaosTests {
    struct Phase {
        let method: String
        let driverMethod: String
        let expectedStatus: String?
    }

    @Test(.timeLimit(.minutes(5)))
    func fiveHundredCastsTenKillsEveryEffectOnce() async throws {
        try await run(backend: .sqlite)
    }

    @Test(.enabled(if: TestEnvironment.mariadbEnabled), .timeLimit(.minutes(5)))
    func fiveHundredCastsTenKillsEveryEffectOnceOnMariaDB() async throws {
        try await run(backend: .mariadb)
    }

    func run(backend: SharedDatabase.Backend) async throws {
        let database = backend == .sqlite ? try SharedDatabase.sqlite() : try await SharedDatabase.mariadb("chaos")
        let observer = SQLClusterStore(database: try await database.open())
        try await WorkerSchema.migrate(observer.database)
        try await Fixture.createTemplate(observer)
        let broker = try await makeBroker()
        let ledger = EffectLedger()
        let options = ReliabilityOptions(leaseTime: 2, leaseAcquireTimeout: 15, maxDeliveries: 8, periodicJitter: 0)
        let hosts = ["worker-a", "worker-b", "worker-c"]
        var workers: [TestWorker] = []
        for host in hosts {
            workers.append(try await TestWorker.start(host: host, broker: broker, database: database, ledger: ledger, options: options))
        }
        let client = await makeClient(broker)
        let clusters = 100
        let phases = [
            Phase(method: "cluster_create", driverMethod: "create_cluster", expectedStatus: "CREATE_COMPLETE"),
            Phase(method: "cluster_update", driverMethod: "update_cluster", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "cluster_resize", driverMethod: "resize_cluster", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "nodegroup_create", driverMethod: "create_nodegroup", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "cluster_delete", driverMethod: "delete_cluster", expectedStatus: nil),
        ]
        var kills = 0
        for phase in phases {
            var messages: [JSONObject] = []
            for i in 0..<clusters {
                switch phase.method {
                case "cluster_create": messages.append(try Fixture.createArgs(i))
                case "cluster_update": messages.append(try await Fixture.updateArgs(observer, i, nodeCount: 3))
                case "cluster_resize": messages.append(try await Fixture.resizeArgs(observer, i, nodeCount: 4))
                case "nodegroup_create": messages.append(try await Fixture.nodeGroupCreateArgs(observer, i))
                default: messages.append(Fixture.deleteArgs(i))
                }
            }
            // Send while two crashes happen at random moments of the phase.
            let crashes = Task { () -> [(Int, Int)] in
                var plan: [(Int, Int)] = []
                for _ in 0..<2 { plan.append((Int.random(in: 0..<3), Int.random(in: 20...300))) }
                return plan
            }
            let plan = await crashes.value
            let sender = Task {
                for args in messages { try await client.cast(phase.method, args: args, context: Fixture.context) }
            }
            for (victim, delay) in plan {
                try await Task.sleep(for: .milliseconds(delay))
                await workers[victim].crash()
                kills += 1
                workers[victim] = try await TestWorker.start(host: hosts[victim], broker: broker, database: database, ledger: ledger,
                                                             options: options)
            }
            try await sender.value
            try await eventually(120, "\(phase.method): all \(clusters) handled") {
                let rows = try await observer.database.read {
                    try $0.query("SELECT COUNT(*) FROM capi_worker_journal WHERE method = ? AND state = 'done'", [.text(phase.method)]).rows
                }
                return rows.first?.first == .integer(Int64(clusters))
            }
            // The periodic sync (sharded over the live workers) moves every cluster on.
            let live = workers
            try await eventually(60, "\(phase.method): statuses") {
                for w in live { await w.service.statusSync.syncClusterStatus() }
                let all = try await observer.clusters(context: .allProjects, filters: [:], options: .all)
                if let expected = phase.expectedStatus {
                    return all.count == clusters && all.allSatisfy { $0.status?.rawValue == expected }
                }
                return all.isEmpty
            }
            // Each operation's effect exactly once; every driver call accounted for by the journal.
            var reinvoked = 0
            for i in 0..<clusters {
                let uuid = Fixture.clusterUUID(i)
                #expect(ledger.effects["\(uuid):\(phase.driverMethod)"] == 1, "\(phase.method) \(uuid): effects \(ledger.effects["\(uuid):\(phase.driverMethod)"] ?? 0)")
                let calls = ledger.count(method: phase.driverMethod, cluster: uuid)
                let rows = try await observer.database.read {
                    try $0.query("SELECT steps, attempts FROM capi_worker_journal WHERE method = ? AND cluster_uuid = ?",
                                 [.text(phase.method), .text(uuid)]).rows
                }
                #expect(rows.count == 1, "\(phase.method) \(uuid): \(rows.count) journal rows")
                guard case .text(let steps)? = rows.first?.first else { continue }
                let started = steps.split(separator: ",").filter { $0 == "driver:\(phase.driverMethod):started" }.count
                #expect(calls == started, "\(phase.method) \(uuid): \(calls) driver calls, journal saw \(started)")
                if calls > 1 { reinvoked += calls - 1 }
            }
            if phase.method == "nodegroup_create" {
                let groups = try await observer.database.read { try $0.query("SELECT COUNT(*) FROM nodegroup", []).rows }
                #expect(groups.first?.first == .integer(Int64(3 * clusters)), "no duplicate nodegroups")
            }
            print("chaos[\(backend)] \(phase.method): \(clusters) done, driver re-invoked for \(reinvoked) interrupted call(s)")
        }
        #expect(kills == 10)
        #expect(await broker.readyCount("dead") == 0)
        #expect(await broker.readyCount("magnum-conductor") == 0)
        let left = try await observer.database.read { try $0.query("SELECT COUNT(*) FROM nodegroup", []).rows }
        #expect(left.first?.first == .integer(0))
        for w in workers { await w.service.stop() }
        await client.close()
        await observer.close()
        await database.cleanup()
    }
}
