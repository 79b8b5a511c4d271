import CapiHelmDriver
import CapiHelmRuntime
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Synchronization
import TestSupport

/// A runtime with nothing real but helm's `template`: render-only helm (the real binary behind a
/// shim that records argv), no or a simulated management cluster, an offline cloud made from a
/// driver case's input, over a testbed's store.
struct OfflineRuntime {
    let bed: RuntimeTestbed
    let runtime: CapiHelmRuntime
    let testCase: StoredDriverCase
    let outputDirectory: String
    let shimLog: String
    let clock: TestClock

    static let chart = TestEnvironment.fixturesDirectory.appendingPathComponent("charts/openstack-cluster-paths").path

    /// The offline cloud file for the case: what the oracle's Glance, Nova, Neutron and Cinder answered.
    static func cloudFile(_ input: JSONValue) -> JSONValue {
        var image = input["image"]?.objectValue ?? [:]
        if let name = input["cluster_template"]?["image_id"]?.stringValue { image["name"] = .string(name) }
        let external = input["cluster_template"]?["external_network_id"]?.stringValue
        return [
            "region": "RegionOne",
            "auth_url": .string(input["context"]?["auth_url"]?.stringValue ?? "https://keystone.example:5000/v3"),
            "images": [.object(image)],
            "flavors": input["flavors"] ?? [],
            "networks": .array((input["networks"]?.objectValue ?? [:]).map { ["id": $0.value, "name": .string($0.key), "external": .bool($0.key == external)] }),
            "subnets": .array((input["subnets"]?.objectValue ?? [:]).map { ["id": $0.value, "name": .string($0.key)] }),
            "volume_types": input["volume_types"] ?? [],
        ]
    }

    /// `helm` is `realHelm` behind a shim writing each run's argv (NUL-separated, one run per
    /// line) to `shimLog`.
    static func start(case file: String, managementCluster: String, delay: Double = 30, realHelm: String) async throws -> OfflineRuntime {
        let testCase = try StoredDriverCase(file: file)
        let bed = try await RuntimeTestbed.start()
        let shim = "\(bed.directory)/helm-shim"
        let shimLog = "\(bed.directory)/helm-argv.log"
        try """
            #!/bin/sh
            for a in "$@"; do printf '%s\\0' "$a"; done >> '\(shimLog)'
            printf '\\n' >> '\(shimLog)'
            exec '\(realHelm)' "$@"

            """.write(toFile: shim, atomically: true, encoding: .utf8)
        chmod(shim, 0o755)
        let cloudPath = "\(bed.directory)/cloud.json"
        try Data(cloudFile(testCase.input).serialized(.pretty)).write(to: URL(fileURLWithPath: cloudPath))
        let output = "\(bed.directory)/rendered"
        let clock = TestClock()
        var hooks = CapiHelmRuntime.Hooks()
        hooks.simulationClock = { clock.now }
        let runtime = try await CapiHelmRuntime.start(
            configuration: try bed.configuration([
                "capi_helm": ["helm_executable": shim],
                "capi_worker": ["helm_mode": "render-only", "management_cluster": managementCluster, "render_chart": chart,
                                "render_output_dir": output, "offline_cloud_file": cloudPath, "simulation_delay": "\(delay)"],
            ]),
            store: bed.store, logger: Logger(label: "offline-runtime"), hooks: hooks)
        return OfflineRuntime(bed: bed, runtime: runtime, testCase: testCase, outputDirectory: output, shimLog: shimLog, clock: clock)
    }

    func close() async {
        await runtime.shutdown()
        await bed.close()
    }

    /// The argv of every helm run so far.
    func helmRuns() throws -> [[String]] {
        guard let data = FileManager.default.contents(atPath: shimLog) else { return [] }
        return Array(data).split(separator: UInt8(ascii: "\n")).map { line in
            line.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
    }

    func driver() -> CapiHelmDriver {
        CapiHelmDriver(configuration: runtime.configuration, ports: runtime.ports, logger: Logger(label: "driver"),
                       releaseSuffix: { testCase.input["release_suffix"]?.stringValue ?? "abcdefghijkl" })
    }

    var context: RequestContext { testCase.context(token: nil) }

    /// The case's rows (with real certificates).
    func loadCase() async throws -> Cluster {
        let certificates = try await SharedCertificates.pairs.value
        var refs: [String: String] = [:]
        for (type, pair) in certificates.rows {
            var row = pair
            row.projectId = testCase.projectID
            row.userId = testCase.userID
            _ = try await bed.store.create(row)
            refs[type.clusterField] = pair.uuid
        }
        return try await testCase.load(into: bed.store, certificateRefs: refs)
    }

    func cluster() async throws -> Cluster {
        try await bed.store.cluster(uuid: testCase.clusterUUID, context: .allProjects)
    }

    /// What the conductor does before calling the driver: the cluster's new status, saved.
    func setStatus(_ status: ClusterStatus) async throws -> Cluster {
        var cluster = try await cluster()
        cluster.status = status
        return try await bed.store.save(cluster)
    }

    func nodeGroupStatuses() async throws -> [String: String] {
        var out: [String: String] = [:]
        for ng in try await bed.store.nodeGroups(clusterId: testCase.clusterUUID, context: .allProjects, filters: [:], options: .all) {
            out[ng.name ?? ""] = ng.status?.rawValue
        }
        return out
    }
}

/// A clock the test moves by hand (no wall-clock waits).
final class TestClock: Sendable {
    let current = Mutex(Date(timeIntervalSince1970: 1_767_225_600))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
