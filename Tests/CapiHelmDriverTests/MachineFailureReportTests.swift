import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] report_machine_failures`: while an operation runs, what Cluster API says went
/// wrong (Machines, the Cluster, the OpenStackCluster, the control plane) is the
/// `status_reason`; 1.4.0 never shows it.
@Suite("Cluster API failure reasons in status_reason")
struct MachineFailureReportTests {
    static let release = "prod-east-a1b2c3d4e5f6"

    static func machine(_ name: String, status: JSONValue) -> JSONValue {
        ["metadata": ["name": .string(name), "labels": ["cluster.x-k8s.io/cluster-name": .string(release)]], "status": status]
    }

    static func provisioning(report: Bool) throws -> JSONValue {
        var c = try Cases.base("status_create_provisioning.json")
        if report { c[path: "config", "capi_worker"] = ["report_machine_failures": true] }
        c[path: "input", "k8s", "machines"] = ["default-worker": [
            machine("\(release)-default-worker-a", status: ["failureReason": "CreateError", "failureMessage": "Quota exceeded for instances"]),
            machine("\(release)-default-worker-b", status: ["conditions": [
                ["type": "InfrastructureReady", "status": "False", "severity": "Error", "reason": "InstanceCreateFailed", "message": "No valid host"],
                ["type": "BootstrapReady", "status": "False", "severity": "Info", "reason": "WaitingForControlPlane"],
            ]]),
            machine("\(release)-default-worker-c", status: ["phase": "Provisioning"]),
        ]]
        return c
    }

    @Test("failures and error conditions are reported while the create runs")
    func reported() async throws {
        let out = try await Cases.run(try Self.provisioning(report: true))
        #expect(out[path: "cluster", "status"] == "CREATE_IN_PROGRESS")
        #expect(out[path: "cluster", "status_reason"] == .string(
            "Cluster API reports: Machine \(Self.release)-default-worker-a: CreateError: Quota exceeded for instances; "
                + "Machine \(Self.release)-default-worker-b: InfrastructureReady: InstanceCreateFailed: No valid host"))
        let calls = (out["kubernetes"]?.arrayValue ?? []).compactMap { $0["call"]?.stringValue }
        #expect(calls.suffix(3) == ["get_capi_openstackcluster", "get_k8s_control_plane", "get_all_machines_by_label"])
    }

    @Test("a report of ours is cleared when the operation completes; other reasons are kept")
    func clearedOnCompletion() async throws {
        var c = try Cases.base("status_create_complete.json")
        c[path: "config", "capi_worker"] = ["report_machine_failures": true]
        c[path: "input", "cluster", "status_reason"] = "Cluster API reports: Machine x: CreateError"
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "CREATE_COMPLETE")
        #expect(out[path: "cluster", "status_reason"] == .null)

        c[path: "input", "cluster", "status_reason"] = "set by the operator"
        let kept = try await Cases.run(c)
        #expect(kept[path: "cluster", "status_reason"] == "set by the operator")
    }

    @Test("1.4.0 compatibility reads nothing more and says nothing")
    func compatibility() async throws {
        let withMachines = try await Cases.run(try Self.provisioning(report: false))
        let plain = try await Cases.run(try Cases.base("status_create_provisioning.json"))
        #expect(withMachines == plain)
        #expect(withMachines[path: "cluster", "status_reason"] == .null)
    }
}
