import ClusterStore
import Foundation
import JSON
import OsloMessaging
import Synchronization
import Testing
import TestSupport
import Worker

extension FaultRuns {
    /// The chaos run with real worker processes: three `magnum-capi-worker serve` processes (the
    /// binary, with a magnum.conf each, as an operator runs them) on one RabbitMQ and one database
    /// (MariaDB under `tools/test`, else SQLite), the real capi-helm driver in its offline modes
    /// sharing one offline world through `[capi_worker] offline_state_dir`, and a random worker
    /// process killed with SIGKILL ten times during 500 casts over 100 clusters, restarted at once
    /// under the same host name as systemd would.
    ///
    /// The effects are counted where they happened: in the shared event files (every helm install
    /// and uninstall the simulated management cluster saw, every application credential made or
    /// deleted, every Secret), not in the workers. Afterwards each operation changed its release
    /// exactly once, no helm call happened that the journal did not start, each cluster holds one
    /// application credential while it lives and none after, every cluster went through the right
    /// statuses and is gone at the end, and nothing was dead-lettered or left queued.
    @Suite(.enabled(if: TestEnvironment.brokerEnabled, "needs RabbitMQ (tools/test)"), .serialized)
    struct ServeProcessChaosTests {
        static let hosts = ["worker-a", "worker-b", "worker-c"]
        static let clusters = 100

        @Test(.timeLimit(.minutes(12)))
        func threeServeProcessesTenKillsEveryEffectOnce() async throws {
            let directory = try TestEnvironment.temporaryDirectory("serve-chaos")
            let broker = try await TestEnvironment.startPrivateBroker()
            defer { broker.destroy() }
            let database = TestEnvironment.mariadbEnabled ? try await SharedDatabase.mariadb("servechaos") : try SharedDatabase.sqlite()
            let observer = try await database.observer()
            try await WorkerSchema.migrate(observer.database)
            try await Fixture.createTemplate(observer)

            let magnumAPI = try await BrokerClient.connect(url: broker.url)
            let world = OfflineWorld(directory: directory.appendingPathComponent("offline-state"))
            let workers = try WorkerProcesses(directory: directory, hosts: Self.hosts, brokerURL: broker.url, databaseURL: database.url)
            defer { workers.killAll() }
            try await workers.startAll()

            var releases: [String: String] = [:]   // cluster uuid → helm release (stack_id)
            var kills = 0
            var interrupted = 0
            let refused = Counter()
            for phase in ClusterFaultRuns.ChaosTests.allPhases {
                let mark = world.mark()
                let sender = try await ClusterFaultRuns.ChaosTests.sendCasts(phase, clusters: Self.clusters, observer: observer, client: magnumAPI.client, refused: refused)
                // Two kills at random moments of the phase, preferably of a process in the middle
                // of a request (one holding a cluster lease).
                for _ in 0..<2 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 300...2500)))
                    let victim = try await workers.busiest(observer) ?? Int.random(in: 0..<Self.hosts.count)
                    try await workers.killAndRestart(victim)
                    kills += 1
                }
                try await sender.value
                try await eventually(300, "\(phase.method): all \(Self.clusters) handled (workers: \(workers.summary()))") {
                    try await Self.count(observer, "SELECT COUNT(*) FROM capi_worker_journal WHERE method = ? AND state = 'done'", [.text(phase.method)])
                        == Self.clusters
                }
                // The workers' own periodic status sync (sharded over the live ones) moves every
                // cluster on as the simulated Cluster API objects become ready.
                try await eventually(180, "\(phase.method): statuses") {
                    let all = try await observer.clusters(context: .allProjects, filters: [:], options: .all)
                    if let expected = phase.expectedStatus {
                        return all.count == Self.clusters && all.allSatisfy { $0.status?.rawValue == expected }
                    }
                    return all.isEmpty
                }
                if phase.method == "cluster_create" {
                    for cluster in try await observer.clusters(context: .allProjects, filters: [:], options: .all) {
                        releases[cluster.uuid ?? ""] = cluster.stackId
                    }
                    #expect(releases.count == Self.clusters && releases.values.allSatisfy { !$0.isEmpty })
                }
                interrupted += try await checkEffects(phase, since: mark, world: world, releases: releases, observer: observer)
                if phase.method == "nodegroup_create" {
                    #expect(try await Self.count(observer, "SELECT COUNT(*) FROM nodegroup", []) == 3 * Self.clusters, "no duplicate nodegroups")
                }
                #expect(try await Self.count(observer, "SELECT COUNT(*) FROM capi_worker_journal WHERE method = ? AND state <> 'done'", [.text(phase.method)]) == 0)
            }
            #expect(kills == 10)
            // The kills did interrupt requests (otherwise this test would prove nothing).
            #expect(interrupted > 0, "no request was interrupted by the kills")

            // Everything is gone: rows, releases, Secrets, credentials.
            #expect(try await Self.count(observer, "SELECT COUNT(*) FROM nodegroup", []) == 0)
            let state = try world.replay()
            #expect(state.liveReleases.isEmpty, "releases left: \(state.liveReleases.sorted().prefix(5))")
            #expect(state.secrets.isEmpty, "Secrets left: \(state.secrets.sorted().prefix(5))")
            #expect(state.credentials.isEmpty, "application credentials left: \(state.credentials.sorted { $0.key < $1.key }.prefix(5))")
            #expect(state.skippedLines == 0)
            // Nothing dead-lettered, nothing left on the conductor's queues.
            for (queue, messages) in try await broker.queueMessages()
            where queue.hasPrefix("magnum-conductor") || queue.contains("dead-letter") {
                #expect(messages == 0, "\(queue): \(messages)")
            }
            for log in workers.logs() {
                #expect(!log.text.contains("dead-letter"), "\(log.name) dead-lettered a request:\n\(log.text.suffix(2000))")
            }
            if refused.current > 0 { print("chaos[serve]: \(refused.current) cast(s) refused by the broker and sent again") }
            print("chaos[serve, \(database.backend)]: \(kills) SIGKILLs, \(interrupted) request(s) resumed in another or the restarted process")

            try await workers.stopAll()
            await magnumAPI.close()
            await observer.close()
            await database.cleanup()
            try? FileManager.default.removeItem(at: directory)
        }

        /// The phase's effects in the shared event files, against the journal; the number of
        /// requests resumed after an interruption.
        func checkEffects(_ phase: ClusterFaultRuns.ChaosTests.Phase, since mark: OfflineWorld.Mark, world: OfflineWorld, releases: [String: String],
                          observer: SQLClusterStore<KillableDatabase>) async throws -> Int {
            let before = try world.replay(until: mark)
            let events = try world.events(since: mark)
            var resumed = 0
            for i in 0..<Self.clusters {
                let uuid = Fixture.clusterUUID(i)
                guard let release = releases[uuid] else { continue }
                let rows = try await observer.database.read {
                    try $0.query("SELECT steps, attempts FROM capi_worker_journal WHERE method = ? AND cluster_uuid = ?",
                                 [.text(phase.method), .text(uuid)]).rows
                }
                #expect(rows.count == 1, "\(phase.method) \(uuid): \(rows.count) journal rows")
                guard case .text(let steps)? = rows.first?.first else { continue }
                if case .integer(let attempts)? = rows.first?.last, attempts > 1 { resumed += 1 }
                let started = steps.split(separator: ",").filter { $0 == "driver:\(phase.driverMethod):started" }.count
                let installs = events.releases.filter { $0["release"]?.stringValue == release && $0["event"]?.stringValue == "installed" }
                let uninstalls = events.releases.filter { $0["release"]?.stringValue == release && $0["event"]?.stringValue == "uninstalled" }
                // A helm install that changed nothing (same values again, a resumed request) is no
                // new effect; one that changed the release is.
                var values = before.releaseValues[release]
                var changes = 0
                for install in installs {
                    if install["values"] != values { changes += 1 }
                    values = install["values"]
                }
                if phase.method == "cluster_delete" {
                    #expect(installs.isEmpty, "\(uuid): helm install during delete")
                    #expect(uninstalls.count == 1, "\(uuid): \(uninstalls.count) uninstalls")
                } else {
                    #expect(changes == 1, "\(phase.method) \(uuid): release changed \(changes) times by \(installs.count) installs")
                    #expect(uninstalls.isEmpty)
                }
                // No helm call without a journal step that started it (a step can outlive a
                // process killed before its call).
                #expect(installs.count + uninstalls.count <= started, "\(phase.method) \(uuid): \(installs.count + uninstalls.count) helm calls, journal started \(started)")
                if phase.method == "cluster_create" {
                    let made = events.credentials.filter { $0["event"]?.stringValue == "created" && $0["cluster"]?.stringValue == uuid }
                    #expect(!made.isEmpty)
                }
            }
            // One application credential per living cluster, each the one its Secret names.
            let after = try world.replay()
            if phase.expectedStatus != nil {
                var perCluster: [String: Int] = [:]
                for credential in after.credentials.values { perCluster[credential, default: 0] += 1 }
                for i in 0..<Self.clusters {
                    #expect(perCluster[Fixture.clusterUUID(i)] == 1, "\(phase.method) \(Fixture.clusterUUID(i)): \(perCluster[Fixture.clusterUUID(i)] ?? 0) credentials")
                }
                let stored = after.cloudsYAML.values.joined(separator: "\n")
                for id in after.credentials.keys { #expect(stored.contains(id), "credential \(id) is in no Secret") }
            }
            print("chaos[serve] \(phase.method): \(Self.clusters) done; \(resumed) request(s) resumed; \(events.releases.count) release event(s), \(events.credentials.count) credential event(s)")
            return resumed
        }

        static func count(_ observer: SQLClusterStore<KillableDatabase>, _ sql: String, _ arguments: [SQLValue]) async throws -> Int {
            let rows = try await observer.database.read { try $0.query(sql, arguments).rows }
            if case .integer(let n)? = rows.first?.first { return Int(n) }
            return -1
        }
    }
}

/// Three (or more) `serve` processes with a magnum.conf each, killed and restarted by host.
final class WorkerProcesses: Sendable {
    let directory: URL
    let hosts: [String]
    let configurations: [String]
    private let running = Mutex<[ServeProcess?]>([])
    private let starts = Mutex(0)

    init(directory: URL, hosts: [String], brokerURL: String, databaseURL: String) throws {
        self.directory = directory
        self.hosts = hosts
        var configurations: [String] = []
        for host in hosts {
            configurations.append(try ServeProcess.writeConfiguration(
                in: directory, name: "\(host).conf", brokerURL: brokerURL, host: host, databaseURL: databaseURL, simulationDelay: 1,
                defaults: "service_down_time = 4\nperiodic_interval_max = 1",
                extra: """
                    offline_state_dir = \(directory.path)/offline-state
                    lease_time = 4
                    lease_acquire_timeout = 30
                    max_deliveries = 8
                    periodic_jitter = 0

                    [oslo_messaging_rabbit]
                    rabbit_quorum_queue = true
                    """))
        }
        self.configurations = configurations
        running.withLock { $0 = Array(repeating: nil, count: hosts.count) }
    }

    func start(_ index: Int) async throws {
        let n = starts.withLock { $0 += 1; return $0 }
        let process = try ServeProcess(["serve", "--config-file", configurations[index]],
                                       log: directory.appendingPathComponent("\(hosts[index]).\(n).log"))
        running.withLock { $0[index] = process }
        guard try await process.waitUntilServing(seconds: 90) else {
            throw HarnessError("\(hosts[index]) did not start:\n\(process.output.suffix(3000))")
        }
    }

    func startAll() async throws {
        for index in hosts.indices { try await start(index) }
    }

    /// The index of a process holding the most cluster leases now, if any holds one.
    func busiest(_ observer: SQLClusterStore<KillableDatabase>) async throws -> Int? {
        let processes = running.withLock { $0 }
        for _ in 0..<50 {
            let rows = try await observer.database.read { try $0.query("SELECT owner FROM capi_worker_lease", []).rows }
            var held: [Int: Int] = [:]
            for row in rows {
                guard case .text(let owner)? = row.first else { continue }
                // host/pid/random
                let parts = owner.split(separator: "/")
                guard parts.count >= 2, let pid = Int32(parts[1]) else { continue }
                if let index = processes.firstIndex(where: { $0?.pid == pid }) { held[index, default: 0] += 1 }
            }
            if let most = held.max(by: { $0.value < $1.value }) { return most.key }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// SIGKILL, then the same host started again at once.
    func killAndRestart(_ index: Int) async throws {
        guard let process = running.withLock({ $0[index] }) else { return }
        process.signal(SIGKILL)
        try await process.waitForExit()
        try await start(index)
    }

    func stopAll() async throws {
        for process in running.withLock({ $0 }) {
            guard let process else { continue }
            process.signal(SIGTERM)
            let exit = try await process.waitForExit()
            #expect(exit.isClean, "\(exit):\n\(process.output.suffix(2000))")
        }
    }

    func killAll() {
        for process in running.withLock({ $0 }) { process?.signal(SIGKILL) }
    }

    func summary() -> String {
        running.withLock { $0.enumerated().map { "\(hosts[$0.offset]): \($0.element?.isRunning == true ? "up" : "down")" }.joined(separator: ", ") }
    }

    /// Every log written so far, with its file name.
    func logs() -> [(name: String, text: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().map { name in
            (name, (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }
    }
}

/// The offline world the workers share (`[capi_worker] offline_state_dir`), read as the test's
/// record of effects: the event files, whole or from a mark.
struct OfflineWorld: Sendable {
    let directory: URL

    struct Mark: Sendable {
        let releases: Int
        let cluster: Int
        let credentials: Int
    }

    struct Events {
        var releases: [JSONValue] = []
        var cluster: [JSONValue] = []
        var credentials: [JSONValue] = []
    }

    /// What the events add up to.
    struct State {
        var releaseValues: [String: JSONValue] = [:]
        var liveReleases: Set<String> = []
        var secrets: Set<String> = []
        /// `clouds.yaml` of each Secret that has one (the application credential it holds).
        var cloudsYAML: [String: String] = [:]
        /// credential id → cluster uuid
        var credentials: [String: String] = [:]
        var skippedLines = 0
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func bytes(_ name: String) -> [UInt8] { (try? [UInt8](Data(contentsOf: file(name)))) ?? [] }

    func mark() -> Mark {
        Mark(releases: bytes("simulated-releases.jsonl").count, cluster: bytes("management-cluster.jsonl").count,
             credentials: bytes("application-credentials.jsonl").count)
    }

    func lines(_ name: String, from start: Int, to end: Int?, skipped: inout Int) -> [JSONValue] {
        let all = bytes(name)
        let slice = all[min(start, all.count)..<min(end ?? all.count, all.count)]
        return slice.split(separator: UInt8(ascii: "\n")).compactMap { line in
            if let value = try? JSONValue(parsing: line) { return value }
            skipped += 1
            return nil
        }
    }

    func events(since mark: Mark) throws -> Events {
        var skipped = 0
        return Events(releases: lines("simulated-releases.jsonl", from: mark.releases, to: nil, skipped: &skipped),
                      cluster: lines("management-cluster.jsonl", from: mark.cluster, to: nil, skipped: &skipped),
                      credentials: lines("application-credentials.jsonl", from: mark.credentials, to: nil, skipped: &skipped))
    }

    func replay(until mark: Mark? = nil) throws -> State {
        var state = State()
        for event in lines("simulated-releases.jsonl", from: 0, to: mark?.releases, skipped: &state.skippedLines) {
            guard let release = event["release"]?.stringValue else { continue }
            switch event["event"]?.stringValue {
            case "installed":
                state.releaseValues[release] = event["values"]
                state.liveReleases.insert(release)
            case "uninstalled": state.liveReleases.remove(release)
            default: break
            }
        }
        var labels: [String: JSONValue] = [:]
        for event in lines("management-cluster.jsonl", from: 0, to: mark?.cluster, skipped: &state.skippedLines) {
            let namespace = event["namespace"]?.stringValue ?? ""
            switch event["event"]?.stringValue {
            case "secret":
                let key = "\(namespace)/\(event["name"]?.stringValue ?? "")"
                state.secrets.insert(key)
                labels[key] = event["labels"]
                state.cloudsYAML[key] = event["stringData"]?["clouds.yaml"]?.stringValue
            case "secrets_deleted":
                let label = event["label"]?.stringValue ?? "", value = event["value"]?.stringValue ?? ""
                for key in state.secrets where key.hasPrefix("\(namespace)/") && labels[key]?[label]?.stringValue == value {
                    state.secrets.remove(key)
                    state.cloudsYAML.removeValue(forKey: key)
                }
            default: break
            }
        }
        for event in lines("application-credentials.jsonl", from: 0, to: mark?.credentials, skipped: &state.skippedLines) {
            guard let id = event["id"]?.stringValue else { continue }
            switch event["event"]?.stringValue {
            case "created": state.credentials[id] = event["cluster"]?.stringValue ?? ""
            case "deleted": state.credentials.removeValue(forKey: id)
            default: break
            }
        }
        return state
    }
}
