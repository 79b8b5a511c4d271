import CapiHelmDriver
import CapiHelmRuntime
import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Synchronization
import Testing
import TestSupport
import Worker

/// A worker dies inside the capi-helm driver's `create_cluster`, after Keystone made the
/// cluster's application credential and before the Secret holding it was written. Another
/// worker resumes the request (journal): the orphaned credential is deleted and one new
/// credential made — none is left behind. The real `CapiHelmClusterDriver` and `CapiHelmDriver`
/// over recording ports; the worker's journal, leases and settlement as in production.
@Suite("Resumed create_cluster: no application credential left behind")
struct ResumedCreateCredentialTests {
    /// A recording management cluster whose first write of a `-cloud-credentials` Secret kills
    /// the worker (its database cut, its broker connection dropped) instead of writing.
    final class DyingKubernetes: KubernetesPort {
        let inner = RecordingKubernetes(state: [:])
        let dies: Bool
        let die: @Sendable () async -> Void
        init(dies: Bool, die: @escaping @Sendable () async -> Void) {
            self.dies = dies
            self.die = die
        }
        func ensureNamespace(_ namespace: String) async throws { try await inner.ensureNamespace(namespace) }
        func applySecret(name: String, body: JSONValue, namespace: String) async throws {
            if dies && name.hasSuffix("-cloud-credentials") {
                await die()
                throw StoreError(.connection, "worker died")
            }
            try await inner.applySecret(name: name, body: body, namespace: namespace)
        }
        func deleteAllSecrets(label: String, value: String, namespace: String) async throws {
            try await inner.deleteAllSecrets(label: label, value: value, namespace: namespace)
        }
        func secretValue(name: String, namespace: String, key: String) async throws -> String? {
            try await inner.secretValue(name: name, namespace: namespace, key: key)
        }
        func capiCluster(name: String, namespace: String) async throws -> JSONValue? { try await inner.capiCluster(name: name, namespace: namespace) }
        func openStackCluster(name: String, namespace: String) async throws -> JSONValue? {
            try await inner.openStackCluster(name: name, namespace: namespace)
        }
        func controlPlane(name: String, namespace: String) async throws -> JSONValue? { try await inner.controlPlane(name: name, namespace: namespace) }
        func machineDeployment(name: String, namespace: String) async throws -> JSONValue? {
            try await inner.machineDeployment(name: name, namespace: namespace)
        }
        func addons(labels: LabelSelector, namespace: String) async throws -> [JSONValue] { try await inner.addons(labels: labels, namespace: namespace) }
        func machines(labels: LabelSelector, namespace: String) async throws -> [JSONValue] { try await inner.machines(labels: labels, namespace: namespace) }
        func annotateMachine(name: String, namespace: String, annotations: [String: String]) async throws {
            try await inner.annotateMachine(name: name, namespace: namespace, annotations: annotations)
        }
    }

    /// A worker whose driver is the real capi-helm driver over recording ports (`openStack`
    /// shared by the workers: it is "Keystone").
    static func startWorker(host: String, broker: InMemoryBroker, database: SharedDatabase, openStack: RecordingOpenStack,
                            helm: RecordingHelm, dies: Bool) async throws -> TestWorker {
        let kill = KillSwitch()
        let transport = await broker.connect()
        let killable = KillableDatabase(inner: try await database.open(), kill: kill)
        let store = SQLClusterStore(database: killable)
        let kubernetes = DyingKubernetes(dies: dies, die: { kill.kill(); await transport.close() })
        let driver = CapiHelmDriver(
            configuration: DriverConfiguration(),
            ports: DriverPorts(helm: helm, kubernetes: kubernetes, openStack: openStack, certificates: StaticCertificates(input: nil),
                               store: ClusterStorePersistence(store: store, database: nil)),
            logger: testLogger)
        let service = ConductorService(
            options: ConductorOptions(host: host, periodicEnable: false, serviceDownTime: 3, healthPollingInterval: -1,
                                      notificationDriver: .messagingV2, statusSyncInterval: 10),
            transport: transport, store: store,
            drivers: ClusterDriverRegistry([.init(name: CapiHelmClusterDriver.entryPoint, driver: CapiHelmClusterDriver(driver: driver))]),
            x509: X509Options(rsaKeySize: 1024), rpcOptions: RPCServerOptions(settlement: ConductorService.settlement()),
            reliability: ReliabilitySetup(database: killable, options: ReliabilityOptions(leaseTime: 2, leaseAcquireTimeout: 15, maxDeliveries: 5, periodicJitter: 0),
                                          owner: "\(host)/\(UUID().uuidString.prefix(8))"),
            logger: testLogger)
        try await service.start()
        return TestWorker(host: host, kill: kill, disconnect: { await transport.close() }, service: service, store: store)
    }

    @Test(.timeLimit(.minutes(2)))
    func credentialMadeByTheDeadAttemptIsDeletedAndOneNewMade() async throws {
        let database = try SharedDatabase.sqlite()
        let observer = try await database.observer()
        try await WorkerSchema.migrate(observer.database)
        try await Fixture.createTemplate(observer)
        let broker = try await makeBroker()
        let client = await makeClient(broker)
        let fixture = try JSONValue(parsing: Array(try Data(contentsOf: TestEnvironment.fixturesDirectory
            .appendingPathComponent("driver/create_defaults.json"))))
        var input = fixture["input"] ?? [:]
        input["app_credential"] = ["id": "appcred-first", "secret": "appcred-first-secret"]
        let openStack = RecordingOpenStack(input: input)
        let helm = RecordingHelm()

        let first = try await Self.startWorker(host: "worker-a", broker: broker, database: database, openStack: openStack, helm: helm, dies: true)
        // As magnum-api sends it: the template's flavors copied onto the cluster.
        var cluster0 = Cluster()
        cluster0.uuid = Fixture.clusterUUID(0)
        cluster0.name = "c0"
        try cluster0.setValue(.string(Fixture.project), for: "project_id")
        try cluster0.setValue(.string(Fixture.user), for: "user_id")
        try cluster0.setValue(.string(Fixture.template), for: "cluster_template_id")
        try cluster0.setValue(.string("ops-key"), for: "keypair")
        try cluster0.setValue(["kube_tag": "v1.31.4"], for: "labels")
        try cluster0.setValue(.string("m1.medium"), for: "flavor_id")
        try cluster0.setValue(.string("m1.large"), for: "master_flavor_id")
        try cluster0.setValue(.int(60), for: "create_timeout")
        let args: JSONObject = ["cluster": try cluster0.primitive(), "master_count": 1, "node_count": 2, "create_timeout": 60]
        try await client.cast("cluster_create", args: args, context: Fixture.context)
        try await eventually(30, "the first worker dies inside create_cluster") { first.kill.killed }
        let uuid = Fixture.clusterUUID(0)
        let steps = try await observer.database.read {
            try $0.query("SELECT steps, state FROM capi_worker_journal WHERE method = 'cluster_create'", []).rows
        }
        #expect(steps.count == 1)
        guard case .text(let recorded)? = steps.first?.first else { Issue.record("no journal row"); return }
        #expect(recorded.contains("driver:create_cluster:credential:appcred-first"), "\(recorded)")
        #expect(!recorded.contains("driver:create_cluster:done"))

        // The request comes back to a healthy worker once the dead one's lease expires.
        let second = try await Self.startWorker(host: "worker-b", broker: broker, database: database, openStack: openStack, helm: helm, dies: false)
        try await eventually(60, "the resumed create_cluster is done") {
            let rows = try await observer.database.read {
                try $0.query("SELECT state FROM capi_worker_journal WHERE method = 'cluster_create'", []).rows
            }
            return rows.first?.first == .text("done")
        }
        let cluster = try await observer.cluster(uuid: uuid, context: .allProjects)
        #expect(cluster.status == .createInProgress, "\(cluster.status?.rawValue ?? "None") \(cluster.base["status_reason"] ?? .null)")
        // Keystone saw: the first credential made, deleted when the request resumed, one new.
        let keystone = openStack.calls.filter { ($0["call"]?.stringValue ?? "").contains("application_credential") }
        #expect(keystone == [
            ["call": "keystone.create_application_credential", "cluster": .string(uuid)],
            ["call": "keystone.list_application_credentials", "cluster": .string(uuid)],
            ["call": "keystone.delete_application_credential", "id": "appcred-first"],
            ["call": "keystone.create_application_credential", "cluster": .string(uuid)],
        ], "\(keystone)")
        #expect(helm.calls.filter { $0["call"] == "install_or_upgrade" }.count == 1)
        await second.service.stop()
        await client.close()
        await observer.close()
        await database.cleanup()
    }
}
