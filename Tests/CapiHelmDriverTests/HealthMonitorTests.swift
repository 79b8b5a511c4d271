import CapiHelmDriver
import JSON
import Testing
import TestSupport

/// Health as `CAPIMonitor.poll_health_status` reports it, from management-cluster resources only.
@Suite("Cluster health")
struct HealthMonitorTests {
    static func health(_ change: (inout JSONValue) -> Void = { _ in }) throws -> JSONValue {
        var c = try Cases.base("status_create_complete.json")
        c["operation"] = "poll_health_status"
        c[path: "input", "cluster", "status"] = "CREATE_COMPLETE"
        c[path: "input", "k8s", "openstack_cluster"] = ["status": ["ready": true]]
        c[path: "input", "k8s", "machine_deployments", "prod-east-a1b2c3d4e5f6-default-worker", "status", "conditions"] =
            [["type": "Ready", "status": "True"]]
        change(&c)
        return c
    }

    @Test("everything ready: HEALTHY")
    func healthy() async throws {
        let out = try await Cases.run(try Self.health())
        #expect(out["health"] == ["status": "HEALTHY", "reason": [
            "cluster": "Ready", "infrastructure": "Ready", "controlplane": "Ready", "nodegroup": "Ready",
        ]])
    }

    @Test("what is not ready is named, in Python's words")
    func unhealthy() async throws {
        let document = try Self.health {
            $0[path: "input", "k8s", "capi_cluster", "status", "conditions"] = [["type": "Ready", "status": "False"], ["type": "InfrastructureReady", "status": "Unknown"]]
            $0[path: "input", "k8s", "openstack_cluster"] = ["status": ["ready": false, "failureReason": "UpdateError", "failureMessage": "Neutron 409"]]
            $0[path: "input", "k8s", "control_plane"] = nil
            $0[path: "input", "k8s", "machine_deployments"] = [:]
        }
        let out = try await Cases.run(document)
        #expect(out["health"] == ["status": "UNHEALTHY", "reason": [
            "cluster": "Waiting on ['Ready', 'InfrastructureReady']", "infrastructure": "UpdateError: Neutron 409",
            "controlplane": "Control plane resource not found.", "nodegroup": "default-worker resource not found.",
        ]])
    }

    @Test("identical to CAPIMonitor", .enabled(if: TestEnvironment.pythonEnabled))
    func sameAsPython() async throws {
        let documents = [
            try Self.health(),
            try Self.health { $0[path: "input", "k8s", "openstack_cluster"] = ["status": [:]] },
            try Self.health { $0[path: "input", "k8s"] = [:] },
        ]
        for (document, expected) in zip(documents, try await Cases.python(documents)) {
            let actual = try await Cases.run(document)
            #expect(actual == expected, "\(JSONDiff.report(expected: expected, actual: actual))")
        }
    }
}
