import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] fail_cluster_on_failed_nodegroup`: a failed worker group fails the cluster
/// operation (1.4.0 reports CREATE_COMPLETE: the `status_worker_failed` quirk).
@Suite("A failed worker group fails the cluster")
struct FailedNodeGroupTests {
    @Test("the worker's MachineDeployment failed: CREATE_FAILED with the group named")
    func failsCluster() async throws {
        var c = try Cases.base("status_worker_failed.json")
        c[path: "config", "capi_worker"] = ["fail_cluster_on_failed_nodegroup": true]
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "CREATE_FAILED")
        #expect(out[path: "cluster", "status_reason"] == "Node group default-worker failed.")
        let worker = out["nodegroups"]?.arrayValue?.first { $0["name"] == "default-worker" }
        #expect(worker?["status"] == "CREATE_FAILED")
        // The addons are not consulted once a group has failed.
        #expect(!(out["kubernetes"]?.arrayValue ?? []).contains { $0["call"] == "get_addons_by_label" })
    }

    @Test("updates fail as UPDATE_FAILED, with Cluster API's reasons when reported")
    func updateWithReasons() async throws {
        var c = try Cases.base("status_worker_failed.json")
        c[path: "config", "capi_worker"] = ["fail_cluster_on_failed_nodegroup": true, "report_machine_failures": true]
        c[path: "input", "cluster", "status"] = "UPDATE_IN_PROGRESS"
        var groups = c[path: "input", "nodegroups"]?.arrayValue ?? []
        for i in groups.indices { groups[i]["status"] = "UPDATE_IN_PROGRESS" }
        c[path: "input", "nodegroups"] = .array(groups)
        c[path: "input", "k8s", "machines"] = ["default-worker": [[
            "metadata": ["name": "prod-east-a1b2c3d4e5f6-default-worker-x1", "labels": ["cluster.x-k8s.io/cluster-name": "prod-east-a1b2c3d4e5f6"]],
            "status": ["failureReason": "CreateError", "failureMessage": "No valid host was found"],
        ]]]
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "UPDATE_FAILED")
        #expect(out[path: "cluster", "status_reason"]
            == "Node group default-worker failed. Machine prod-east-a1b2c3d4e5f6-default-worker-x1: CreateError: No valid host was found")
    }

    @Test("1.4.0 compatibility keeps the quirk")
    func compatibility() async throws {
        let out = try await Cases.run(try Cases.base("status_worker_failed.json"))
        #expect(out[path: "cluster", "status"] == "CREATE_COMPLETE")
    }
}
