import CapiHelmDriver
import CapiHelmRuntime
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// The simulated management cluster: the whole status lifecycle without Kubernetes, on a clock
/// the test moves.
@Suite struct SimulatedManagementClusterTests {
    static let values: JSONValue = [
        "kubernetesVersion": "1.31.4",
        "controlPlane": ["machineCount": 3],
        "nodeGroups": [["name": "default-worker", "machineCount": 2], ["name": "gpu", "machineCount": 1]],
        "addons": ["cni": ["type": "cilium"], "monitoring": ["enabled": true], "kubernetesDashboard": ["enabled": false]],
    ]

    /// Through the driver: create → CREATE_COMPLETE after the delay, resize → UPDATE_COMPLETE,
    /// delete → DELETE_COMPLETE with the Secrets and the application credential cleaned up.
    @Test(.enabled(if: TestEnvironment.helmEnabled))
    func aClusterGoesThroughItsWholeLifecycle() async throws {
        let offline = try await OfflineRuntime.start(case: "create_defaults.json", managementCluster: "simulated", delay: 30,
                                                     realHelm: try TestEnvironment.requireHelm())
        do {
            try await lifecycle(offline)
        } catch {
            await offline.close()
            throw error
        }
        await offline.close()
    }

    func lifecycle(_ offline: OfflineRuntime) async throws {
        let driver = offline.driver()
        let context = offline.context
        var cluster = try await offline.loadCase()
        try await driver.createCluster(&cluster, context: context)

        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        #expect(try await offline.cluster().status == .createInProgress)
        #expect(try await offline.nodeGroupStatuses() == ["default-master": "CREATE_IN_PROGRESS", "default-worker": "CREATE_IN_PROGRESS"])

        offline.clock.advance(31)
        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        let created = try await offline.cluster()
        #expect(created.status == .createComplete)
        #expect(created.apiAddress?.hasPrefix("https://192.0.2.") == true)
        #expect(created.apiAddress?.hasSuffix(":6443") == true)
        #expect(created.coeVersion == "v1.31.4")
        #expect(try await offline.nodeGroupStatuses() == ["default-master": "CREATE_COMPLETE", "default-worker": "CREATE_COMPLETE"])

        // Resize the default worker: in progress until the simulated rollout is done.
        var updating = try await offline.setStatus(.updateInProgress)
        var worker = try await offline.bed.store.nodeGroup(name: "default-worker", clusterId: offline.testCase.clusterUUID, context: .allProjects)
        worker.nodeCount = 3
        worker.status = .updateInProgress
        worker = try await offline.bed.store.save(worker)
        try await driver.resizeCluster(&updating, nodeCount: 3, nodesToRemove: [], nodeGroup: worker, context: context)
        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        #expect(try await offline.cluster().status == .updateInProgress)
        offline.clock.advance(31)
        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        #expect(try await offline.cluster().status == .updateComplete)
        #expect(try await offline.nodeGroupStatuses()["default-worker"] == "UPDATE_COMPLETE")
        let machines = try await offline.runtime.simulation?.machines(labels: ["capi.stackhpc.com/node-group": "default-worker"],
                                                                   namespace: offline.testCase.namespace) ?? []
        #expect(machines.count == 3)

        // Delete: DELETE_IN_PROGRESS until the simulated objects are gone.
        var deleting = try await offline.setStatus(.deleteInProgress)
        try await driver.deleteCluster(&deleting, context: context)
        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        #expect(try await offline.cluster().status == .deleteInProgress)
        #expect(offline.runtime.offlineCloud?.applicationCredentialIDs.count == 1)
        offline.clock.advance(31)
        cluster = try await offline.cluster()
        try await driver.updateClusterStatus(&cluster, context: context)
        let deleted = try await offline.cluster()
        #expect(deleted.status == .deleteComplete)
        #expect(deleted.statusReason == nil)
        #expect(offline.runtime.offlineCloud?.applicationCredentialIDs.isEmpty == true)
        #expect(offline.runtime.offlineManagementCluster?.secretNames.isEmpty == true)
        #expect(try await offline.runtime.simulation?.releaseNames().isEmpty == true)
    }

    func simulation(delay: Double = 10) -> (SimulatedManagementCluster, TestClock) {
        let clock = TestClock()
        return (SimulatedManagementCluster(delay: delay, now: { clock.now }, logger: Logger(label: "sim")), clock)
    }

    @Test func objectsFollowTheValuesAndBecomeReadyAfterTheDelay() async throws {
        let (sim, clock) = simulation()
        #expect(try await sim.cluster(name: "demo", namespace: "ns") == nil)
        try await sim.installed(release: "demo", namespace: "ns", values: Self.values)
        let provisioning = try #require(try await sim.cluster(name: "demo", namespace: "ns"))
        #expect(provisioning["status"]?["phase"] == "Provisioning")
        #expect(provisioning["spec"]?["controlPlaneEndpoint"] == [:])
        #expect(provisioning["metadata"]?["annotations"]?[SimulatedManagementCluster.marker] == "true")
        #expect(try await sim.machineDeployment(name: "demo-gpu", namespace: "ns")?["status"]?["phase"] == "ScalingUp")
        clock.advance(10)
        let ready = try #require(try await sim.cluster(name: "demo", namespace: "ns"))
        #expect(ready["status"]?["phase"] == "Provisioned")
        #expect(ready["status"]?["conditions"]?.arrayValue?.allSatisfy { $0["status"] == "True" } == true)
        let kcp = try #require(try await sim.controlPlane(name: "demo-control-plane", namespace: "ns"))
        #expect(kcp["spec"] == ["replicas": 3, "version": "v1.31.4"])
        #expect(kcp["status"]?["updatedReplicas"] == 3)
        #expect(kcp["status"]?["readyReplicas"] == 3)
        #expect(try await sim.machineDeployment(name: "demo-default-worker", namespace: "ns")?["status"]?["phase"] == "Running")
        let addons = try await sim.addons(labels: ["addons.stackhpc.com/cluster": "demo"], namespace: "ns")
        #expect(addons.compactMap { $0["spec"]?["releaseName"]?.stringValue } == ["cni-cilium", "ccm-openstack", "csi-cinder", "metrics-server", "kube-prometheus-stack"])
        #expect(addons.allSatisfy { $0["status"]?["phase"] == "Deployed" })
        #expect(try await sim.addons(labels: ["addons.stackhpc.com/cluster": "other"], namespace: "ns").isEmpty)
        let workers = try await sim.machines(labels: ["capi.stackhpc.com/cluster": "demo", "capi.stackhpc.com/component": "worker"], namespace: "ns")
        #expect(workers.count == 3)
        #expect(workers.allSatisfy { $0["status"]?["nodeRef"]?["name"] == $0["metadata"]?["name"] })
    }

    @Test func anUpgradeRollsOutAndARemovedNodeGroupDrainsAway() async throws {
        let (sim, clock) = simulation()
        try await sim.installed(release: "demo", namespace: "ns", values: Self.values)
        clock.advance(10)
        var newer = Self.values
        newer["kubernetesVersion"] = "1.32.1"
        newer["nodeGroups"] = [["name": "default-worker", "machineCount": 2]]
        try await sim.installed(release: "demo", namespace: "ns", values: newer)
        let rolling = try #require(try await sim.controlPlane(name: "demo-control-plane", namespace: "ns"))
        #expect(rolling["status"]?["updatedReplicas"] == 0)
        #expect(rolling["status"]?["version"] == "v1.31.4")
        #expect(try await sim.cluster(name: "demo", namespace: "ns")?["spec"]?["controlPlaneEndpoint"]?["port"] == 6443)
        let gpu = try #require(try await sim.machineDeployment(name: "demo-gpu", namespace: "ns"))
        #expect(gpu["metadata"]?["deletionTimestamp"] != nil)
        #expect(try await sim.machines(labels: ["capi.stackhpc.com/node-group": "gpu"], namespace: "ns").count == 1)
        clock.advance(10)
        #expect(try await sim.controlPlane(name: "demo-control-plane", namespace: "ns")?["status"]?["version"] == "v1.32.1")
        #expect(try await sim.machineDeployment(name: "demo-gpu", namespace: "ns") == nil)
        #expect(try await sim.machines(labels: ["capi.stackhpc.com/node-group": "gpu"], namespace: "ns").isEmpty)
    }

    @Test func machinesMarkedForDeletionGoFirstOnScaleDown() async throws {
        let (sim, _) = simulation(delay: 0)
        try await sim.installed(release: "demo", namespace: "ns", values: Self.values)
        let before = try await sim.machines(labels: ["capi.stackhpc.com/node-group": "default-worker"], namespace: "ns")
            .compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(before.count == 2)
        #expect(try await sim.annotateMachine(name: before[0], namespace: "ns", annotations: ["cluster.x-k8s.io/delete-machine": "yes"]))
        #expect(try await sim.annotateMachine(name: "unknown", namespace: "ns", annotations: ["a": "b"]) == false)
        var smaller = Self.values
        smaller["nodeGroups"] = [["name": "default-worker", "machineCount": 1], ["name": "gpu", "machineCount": 1]]
        try await sim.installed(release: "demo", namespace: "ns", values: smaller)
        let after = try await sim.machines(labels: ["capi.stackhpc.com/node-group": "default-worker"], namespace: "ns")
            .compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(after == [before[1]])
    }

    @Test func anUninstalledReleaseIsDeletingThenGone() async throws {
        let (sim, clock) = simulation()
        try await sim.installed(release: "demo", namespace: "ns", values: Self.values)
        clock.advance(10)
        #expect(try await sim.uninstalled(release: "demo", namespace: "ns"))
        #expect(try await !sim.uninstalled(release: "other", namespace: "ns"))
        let deleting = try #require(try await sim.cluster(name: "demo", namespace: "ns"))
        #expect(deleting["metadata"]?["deletionTimestamp"] != nil)
        #expect(deleting["status"]?["phase"] == "Deleting")
        clock.advance(10)
        #expect(try await sim.cluster(name: "demo", namespace: "ns") == nil)
        #expect(try await sim.releaseNames().isEmpty)
    }
}
