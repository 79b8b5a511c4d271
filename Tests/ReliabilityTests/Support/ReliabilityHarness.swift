import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import MariaDB
import OsloMessaging
import Synchronization
import TestSupport
import Worker

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let testLogger: Logger = {
    var logger = Logger(label: "test.reliability")
    logger.logLevel = ProcessInfo.processInfo.environment["MCW_TEST_LOG"] == "1" ? .debug : .critical
    return logger
}()

/// Makes a worker "die": from `kill()` on, every database call of that worker fails as if the
/// process were gone (what was committed stays committed; nothing more is written).
final class KillSwitch: Sendable {
    private let state = Mutex(false)
    var killed: Bool { state.withLock { $0 } }
    func kill() { state.withLock { $0 = true } }
}

/// A worker's view of the shared database, cut off by its `KillSwitch`.
struct KillableDatabase: SQLDatabase {
    let inner: any SQLDatabase
    let kill: KillSwitch

    var dialect: SQLDialect { inner.dialect }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        if kill.killed { throw StoreError(.connection, "worker killed") }
        return try await inner.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        if kill.killed { throw StoreError(.connection, "worker killed") }
        return try await inner.write(body)
    }

    func close() async { await inner.close() }
}

/// One shared Magnum database for several workers: SQLite (a file each worker opens with its own
/// connection, as separate processes would) or MariaDB (its own pool per worker).
struct SharedDatabase: Sendable {
    enum Backend: String, Sendable { case sqlite, mariadb }
    let backend: Backend
    /// `[database] connection` for a `serve` process.
    let url: String
    let open: @Sendable () async throws -> any SQLDatabase
    let cleanup: @Sendable () async -> Void

    /// A store on this database that is never killed (the test's own view).
    func observer() async throws -> SQLClusterStore<KillableDatabase> {
        SQLClusterStore(database: KillableDatabase(inner: try await open(), kill: KillSwitch()))
    }

    static func sqlite() throws -> SharedDatabase {
        let dir = try TestEnvironment.temporaryDirectory("reliability")
        let path = dir.appendingPathComponent("magnum.sqlite").path
        return SharedDatabase(backend: .sqlite, url: "sqlite:///\(path)", open: { try await SQLiteClusterStore.open(path: path).database },
                              cleanup: { try? FileManager.default.removeItem(at: dir) })
    }

    static func mariadb(_ prefix: String) async throws -> SharedDatabase {
        let server = try TestEnvironment.requireMariaDB()
        let name = try await server.makeMagnumDatabase(prefix)
        let url = server.url(database: name)
        guard case .mariadb(let options) = try DatabaseURL(url) else { throw HarnessError("not a MySQL URL") }
        return SharedDatabase(backend: .mariadb, url: url,
                              open: { try await MariaDBClusterStore.open(options: options, pool: .init(maxConnections: 4), logger: testLogger).database },
                              cleanup: { server.dropDatabase(name) })
    }
}

/// What the driver did, across every worker (the "outside world": helm releases, credentials):
/// every call with its cluster, method, operation key and time, and the intervals during which a
/// driver call for a cluster was running.
final class EffectLedger: Sendable {
    struct Call: Sendable {
        let worker: String
        let cluster: String
        let method: String
        let key: String?
        let at: Timestamp
    }
    private struct State {
        var calls: [Call] = []
        var effects: [String: Int] = [:]
        var running: [String: String] = [:]
        var overlaps: [String] = []
    }
    private let state = Mutex(State())

    var calls: [Call] { state.withLock { $0.calls } }
    var overlaps: [String] { state.withLock { $0.overlaps } }
    /// Effects applied per `cluster:method` — idempotent by operation key, as helm's release or a
    /// credential named after the operation would be: a call with a key already applied changes
    /// nothing. Calls without a key (not journalled) always apply.
    var effects: [String: Int] { state.withLock { $0.effects } }

    func enter(worker: String, cluster: String, method: String, key: String?, at: Timestamp) {
        state.withLock { s in
            s.calls.append(Call(worker: worker, cluster: cluster, method: method, key: key, at: at))
            if method != "update_cluster_status" {
                let applied = key.map { k in s.calls.dropLast().contains { $0.key == k && $0.method == method } } ?? false
                if !applied { s.effects["\(cluster):\(method)", default: 0] += 1 }
            }
            if let other = s.running[cluster] {
                s.overlaps.append("\(cluster): \(method) by \(worker) while \(other) ran")
            }
            s.running[cluster] = "\(worker):\(method)"
        }
    }

    func exit(cluster: String) { state.withLock { _ = $0.running.removeValue(forKey: cluster) } }

    func count(method: String, cluster: String) -> Int {
        state.withLock { $0.calls.filter { $0.method == method && $0.cluster == cluster }.count }
    }
}

/// A driver that records every call in the shared ledger and moves clusters on as a real one
/// would: `*_IN_PROGRESS` → `*_COMPLETE` at the next status sync (`DELETE_COMPLETE` for a
/// delete), nodegroups with it; `create_cluster` sets a `stack_id`. `callDuration` keeps each
/// call running a while (to catch interleaving). `completes` = false leaves clusters in progress.
struct LedgerDriver: ClusterDriver {
    let worker: String
    let store: any ClusterStore
    let ledger: EffectLedger
    let clock: any WorkerClock
    var callDuration: Duration = .zero
    var completes = true
    /// Clusters whose create kills the worker running it (a poison request).
    var poison: Set<String> = []
    var crash: @Sendable () async -> Void = {}

    var provides: [ClusterType] { [ClusterType(serverType: "vm", os: "ubuntu", coe: "kubernetes")] }

    func record(_ method: String, _ cluster: Cluster) async {
        ledger.enter(worker: worker, cluster: cluster.uuid ?? "None", method: method, key: OperationAttempt.current?.key, at: clock.now())
        if callDuration > .zero { try? await Task.sleep(for: callDuration) }
        ledger.exit(cluster: cluster.uuid ?? "None")
    }

    func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws {
        await record("create_cluster", cluster)
        if poison.contains(cluster.uuid ?? "") {
            await crash()
            throw StoreError(.connection, "worker died")
        }
        try cluster.setValue(.string("\(cluster.name ?? "c")-stack"), for: "stack_id")
        try await store.saveRow(&cluster)
    }

    func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws {
        await record("update_cluster", cluster)
    }

    func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                       context: RequestContext) async throws {
        await record("resize_cluster", cluster)
    }

    func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?, nodeGroup: inout NodeGroup,
                        rollback: Bool, context: RequestContext) async throws {
        await record("upgrade_cluster", cluster)
    }

    func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        await record("delete_cluster", cluster)
    }

    func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        await record("create_nodegroup", cluster)
    }

    func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        await record("update_nodegroup", cluster)
    }

    func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        await record("delete_nodegroup", cluster)
    }

    func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {
        await record("update_cluster_status", cluster)
        guard completes, let status = cluster.status?.rawValue, status.hasSuffix("_IN_PROGRESS") else { return }
        let done = status.replacingOccurrences(of: "_IN_PROGRESS", with: "_COMPLETE")
        for var ng in try await store.nodeGroups(of: cluster, context: .allProjects) where ng.status?.rawValue.hasSuffix("_IN_PROGRESS") == true {
            if ng.status == .deleteInProgress {
                try await store.destroy(ng)
            } else {
                try ng.setValue(.string(ng.status?.rawValue.replacingOccurrences(of: "_IN_PROGRESS", with: "_COMPLETE") ?? ""), for: "status")
                try await store.saveRow(&ng)
            }
        }
        try cluster.setValue(.string(done), for: "status")
        try cluster.setValue(.string("done"), for: "status_reason")
        try await store.saveRow(&cluster)
    }
}

enum Fixture {
    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let user = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let template = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11"

    static func clusterUUID(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return "c0000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    static var context: RequestContext {
        RequestContext(fields: ["user_id": .string(user), "project_id": .string(project), "is_admin": false,
                                "roles": ["member"], "request_id": .string("req-\(UUID().uuidString.lowercased())")])
    }

    static func createTemplate(_ store: any ClusterStore) async throws {
        _ = try await store.createClusterTemplate([
            "uuid": .string(template), "name": "k8s-v1.31", "project_id": .string(project), "user_id": .string(user),
            "coe": "kubernetes", "server_type": "vm", "image_id": "ubuntu-2204-kube-v1.31.4", "flavor_id": "m1.medium",
            "master_flavor_id": "m1.large", "keypair_id": "ops-key", "external_network_id": "public", "network_driver": "calico",
            "cluster_distro": "ubuntu", "public": true, "hidden": false, "tls_disabled": false, "labels": ["kube_tag": "v1.31.4"],
            "driver": "k8s_capi_helm_v1",
        ])
    }

    /// Clusters straight in the database (for the sync tests), with a default worker nodegroup.
    static func createCluster(_ store: any ClusterStore, _ i: Int, status: String) async throws {
        _ = try await store.createCluster([
            "uuid": .string(clusterUUID(i)), "name": .string("c\(i)"), "project_id": .string(project), "user_id": .string(user),
            "cluster_template_id": .string(template), "status": .string(status), "labels": [:],
        ])
        _ = try await store.createNodeGroup([
            "uuid": .string(nodeGroupUUID(100_000 + i)), "name": "default-worker", "cluster_id": .string(clusterUUID(i)),
            "project_id": .string(project), "role": "worker", "node_count": 2, "is_default": true, "status": .string(status),
        ])
    }

    /// `cluster_create` as magnum-api casts it: a new Cluster object (uuid set by the API, the
    /// flavors taken from the template when the user gave none).
    static func createArgs(_ i: Int) throws -> JSONObject {
        var cluster = Cluster()
        cluster.uuid = clusterUUID(i)
        cluster.name = "c\(i)"
        try cluster.setValue("m1.medium", for: "flavor_id")
        try cluster.setValue("m1.large", for: "master_flavor_id")
        try cluster.setValue(.string(project), for: "project_id")
        try cluster.setValue(.string(user), for: "user_id")
        try cluster.setValue(.string(template), for: "cluster_template_id")
        try cluster.setValue(.string("ops-key"), for: "keypair")
        try cluster.setValue(["kube_tag": "v1.31.4"], for: "labels")
        try cluster.setValue(.int(60), for: "create_timeout")
        return ["cluster": try cluster.primitive(), "master_count": 1, "node_count": 2, "create_timeout": 60]
    }

    static func updateArgs(_ store: any ClusterStore, _ i: Int, nodeCount: Int) async throws -> JSONObject {
        let cluster = try await store.cluster(uuid: clusterUUID(i), context: .allProjects)
        return ["cluster": try cluster.primitive(), "node_count": .int(Int64(nodeCount)),
                "health_status": cluster.base["health_status"] ?? .null,
                "health_status_reason": cluster.base["health_status_reason"] ?? .null, "rollback": false]
    }

    static func resizeArgs(_ store: any ClusterStore, _ i: Int, nodeCount: Int) async throws -> JSONObject {
        let cluster = try await store.cluster(uuid: clusterUUID(i), context: .allProjects)
        let worker = try await store.nodeGroup(name: "default-worker", clusterId: clusterUUID(i), context: .allProjects)
        return ["cluster": try cluster.primitive(), "node_count": .int(Int64(nodeCount)), "nodes_to_remove": [],
                "nodegroup": try worker.primitive()]
    }

    static func nodeGroupUUID(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return "d0000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    static func nodeGroupCreateArgs(_ store: any ClusterStore, _ i: Int) async throws -> JSONObject {
        let cluster = try await store.cluster(uuid: clusterUUID(i), context: .allProjects)
        var ng = NodeGroup()
        ng.uuid = nodeGroupUUID(i)
        ng.name = "extra"
        ng.clusterId = clusterUUID(i)
        ng.projectId = project
        ng.nodeCount = 1
        ng.role = "worker"
        try ng.setValue(.string("m1.medium"), for: "flavor_id")
        try ng.setValue(.string("ubuntu-2204-kube-v1.31.4"), for: "image_id")
        try ng.setValue(.bool(false), for: "is_default")
        return ["cluster": try cluster.primitive(), "nodegroup": try ng.primitive()]
    }

    static func deleteArgs(_ i: Int) -> JSONObject { ["uuid": .string(clusterUUID(i))] }
}

/// Resident set size of this process, in KiB (`/proc/self/status`).
func residentKiB() -> Int { ProcessMemory.of().resident }

/// Polls `condition` every 20 ms up to `seconds`.
func eventually(_ seconds: Double = 60, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw HarnessError("timed out waiting for \(what)")
}

/// One in-process worker: its own broker connection, its own database connection(s) behind a
/// kill switch, its own lease owner, the ledger driver.
final class TestWorker: Sendable {
    let host: String
    let kill: KillSwitch
    let disconnect: @Sendable () async -> Void
    let service: ConductorService
    let store: SQLClusterStore<KillableDatabase>

    init(host: String, kill: KillSwitch, disconnect: @escaping @Sendable () async -> Void, service: ConductorService,
         store: SQLClusterStore<KillableDatabase>) {
        self.host = host
        self.kill = kill
        self.disconnect = disconnect
        self.service = service
        self.store = store
    }

    static func start(host: String, broker: InMemoryBroker, database: SharedDatabase, ledger: EffectLedger,
                      options: ReliabilityOptions, clock: any WorkerClock = WallClock(),
                      periodicMode: ConductorService.PeriodicMode = .automatic, periodicEnable: Bool = false,
                      serviceDownTime: Int = 3, callDuration: Duration = .zero, completes: Bool = true,
                      poison: Set<String> = []) async throws -> TestWorker {
        let transport = await broker.connect()
        return try await start(host: host, transport: transport, disconnect: { await transport.close() }, database: database,
                               ledger: ledger, options: options, clock: clock, periodicMode: periodicMode,
                               periodicEnable: periodicEnable, serviceDownTime: serviceDownTime, callDuration: callDuration,
                               completes: completes, poison: poison)
    }

    static func start(host: String, transport: any MessageTransport, disconnect: @escaping @Sendable () async -> Void,
                      rabbit: RabbitOptions = RabbitOptions(), database: SharedDatabase, ledger: EffectLedger,
                      options: ReliabilityOptions, clock: any WorkerClock = WallClock(),
                      periodicMode: ConductorService.PeriodicMode = .automatic, periodicEnable: Bool = false,
                      serviceDownTime: Int = 3, callDuration: Duration = .zero, completes: Bool = true,
                      poison: Set<String> = []) async throws -> TestWorker {
        let kill = KillSwitch()
        let raw = try await database.open()
        let killable = KillableDatabase(inner: raw, kill: kill)
        let store = SQLClusterStore(database: killable)
        let effectiveClock: any WorkerClock
        if case .manual(let virtual) = periodicMode { effectiveClock = virtual } else { effectiveClock = clock }
        let driver = LedgerDriver(worker: host, store: store, ledger: ledger, clock: effectiveClock, callDuration: callDuration,
                                  completes: completes, poison: poison, crash: { kill.kill(); await disconnect() })
        var log = testLogger
        log[metadataKey: "worker"] = "\(host)"
        let service = ConductorService(
            options: ConductorOptions(host: host, periodicEnable: periodicEnable, serviceDownTime: serviceDownTime,
                                      healthPollingInterval: -1, notificationDriver: .messagingV2, statusSyncInterval: 10),
            transport: transport, store: store,
            drivers: ClusterDriverRegistry([.init(name: "k8s_capi_helm_v1", driver: driver)]),
            x509: X509Options(rsaKeySize: 1024), rpcOptions: RPCServerOptions(rabbit: rabbit, settlement: ConductorService.settlement()),
            clock: clock, periodicMode: periodicMode,
            reliability: ReliabilitySetup(database: killable, options: options, owner: "\(host)/\(UUID().uuidString.prefix(8))"),
            logger: log)
        try await service.start()
        return TestWorker(host: host, kill: kill, disconnect: disconnect, service: service, store: store)
    }

    /// Dies abruptly: no more database writes, the broker connection drops (its unsettled
    /// deliveries go back to the queue), nothing is released.
    func crash() async {
        kill.kill()
        await disconnect()
    }
}

/// The dead-letter queue every test broker routes rejected conductor messages to.
func makeBroker() async throws -> InMemoryBroker {
    let broker = InMemoryBroker()
    await broker.addPolicy(.init(exchange: "dlx") { $0 == "magnum-conductor" || $0.hasPrefix("magnum-conductor.") })
    let admin = await broker.connect()
    try await admin.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
    try await admin.declareQueue(QueueDeclaration(name: "dead"))
    try await admin.bindQueue(QueueBinding(queue: "dead", exchange: "dlx", routingKey: ""))
    return broker
}

func makeClient(_ broker: InMemoryBroker) async -> RPCClient {
    RPCClient(transport: await broker.connect(), target: RPCTarget(exchange: "magnum", topic: "magnum-conductor"),
              options: RPCClientOptions(timeout: .seconds(30)), logger: testLogger)
}

/// The broker settings of the fault runs over real RabbitMQ: quorum queues, as operators running
/// several workers configure them.
let quorumRabbit: RabbitOptions = {
    var rabbit = RabbitOptions()
    rabbit.rabbitQuorumQueue = true
    return rabbit
}()

/// A transport to a real RabbitMQ for the fault runs: oslo's reconnects, retried at once, quiet.
func faultRunTransport(url: String, rabbit: RabbitOptions = quorumRabbit) async throws -> AMQPTransport {
    var settings = MessagingSettings(transportURL: url, rabbit: rabbit)
    settings.connection.heartbeatTimeoutThreshold = 10
    settings.connection.rabbitRetryBackoff = 0
    var configuration = try settings.amqpConfiguration()
    configuration.connectTimeout = .seconds(10)
    configuration.rpcTimeout = .seconds(30)
    var options = settings.transportOptions
    options.connectionName = "reliability-tests"
    var logger = testLogger
    logger.logLevel = .critical
    return try await AMQPTransport.connect(configuration: configuration, options: options, logger: logger)
}

/// magnum-api's end of a fault run over real RabbitMQ: an `RPCClient` to the conductor's topic
/// on a transport of its own (also used to look at the queues).
struct BrokerClient: Sendable {
    let transport: AMQPTransport
    let client: RPCClient

    static func connect(url: String, rabbit: RabbitOptions = quorumRabbit) async throws -> BrokerClient {
        let transport = try await faultRunTransport(url: url, rabbit: rabbit)
        return BrokerClient(transport: transport,
                            client: RPCClient(transport: transport, target: RPCTarget(exchange: "magnum", topic: "magnum-conductor"),
                                              options: RPCClientOptions(rabbit: rabbit, timeout: .seconds(60)), logger: testLogger))
    }

    func close() async {
        await client.close()
        await transport.close()
    }
}
