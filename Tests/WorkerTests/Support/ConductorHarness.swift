import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import OsloMessaging
import TestSupport
import Worker

enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case mariadb
    var description: String { rawValue }
}

/// A Magnum database for one side of a test: its store and the URL the Python peer opens.
struct MagnumDatabase: Sendable {
    let store: any ClusterStore
    /// `[database] connection` (holds a password for MariaDB: never log it).
    let url: String
    let backend: Backend

    static let logger = Logger(label: "test.worker")

    /// Runs `body` with `count` fresh databases of `backend` (MariaDB: skipped when absent and not
    /// required by tools/test).
    static func with(_ backend: Backend, count: Int = 1, _ name: String = #function,
                     _ body: @Sendable ([MagnumDatabase]) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            let dir = try TestEnvironment.temporaryDirectory("conductor")
            defer { try? FileManager.default.removeItem(at: dir) }
            var dbs: [MagnumDatabase] = []
            for i in 0..<count {
                let path = dir.appendingPathComponent("magnum-\(i).sqlite").path
                dbs.append(MagnumDatabase(store: try await SQLiteClusterStore.open(path: path), url: "sqlite:///\(path)", backend: .sqlite))
            }
            try await run(dbs, body)
        case .mariadb:
            guard TestEnvironment.mariadbEnabled else { return }
            let server = try TestEnvironment.requireMariaDB()
            try await TestEnvironment.mariadbGate.shared {
                var names: [String] = []
                var dbs: [MagnumDatabase] = []
                do {
                    for _ in 0..<count {
                        let prefix = "cond\(String(name.filter { $0.isLetter }.prefix(10)))"
                        let dbName = try await server.makeMagnumDatabase(prefix)
                        names.append(dbName)
                        let url = server.url(database: dbName)
                        guard case .mariadb(let options) = try DatabaseURL(url) else { throw HarnessError("not a MySQL URL") }
                        let store = try await MariaDBClusterStore.open(options: options, pool: .init(maxConnections: 3), logger: logger)
                        dbs.append(MagnumDatabase(store: store, url: url, backend: .mariadb))
                    }
                    try await run(dbs, body)
                } catch {
                    let created = names
                    await offloaded { for n in created { server.dropDatabase(n) } }
                    throw error
                }
                let created = names
                await offloaded { for n in created { server.dropDatabase(n) } }
            }
        }
    }

    private static func run(_ dbs: [MagnumDatabase], _ body: @Sendable ([MagnumDatabase]) async throws -> Void) async throws {
        do {
            try await body(dbs)
        } catch {
            for d in dbs { await d.store.close() }
            throw error
        }
        for d in dbs { await d.store.close() }
    }
}

/// Runs blocking work (a child process, a script) on a Dispatch thread, so tests running in
/// parallel keep Swift's few cooperative threads.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

func offloaded(_ work: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            work()
            continuation.resume()
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The rows every test database starts with: the recorded traffic's template, its cluster
/// `prod-east` (with certificates) and its three nodegroups, plus a second project's cluster.
enum Seed {
    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let user = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let template = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11"
    static let cluster = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
    static let otherCluster = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    static let otherProject = "other-project"
    static let createdAt = "2026-11-25T00:01:42Z"
    static let updatedAt = "2026-11-25T00:03:07Z"
    static let nodeGroups = [
        ("default-master", "42e07147-fddb-5c3c-a670-4e80ee2753b9", "master", 3, true),
        ("default-worker", "5ddfed56-12d7-5835-98c7-504522ed7132", "worker", 2, true),
        ("gpu-pool", "80ca45af-ee7d-52af-beb6-384b01ba03df", "worker", 1, false),
    ]
    /// The seeded cluster's key pairs: Kubernetes, etcd, front-proxy CA, admin client.
    static let keyPairUUIDs = [
        "c1a00000-0000-4000-8000-000000000001", "c1a00000-0000-4000-8000-000000000002",
        "c1a00000-0000-4000-8000-000000000003", "c1a00000-0000-4000-8000-000000000004",
    ]
    static var seedUUIDs: Set<String> {
        Set([template, cluster, otherCluster] + nodeGroups.map(\.1) + keyPairUUIDs + ["c1a00000-0000-4000-8000-000000000011"])
    }

    /// Certificates made once per test run (RSA key generation is slow in debug builds).
    static let certificates = Task { () -> [X509KeyPair] in
        let memory = InMemoryX509KeyPairStore()
        let service = ClusterCertificateService(store: memory, options: X509Options(rsaKeySize: ConductorHarness.rsaKeySize), logger: MagnumDatabase.logger)
        var cluster = Cluster()
        cluster.uuid = Seed.cluster
        cluster.name = "prod-east"
        try await service.generateCertificates(for: &cluster, context: CertificateContext(projectId: project, userId: user))
        return await memory.all()
    }

    static func apply(to store: any ClusterStore, clusterStatus: String = "CREATE_COMPLETE") async throws {
        let created: JSONValue = .string(createdAt)
        _ = try await store.createClusterTemplate([
            "uuid": .string(template), "name": "k8s-v1.31", "project_id": .string(project), "user_id": .string(user),
            "coe": "kubernetes", "server_type": "vm", "image_id": "ubuntu-2204-kube-v1.31.4", "flavor_id": "m1.medium",
            "master_flavor_id": "m1.large", "keypair_id": "ops-key", "external_network_id": "public", "network_driver": "calico",
            "volume_driver": "cinder", "dns_nameserver": "8.8.8.8", "cluster_distro": "ubuntu", "public": true, "hidden": false,
            "tls_disabled": false, "registry_enabled": false, "master_lb_enabled": true, "floating_ip_enabled": true,
            "labels": ["kube_tag": "v1.31.4", "monitoring_enabled": "false"], "tags": "", "driver": "k8s_capi_helm_v1",
            "created_at": created,
        ])
        let pairs = try await certificates.value
        for (i, pair) in pairs.enumerated() {
            var values = pair.base.orderedValues
            values["id"] = nil
            values["uuid"] = .string(keyPairUUIDs[i])
            values["created_at"] = created
            values["updated_at"] = nil
            _ = try await store.createX509KeyPair(values)
        }
        _ = try await store.createCluster([
            "uuid": .string(cluster), "name": "prod-east", "project_id": .string(project), "user_id": .string(user),
            "cluster_template_id": .string(template), "keypair": "ops-key", "labels": ["kube_tag": "v1.31.4"],
            "master_flavor_id": "m1.large", "flavor_id": "m1.medium", "status": .string(clusterStatus),
            "status_reason": "Cluster creation complete", "create_timeout": 60, "api_address": "https://203.0.113.10:6443",
            "stack_id": "prod-east-a1b2c3d4", "coe_version": "v1.31.4", "floating_ip_enabled": true, "master_lb_enabled": true,
            "health_status": "HEALTHY", "health_status_reason": ["api": "ok"],
            "ca_cert_ref": .string(keyPairUUIDs[0]), "etcd_ca_cert_ref": .string(keyPairUUIDs[1]),
            "front_proxy_ca_cert_ref": .string(keyPairUUIDs[2]), "magnum_cert_ref": .string(keyPairUUIDs[3]),
            "created_at": created, "updated_at": .string(updatedAt),
        ])
        for (name, uuid, role, count, isDefault) in nodeGroups {
            _ = try await store.createNodeGroup([
                "uuid": .string(uuid), "name": .string(name), "cluster_id": .string(cluster), "project_id": .string(project),
                "labels": [:], "flavor_id": role == "master" ? "m1.large" : "m1.medium", "image_id": "ubuntu-2204-kube-v1.31.4",
                "node_count": .int(Int64(count)), "role": .string(role), "min_node_count": isDefault ? 1 : 0,
                "is_default": .bool(isDefault), "status": "CREATE_COMPLETE", "node_addresses": isDefault ? .array([.string("10.0.0.\(count)")]) : [],
                "node_labels": isDefault ? [:] : ["tier": "gpu"],
                "node_taints": isDefault ? [] : [["key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"]],
                "created_at": created,
            ])
        }
        // A cluster of another project the member may not see.
        _ = try await store.createCluster([
            "uuid": .string(otherCluster), "name": "elsewhere", "project_id": .string(otherProject), "user_id": "someone",
            "cluster_template_id": .string(template), "status": "UPDATE_IN_PROGRESS", "labels": [:], "created_at": created,
        ])
        _ = try await store.createNodeGroup([
            "uuid": "c1a00000-0000-4000-8000-000000000011", "name": "default-worker", "cluster_id": .string(otherCluster),
            "project_id": .string(otherProject), "role": "worker", "node_count": 4, "is_default": true, "status": "UPDATE_IN_PROGRESS",
            "created_at": created,
        ])
    }
}

/// One request as the tests send it: a recorded message, possibly changed.
struct ConductorMessage: Sendable {
    var method: String
    var args: JSONObject
    var context: JSONObject
    var namespace: String?
    var version: String?

    /// Message `index` of a recording under `Tests/Fixtures/wire/`.
    static func recorded(_ file: String, _ index: Int = 0) throws -> ConductorMessage {
        let url = TestEnvironment.fixturesDirectory.appendingPathComponent("wire/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        var requests: [JSONObject] = []
        for line in lines {
            let entry = try JSONValue(parsing: String(line))
            guard let body = entry["body"]?.stringValue else { continue }
            let message = try RPCEnvelope.decode(Array(body.utf8)).message
            if message["method"] != nil { requests.append(message) }
        }
        guard index < requests.count else { throw HarnessError("\(file) has no request \(index)") }
        let request = try RPCRequest(message: requests[index])
        return ConductorMessage(method: request.method, args: request.args, context: request.context.fields,
                                namespace: request.namespace, version: request.version)
    }

    /// Changes field `field` of the object argument `argument`.
    func setting(_ argument: String, _ field: String, _ value: JSONValue?) -> ConductorMessage {
        var copy = self
        guard case .object(var object)? = copy.args[argument], case .object(var data)? = object[PrimitiveKey.data] else { return copy }
        data[field] = value
        object[PrimitiveKey.data] = .object(data)
        copy.args[argument] = .object(object)
        return copy
    }

    func arg(_ name: String, _ value: JSONValue?) -> ConductorMessage {
        var copy = self
        copy.args[name] = value
        return copy
    }

    var json: JSONValue {
        var o: JSONObject = ["method": .string(method), "args": .object(args), "context": .object(context)]
        if let namespace { o["namespace"] = .string(namespace) }
        if let version { o["version"] = .string(version) }
        return .object(o)
    }

    var request: RPCRequest {
        RPCRequest(method: method, args: args, namespace: namespace, version: version, context: RequestContext(fields: context))
    }
}

/// The Swift conductor over one database: the real `Conductor`, endpoints and serializer behind
/// an `RPCDispatcher`, a `RecordingClusterDriver`, and a notifier publishing to an in-memory
/// broker through a recording transport (so notifications are read back as the bytes sent).
struct ConductorHarness: Sendable {
    let store: any ClusterStore
    let driver: RecordingClusterDriver
    let recorder: TransportRecorder
    let conductor: Conductor
    let dispatcher: RPCDispatcher
    let statusSync: ClusterStatusSync
    let clock: VirtualClock

    static let host = "conductor-1"
    static let logger = Logger(label: "test.conductor")
    /// `[x509] rsa_key_size` for both conductors in these tests: key material is not compared
    /// (ClusterCertificatesTests check Magnum's 2048-bit keys), and 1024-bit keys keep the many
    /// cluster creations of the parity tests cheap on a two-core CI machine.
    static let rsaKeySize = 1024

    init(store: any ClusterStore, script: DriverScript = DriverScript(), drivers: [String] = ["k8s_capi_helm_v1"],
         statusUpdates: Bool = true, clock: VirtualClock = VirtualClock(start: Timestamp(microsecondsSinceEpoch: 1_795_000_000_123_456))) async {
        self.store = store
        self.clock = clock
        let driver = RecordingClusterDriver(store: store, script: script)
        self.driver = driver
        let recorder = TransportRecorder()
        self.recorder = recorder
        let transport = RecordingTransport(wrapping: await InMemoryBroker().connect(), recorder: recorder)
        let notifier = Notifier(transport: transport, publisherID: "container-infra.\(Self.host)",
                                options: NotifierOptions(driver: .messagingV2, exchange: "magnum"), logger: Self.logger)
        let notifications = ConductorNotifications(notifier: notifier, store: store, clock: clock, host: Self.host,
                                                   statusUpdates: statusUpdates, logger: Self.logger)
        let certificates = ClusterCertificateService(store: ClusterStoreX509KeyPairs(store: store), options: X509Options(rsaKeySize: ConductorHarness.rsaKeySize),
                                                     logger: Self.logger)
        let registry = ClusterDriverRegistry(drivers.map { ClusterDriverRegistry.Entry(name: $0, driver: driver) })
        conductor = Conductor(store: store, drivers: registry, certificates: certificates, notifications: notifications, logger: Self.logger)
        dispatcher = RPCDispatcher(endpoints: ConductorEndpoints.all(conductor: conductor, indirection: IndirectionAPI(store: store, logger: Self.logger)),
                                   serializer: MagnumObjectSerializer())
        statusSync = ClusterStatusSync(store: store, drivers: registry, certificates: certificates, notifications: notifications,
                                       maxConcurrency: 1, logger: Self.logger)
    }

    /// Runs one message as the RPC server would: `{"result": R}` or `{"failure": {...}}` (the
    /// failure as it goes on the wire, without the traceback).
    func handle(_ message: ConductorMessage) async -> JSONObject {
        do {
            return ["result": try await dispatcher.dispatch(message.request, logger: Self.logger)]
        } catch {
            var failure = RemoteFailure(error: error).jsonObject
            failure["tb"] = nil
            return ["failure": .object(failure)]
        }
    }

    /// Every notification published so far, decoded from the bytes on the wire, in order.
    func notifications() async throws -> [OsloNotification] {
        try await recorder.publishedMessages.filter { $0.exchange == "magnum" && $0.routingKey.hasPrefix("notifications.") }
            .map { try OsloNotification(body: $0.body) }
    }

    /// The raw bodies of the notifications published so far.
    func notificationBodies() async -> [String] {
        await recorder.publishedMessages.filter { $0.routingKey.hasPrefix("notifications.") }.map { String(decoding: $0.body, as: UTF8.self) }
    }
}

extension TestEnvironment {
    /// Magnum's conductor handlers, periodic tasks and service group (`tools/peers/magnum_conductor.py`).
    static let magnumConductorPeer = PythonPeerServer(script: "magnum_conductor.py")
}

/// Sends a request to the Python conductor peer.
func askConductorPeer(_ request: JSONObject) async throws -> JSONValue {
    try JSONValue(parsing: await TestEnvironment.magnumConductorPeer.request(JSONValue.object(request).jsonString(.compact)))
}
