// The worker as deployed, for `tools/bench`: full-path cluster_create casts, status sync against
// the fake Kubernetes API, notifications. Each mode prints one JSON line on standard output.
//
//   worker-bench create-fill URL EXCHANGE TOPIC COUNT BODY_FILE
//       publishes COUNT copies of a recorded cluster_create cast (confirmed), each with a fresh
//       `_unique_id` and a fresh cluster uuid, so every cast really creates a cluster.
//   worker-bench create-serve CONF URL COUNT
//       the conductor as `serve` assembles it (WorkerAssembly: ConductorService, the real
//       capi-helm driver, the store of `[database] connection`) consuming `[conductor] topic`
//       until COUNT clusters reached helm (`helm_mode = record`): rate (clusters/s from the start
//       of consumption to the last helm call: the casts are handled concurrently, so the first
//       helm call comes late), seconds, cpu_seconds (same span), max_rss_kb. Any
//       CREATE_FAILED cluster stops it with an error.
//   worker-bench seed CONF
//       creates the cluster template the recorded casts name (database of CONF), if absent.
//   worker-bench fake-k8s COUNT PROJECT DIR
//       a fake Kubernetes API (HTTPS, client certificates) holding COUNT provisioning clusters
//       (Cluster, KubeadmControlPlane, MachineDeployment) named `bench-<i>` in PROJECT's
//       namespace; writes DIR/kubeconfig, prints "ready" on standard error, serves until standard
//       input closes.
//   worker-bench sync CONF COUNT REPS
//       REPS runs of the conductor's `sync_cluster_status` over the database of CONF with the
//       management cluster of CONF: per run, clusters, wall seconds and CPU seconds.
//   worker-bench notify URL EXCHANGE COUNT NOTIFICATION_FILE CONCURRENCY
//       the Notifier over AMQPTransport sends COUNT copies of a recorded notification (event
//       type, payload, context) from CONCURRENCY tasks: rate, seconds, cpu_seconds, max_rss_kb.
import CapiHelmRuntime
import ClusterStore
import FakeHTTP
import FakeKubernetes
import Foundation
import JSON
import Logging
import MagnumObjects
import OsloConfig
import OsloMessaging
import Synchronization
import Worker

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("worker-bench: \(message)\n".utf8))
    exit(1)
}

func usage() -> (cpuSeconds: Double, maxRSSKB: Int) {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    let cpu = Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    return (cpu, u.ru_maxrss)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func emit(_ value: JSONValue) {
    print(value.jsonString())
    FileHandle.standardOutput.synchronizeFile()
}

func loadConfiguration(_ path: String) throws -> Configuration {
    var registry = OptionRegistry()
    WorkerAssembly.register(into: &registry)
    return try Configuration(registry: registry, configFiles: [path])
}

func openStore(_ configuration: Configuration, logger: Logger) async throws -> any ClusterStore {
    let database = try DatabaseSettings(configuration: configuration)
    return try await ClusterStores.open(connection: database.connection, logger: logger)
}

/// Replaces every occurrence of `old` in `bytes` by `new` (same length).
func replaceAll(_ bytes: inout [UInt8], _ old: [UInt8], _ new: [UInt8]) {
    precondition(old.count == new.count)
    var i = 0
    while i + old.count <= bytes.count {
        if bytes[i] == old[0], bytes[i..<(i + old.count)].elementsEqual(old) {
            bytes.replaceSubrange(i..<(i + old.count), with: new)
            i += old.count
        } else {
            i += 1
        }
    }
}

/// The cluster template of the recorded traffic (Tests/Fixtures/wire), as magnum-api stored it.
enum BenchSeed {
    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let user = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let template = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11"

    static func apply(to store: any ClusterStore) async throws {
        if (try? await store.clusterTemplate(uuid: template, context: .allProjects)) != nil { return }
        _ = try await store.createClusterTemplate([
            "uuid": .string(template), "name": "k8s-v1.31", "project_id": .string(project), "user_id": .string(user),
            "coe": "kubernetes", "server_type": "vm", "image_id": "ubuntu-2204-kube-v1.31.4", "flavor_id": "m1.medium",
            "master_flavor_id": "m1.large", "keypair_id": "ops-key", "external_network_id": "public", "network_driver": "calico",
            "volume_driver": "cinder", "dns_nameserver": "8.8.8.8", "cluster_distro": "ubuntu", "public": true, "hidden": false,
            "tls_disabled": false, "registry_enabled": false, "master_lb_enabled": true, "floating_ip_enabled": true,
            "labels": ["kube_tag": "v1.31.4", "monitoring_enabled": "false"], "tags": "", "driver": "k8s_capi_helm_v1",
            "created_at": .string(OsloTimestamp.string(from: Date())),
        ])
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fail("usage: worker-bench create-fill|create-serve|seed|fake-k8s|sync|notify ...") }
var logger = Logger(label: "worker-bench")
logger.logLevel = .warning

switch arguments[1] {
case "create-fill":
    guard arguments.count == 7, let count = Int(arguments[5]),
          let template = FileManager.default.contents(atPath: arguments[6]).map({ [UInt8]($0) }) else {
        fail("usage: worker-bench create-fill URL EXCHANGE TOPIC COUNT BODY_FILE")
    }
    let url = arguments[2], exchange = arguments[3], topic = arguments[4]
    let request = try RPCRequest(body: template)
    guard let uniqueID = request.uniqueID.map({ Array($0.utf8) }), uniqueID.count == 32 else { fail("the body has no 32-digit _unique_id") }
    guard let clusterUUID = request.args["cluster"]?[PrimitiveKey.data]?["uuid"]?.stringValue.map({ Array($0.utf8) }),
          clusterUUID.count == 36 else { fail("the body is not a cluster_create cast with a cluster uuid") }
    let transport = try await MessagingSettings(transportURL: url).connectTransport(connectionName: "worker-bench-fill", logger: logger)
    try await OsloTopology().topicConsumer(exchange: exchange, routingKey: topic).apply(to: transport)
    var sent = 0
    while sent < count {
        let batch = min(200, count - sent)
        try await withThrowingTaskGroup(of: PublishOutcome.self) { group in
            for _ in 0..<batch {
                var body = template
                replaceAll(&body, uniqueID, Array(Identifiers.uuidHex().utf8))
                replaceAll(&body, clusterUUID, Array(Identifiers.uuidString().utf8))
                group.addTask {
                    try await transport.publish(OutgoingMessage(exchange: exchange, routingKey: topic, body: body, properties: .oslo()))
                }
            }
            for try await outcome in group where outcome != .accepted { fail("publish: \(outcome)") }
        }
        sent += batch
    }
    await transport.close()

case "seed":
    guard arguments.count == 3 else { fail("usage: worker-bench seed CONF") }
    let configuration = try loadConfiguration(arguments[2])
    let store = try await openStore(configuration, logger: logger)
    try await BenchSeed.apply(to: store)
    await store.close()

case "create-serve":
    guard arguments.count == 5, let count = Int(arguments[4]) else { fail("usage: worker-bench create-serve CONF URL COUNT") }
    let configuration = try loadConfiguration(arguments[2])
    let store = try await openStore(configuration, logger: logger)
    let transport = try await MessagingSettings(transportURL: arguments[3]).connectTransport(connectionName: "worker-bench-create", logger: logger)
    let assembly = try await WorkerAssembly.build(configuration: configuration, transport: transport, store: store, logger: logger)
    guard let recorder = assembly.runtime.renderOnly else { fail("CONF must set [capi_worker] helm_mode = record") }
    let cpuAtStart = usage().cpuSeconds
    let start = ContinuousClock.now
    try await assembly.conductor.start()
    FileHandle.standardError.write(Data("ready\n".utf8))
    var first: ContinuousClock.Instant?
    var cpuAtFirst = cpuAtStart
    var lastCheck = ContinuousClock.now
    while true {
        let done = recorder.calls.count
        if done > 0, first == nil {
            first = .now
            cpuAtFirst = usage().cpuSeconds
        }
        if done >= count { break }
        if ContinuousClock.now - lastCheck > .milliseconds(500) {
            lastCheck = .now
            let failed = try await store.clusters(context: .allProjects, filters: ["status": ["CREATE_FAILED"]], options: .all)
            if let f = failed.first { fail("cluster \(f.uuid ?? "?") CREATE_FAILED: \(f.statusReason ?? "")") }
            if ContinuousClock.now - start > .seconds(900) { fail("only \(done) of \(count) clusters created in 900 s") }
        }
        try await Task.sleep(for: .milliseconds(2))
    }
    let end = ContinuousClock.now
    let (cpu, rss) = usage()
    let elapsed = seconds(end - start)
    emit([
        "rate": .double(elapsed > 0 ? Double(count) / elapsed : 0), "seconds": .double(elapsed),
        "cpu_seconds": .double(cpu - cpuAtStart), "cpu_seconds_total": .double(cpu), "max_rss_kb": JSONValue(rss),
        "first_helm_call_seconds": .double(seconds((first ?? start) - start)),
        "cpu_seconds_before_first_helm_call": .double(cpuAtFirst - cpuAtStart),
    ])
    await assembly.conductor.stop()
    await assembly.runtime.shutdown()
    await transport.close()
    await store.close()

case "fake-k8s":
    guard arguments.count == 5, let count = Int(arguments[2]) else { fail("usage: worker-bench fake-k8s COUNT PROJECT DIR") }
    let project = arguments[3], directory = arguments[4]
    let pki = try TestPKI.make()
    let server = try await FakeKubernetesAPIServer.start(pki: pki)
    let namespace = "magnum-\(project)"
    let store = server.store
    try await store.seed("namespaces", group: "", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
    for i in 0..<count {
        let release = "bench-\(i)"
        let labels: JSONValue = ["cluster.x-k8s.io/cluster-name": .string(release)]
        // A cluster being provisioned (the driver case status_create_provisioning): the
        // infrastructure is up, the control plane is scaling, the workers are scaling up.
        try await store.seed("clusters", group: "cluster.x-k8s.io", object: [
            "metadata": ["name": .string(release), "namespace": .string(namespace), "labels": labels],
            "spec": ["controlPlaneEndpoint": ["host": "203.0.113.10", "port": 6443]],
            "status": ["conditions": [["status": "True", "type": "InfrastructureReady"], ["status": "False", "type": "ControlPlaneReady"]]],
        ])
        try await store.seed("kubeadmcontrolplanes", group: "controlplane.cluster.x-k8s.io", object: [
            "metadata": ["name": .string("\(release)-control-plane"), "namespace": .string(namespace), "labels": labels],
            "spec": ["replicas": 3, "version": "v1.31.4"],
            "status": ["conditions": [["status": "True", "type": "Available"], ["status": "True", "type": "CertificatesAvailable"]],
                       "readyReplicas": 1, "replicas": 2, "updatedReplicas": 2, "version": "v1.31.4"],
        ])
        try await store.seed("machinedeployments", group: "cluster.x-k8s.io", object: [
            "metadata": ["name": .string("\(release)-default-worker"), "namespace": .string(namespace), "labels": labels],
            "status": ["phase": "ScalingUp"],
        ])
    }
    try server.kubeconfig().write(toFile: "\(directory)/kubeconfig", atomically: true, encoding: .utf8)
    FileHandle.standardError.write(Data("ready\n".utf8))
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            _ = FileHandle.standardInput.readDataToEndOfFile()
            c.resume()
        }
    }
    let (cpu, rss) = usage()
    emit(["cpu_seconds_total": .double(cpu), "max_rss_kb": JSONValue(rss), "requests": JSONValue(server.requests.count)])
    await server.shutdown()
    try? FileManager.default.removeItem(atPath: pki.directory)

case "sync":
    guard arguments.count == 5, let count = Int(arguments[3]), let reps = Int(arguments[4]) else {
        fail("usage: worker-bench sync CONF COUNT REPS")
    }
    let configuration = try loadConfiguration(arguments[2])
    let store = try await openStore(configuration, logger: logger)
    let transport = await InMemoryBroker().connect()
    let assembly = try await WorkerAssembly.build(configuration: configuration, transport: transport, store: store, logger: logger)
    var runs: [JSONValue] = []
    for _ in 0..<reps {
        let cpu0 = usage().cpuSeconds
        let start = ContinuousClock.now
        let synced = await assembly.conductor.statusSync.syncClusterStatus()
        let wall = seconds(ContinuousClock.now - start)
        let cpu = usage().cpuSeconds - cpu0
        let inProgress = synced.filter { $0.status == "CREATE_IN_PROGRESS" }.count
        guard synced.count == count, inProgress == count else {
            fail("the sync looked at \(synced.count) clusters (\(inProgress) still CREATE_IN_PROGRESS), expected \(count)")
        }
        runs.append(["clusters": JSONValue(synced.count), "wall_seconds": .double(wall), "cpu_seconds": .double(cpu)])
    }
    emit(["runs": .array(runs), "max_concurrency": JSONValue(assembly.options.periodicMaxConcurrency),
          "max_rss_kb": JSONValue(usage().maxRSSKB)])
    await assembly.runtime.shutdown()
    await store.close()

case "notify":
    guard arguments.count == 7, let count = Int(arguments[4]), let concurrency = Int(arguments[6]),
          let line = FileManager.default.contents(atPath: arguments[5]) else {
        fail("usage: worker-bench notify URL EXCHANGE COUNT NOTIFICATION_FILE CONCURRENCY")
    }
    let url = arguments[2], exchange = arguments[3]
    let recorded = try OsloNotification(body: [UInt8](line))
    let transport = try await MessagingSettings(transportURL: url).connectTransport(connectionName: "worker-bench-notify", logger: logger)
    let notifier = Notifier(transport: transport, publisherID: recorded.publisherID,
                            options: NotifierOptions(driver: .messagingV2, exchange: exchange), logger: logger)
    let priority = recorded.priorityLevel ?? .info
    // One first notification declares the queue (as oslo's first send does).
    try await notifier.notify(recorded.eventType, payload: recorded.payload, priority: priority, context: recorded.context)
    final class Remaining: Sendable {
        let value: Atomic<Int>
        init(_ n: Int) { value = Atomic(n) }
    }
    let remaining = Remaining(count)
    let cpu0 = usage().cpuSeconds
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<max(1, concurrency) {
            group.addTask {
                while remaining.value.subtract(1, ordering: .relaxed).newValue >= 0 {
                    try await notifier.notify(recorded.eventType, payload: recorded.payload, priority: priority, context: recorded.context)
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(ContinuousClock.now - start)
    let (cpu, rss) = usage()
    emit(["rate": .double(Double(count) / elapsed), "seconds": .double(elapsed), "cpu_seconds": .double(cpu - cpu0),
          "max_rss_kb": JSONValue(rss), "concurrency": JSONValue(concurrency)])
    await transport.close()

default:
    fail("unknown mode \(arguments[1])")
}
