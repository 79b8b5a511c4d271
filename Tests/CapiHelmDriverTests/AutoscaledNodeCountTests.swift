import CapiHelmDriver
import JSON
import Logging
import MagnumObjects
import Testing

/// `[capi_worker] sync_autoscaled_node_count`: the autoscaler's replica counts are written back
/// to `node_count` (1.4.0 keeps the count the user last asked for).
@Suite("Autoscaled counts written back")
struct AutoscaledNodeCountTests {
    static func autoscaled(sync: Bool, replicas: Int, autoscaling: Bool = true) throws -> JSONValue {
        var c = try Cases.base("status_update_complete.json")
        if sync { c[path: "config", "capi_worker"] = ["sync_autoscaled_node_count": true] }
        if autoscaling {
            c[path: "input", "cluster", "labels"] = ["auto_scaling_enabled": "true", "min_node_count": "1", "max_node_count": "6"]
        }
        c[path: "input", "k8s", "machine_deployments", "prod-east-a1b2c3d4e5f6-default-worker", "spec"] = ["replicas": .int(Int64(replicas))]
        return c
    }

    static func workerCount(_ out: JSONValue) -> JSONValue? {
        out["nodegroups"]?.arrayValue?.first { $0["name"] == "default-worker" }?["node_count"]
    }

    @Test("the MachineDeployment's replicas become node_count during the status sync")
    func writesBack() async throws {
        let out = try await Cases.run(try Self.autoscaled(sync: true, replicas: 4))
        #expect(Self.workerCount(out) == 4)
        #expect(out[path: "cluster", "status"] == "UPDATE_COMPLETE")
    }

    @Test("groups that are not autoscaled, and 1.4.0 compatibility, keep their count")
    func unchanged() async throws {
        #expect(Self.workerCount(try await Cases.run(try Self.autoscaled(sync: true, replicas: 4, autoscaling: false))) == 2)
        #expect(Self.workerCount(try await Cases.run(try Self.autoscaled(sync: false, replicas: 4))) == 2)
    }

    @Test("for completed clusters, the health sync's syncAutoscaledNodeCounts does it")
    func forCompletedClusters() async throws {
        var configuration = DriverConfiguration.compatibility140
        configuration.worker.syncAutoscaledNodeCount = true
        let store = InMemoryClusterStore()
        var template = ClusterTemplate()
        template.id = 1
        template.uuid = "t"
        template.labels = ["auto_scaling_enabled": "true"]
        _ = try store.insert(template)
        var cluster = Cluster()
        cluster.uuid = "c"
        cluster.projectId = "p"
        cluster.clusterTemplateId = "t"
        cluster.stackId = "rel"
        cluster.status = .createComplete
        cluster = try store.insert(cluster)
        for (name, role, count, min, max) in [("default-master", "master", 1, 1, 1), ("default-worker", "worker", 2, 1, 5),
                                              ("fixed", "worker", 3, 3, 3)] {
            var ng = NodeGroup()
            ng.uuid = name
            ng.name = name
            ng.clusterId = "c"
            ng.projectId = "p"
            ng.role = role
            ng.isDefault = name.hasPrefix("default")
            ng.nodeCount = count
            ng.maxNodeCount = max
            ng.minNodeCount = min
            ng.status = .createComplete
            _ = try store.insert(ng)
        }
        let state: JSONValue = ["machine_deployments": [
            "rel-default-worker": ["spec": ["replicas": 5]], "rel-fixed": ["spec": ["replicas": 1]],
        ]]
        let driver = CapiHelmDriver(
            configuration: configuration,
            ports: DriverPorts(helm: RecordingHelm(), kubernetes: RecordingKubernetes(state: state), openStack: RecordingOpenStack(input: [:]),
                               certificates: StaticCertificates(input: nil), store: store),
            logger: Cases.quiet)
        let changed = try await driver.syncAutoscaledNodeCounts(cluster)
        #expect(changed.map(\.name) == ["default-worker"])
        let counts = try await store.nodeGroups(clusterUUID: "c").map(\.nodeCount)
        #expect(counts == [1, 5, 3])
    }
}
