import ClusterStore
import Foundation
import Synchronization
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// The runs that kill workers or brokers under load each keep a core or more busy; side by side
/// on CI's 2 cores they starve one another into timeouts. So they run in two lanes, each one
/// run after another: `FaultRuns` (`BrokerRestartChaosTests`, mostly waiting on its slow driver
/// calls and broker restarts, then `ServeProcessChaosTests`) and, beside it, `ClusterFaultRuns`
/// (`BrokerClusterFailoverTests`, whose three RabbitMQ nodes are busiest while the first lane
/// waits, then `ChaosTests`). One lane of all four took 7.5 min of the suite's time.
@Suite(.serialized) enum FaultRuns {}
@Suite(.serialized) enum ClusterFaultRuns {}

extension ClusterFaultRuns {
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
            // SQLite here; ServeProcessChaosTests runs the same 500 casts on MariaDB with real processes.
            let database = try SharedDatabase.sqlite()
            let broker = try await makeBroker()
            let ledger = EffectLedger()
            let options = ReliabilityOptions(leaseTime: 2, leaseAcquireTimeout: 15, maxDeliveries: 8, periodicJitter: 0)
            let client = await makeClient(broker)
            let kills = Counter()
            let outcome = try await Self.phases(label: "in-memory/sqlite", database: database, ledger: ledger, client: client,
                                  start: { host in
                                      try await TestWorker.start(host: host, broker: broker, database: database, ledger: ledger, options: options)
                                  },
                                  fault: { workers, restart in
                                      // Two crashes at random moments of each phase, each worker restarted at once.
                                      for _ in 0..<2 {
                                          try await Task.sleep(for: .milliseconds(Int.random(in: 20...300)))
                                          // Prefer a worker in the middle of a request (holding a lease).
                                          var victim = Int.random(in: 0..<workers.count)
                                          for _ in 0..<100 {
                                              var busy: [Int] = []
                                              for (i, w) in workers.enumerated() where !(await w.service.leasesHeld.isEmpty) { busy.append(i) }
                                              if let pick = busy.randomElement() { victim = pick; break }
                                              try await Task.sleep(for: .milliseconds(10))
                                          }
                                          await workers[victim].crash()
                                          kills.add(1)
                                          try await restart(victim)
                                      }
                                  })
            #expect(kills.current == 10)
            // The crashes did interrupt requests (otherwise this test would prove nothing).
            #expect(outcome.resumed > 0, "no request was interrupted by the crashes")
            #expect(await broker.readyCount("dead") == 0)
            #expect(await broker.readyCount("magnum-conductor") == 0)
            await client.close()
            await database.cleanup()
        }

        /// What magnum-api sends, phase by phase, to clusters in the right state for it.
        static let allPhases = [
            Phase(method: "cluster_create", driverMethod: "create_cluster", expectedStatus: "CREATE_COMPLETE"),
            Phase(method: "cluster_update", driverMethod: "update_cluster", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "cluster_resize", driverMethod: "resize_cluster", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "nodegroup_create", driverMethod: "create_nodegroup", expectedStatus: "UPDATE_COMPLETE"),
            Phase(method: "cluster_delete", driverMethod: "delete_cluster", expectedStatus: nil),
        ]

        /// Casts `phase`'s message to each of the first `clusters` clusters, in a task of its own.
        static func sendCasts(_ phase: Phase, clusters: Int, observer: any ClusterStore, client: RPCClient,
                              refused: Counter) async throws -> Task<Void, any Error> {
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
            let toSend = messages
            return Task {
                for args in toSend {
                    // A cast the broker refuses (basic.nack: a quorum queue losing its leader as a
                    // node dies) was not taken; oslo raises it to the caller (kombu's
                    // MessageNacked) and magnum-api's user tries again — as here.
                    var attempt = 0
                    while true {
                        do {
                            try await client.cast(phase.method, args: args, context: Fixture.context)
                            break
                        } catch let error as TransportError where error.kind == .publishRefused && attempt < 60 {
                            // (Refused for as long as the queue has no leader: seconds on a
                            // loaded machine.)
                            attempt += 1
                            refused.add(1)
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
        }

        /// Runs the five phases over three workers made by `start`, calling `fault` while each
        /// phase's casts are in flight; checks effects, journal and statuses after each phase.
        static func phases(label: String, clusters: Int = 100, database: SharedDatabase, ledger: EffectLedger, client: RPCClient,
                           start: @escaping @Sendable (String) async throws -> TestWorker,
                           fault: @escaping @Sendable ([TestWorker], @escaping @Sendable (Int) async throws -> Void) async throws -> Void)
            async throws -> (resumed: Int, redelivered: Int) {
            let observer = try await database.observer()
            try await WorkerSchema.migrate(observer.database)
            try await Fixture.createTemplate(observer)
            let hosts = ["worker-a", "worker-b", "worker-c"]
            let pool = WorkerPool()
            for host in hosts { pool.append(try await start(host)) }
            var resumedTotal = 0
            let refusedCasts = Counter()
            for phase in allPhases {
                let sender = try await sendCasts(phase, clusters: clusters, observer: observer, client: client, refused: refusedCasts)
                try await fault(pool.all) { index in pool.replace(index, with: try await start(hosts[index])) }
                try await sender.value
                try await eventually(180, "\(phase.method): all \(clusters) handled") {
                    let rows = try await observer.database.read {
                        try $0.query("SELECT COUNT(*) FROM capi_worker_journal WHERE method = ? AND state = 'done'", [.text(phase.method)]).rows
                    }
                    return rows.first?.first == .integer(Int64(clusters))
                }
                // The periodic sync (sharded over the live workers) moves every cluster on.
                try await eventually(60, "\(phase.method): statuses") {
                    for w in pool.all { await w.service.statusSync.syncClusterStatus() }
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
                    let effects = ledger.effects["\(uuid):\(phase.driverMethod)"] ?? 0
                    #expect(effects == 1, "\(phase.method) \(uuid): effects \(effects)")
                    let calls = ledger.count(method: phase.driverMethod, cluster: uuid)
                    let rows = try await observer.database.read {
                        try $0.query("SELECT steps FROM capi_worker_journal WHERE method = ? AND cluster_uuid = ?",
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
                let resumed = try await observer.database.read {
                    try $0.query("SELECT COUNT(*) FROM capi_worker_journal WHERE method = ? AND attempts > 1", [.text(phase.method)]).rows
                }
                if case .integer(let n)? = resumed.first?.first { resumedTotal += Int(n) }
                print("chaos[\(label)] \(phase.method): \(clusters) done; \(resumed.first?.first ?? .null) request(s) resumed after an interruption, driver re-invoked for \(reinvoked) interrupted call(s)")
            }
            var lostSettlements = 0, duplicates = 0, skipped = 0
            for w in pool.all {
                lostSettlements += w.service.server.statistics.lostOwnership
                duplicates += w.service.server.statistics.duplicates
                skipped += w.service.reliability?.statistics.values.skippedAsDone ?? 0
            }
            if refusedCasts.current > 0 { print("chaos[\(label)]: \(refusedCasts.current) cast(s) refused by the broker (basic.nack) and sent again") }
            print("chaos[\(label)]: \(resumedTotal) request(s) resumed in all; \(lostSettlements) settlement(s) lost with a connection, \(duplicates) redelivery(ies) absorbed by a worker's duplicate filter, \(skipped) redelivery(ies) of finished requests skipped by the journal (surviving workers)")
            let left = try await observer.database.read { try $0.query("SELECT COUNT(*) FROM nodegroup", []).rows }
            #expect(left.first?.first == .integer(0))
            for w in pool.all { await w.service.stop() }
            await observer.close()
            return (resumedTotal, lostSettlements + duplicates + skipped)
        }
    }
}

/// The current three workers (a crashed one is replaced by its restart).
final class WorkerPool: Sendable {
    private let workers = Synchronization.Mutex<[TestWorker]>([])
    var all: [TestWorker] { workers.withLock { $0 } }
    func append(_ w: TestWorker) { workers.withLock { $0.append(w) } }
    func replace(_ index: Int, with w: TestWorker) { workers.withLock { $0[index] = w } }
}
