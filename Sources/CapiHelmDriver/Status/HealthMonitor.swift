import JSON
public import MagnumObjects
public import OrderedCollections

/// A cluster's health as `CAPIMonitor.poll_health_status` reports it: HEALTHY unless one of the
/// management-cluster resources says otherwise, with one reason per part (`"Ready"` when fine).
public struct ClusterHealth: Sendable, Equatable {
    public var status: ClusterHealthStatus
    /// `cluster`, `infrastructure`, `controlplane`, `nodegroup` (in that order).
    public var reason: OrderedDictionary<String, String>
}

extension CapiHelmDriver {
    static let monitorReady = "Ready"

    /// `CAPIMonitor.poll_health_status`: from the Cluster, OpenStackCluster, KubeadmControlPlane
    /// and MachineDeployments only (the workload cluster is never contacted).
    public func pollHealthStatus(_ cluster: Cluster) async throws -> ClusterHealth {
        var reason = OrderedDictionary<String, String>()
        reason["cluster"] = try await pollCluster(cluster)
        reason["infrastructure"] = try await pollInfrastructure(cluster)
        reason["controlplane"] = try await pollControlPlane(cluster)
        reason["nodegroup"] = try await pollNodeGroups(cluster)
        let healthy = reason.values.allSatisfy { $0 == Self.monitorReady }
        return ClusterHealth(status: healthy ? .healthy : .unhealthy, reason: reason)
    }

    static func notTrueConditions(_ object: JSONValue) -> [JSONValue] {
        // (JSONValue takes `nil` literals as JSON null: filter, then map.)
        (object["status"]?["conditions"]?.arrayValue ?? []).filter { $0["status"] != "True" }.map { $0["type"] ?? .null }
    }

    func pollCluster(_ cluster: Cluster) async throws -> String {
        guard let capi = Self.present(try await ports.kubernetes.capiCluster(name: CapiNaming.sanitizedName(cluster.stackId) ?? "",
                                                                 namespace: namespace(of: cluster))) else {
            return "Cluster resource not found."
        }
        let waiting = Self.notTrueConditions(capi)
        return waiting.isEmpty ? Self.monitorReady : "Waiting on \(PythonFormat.repr(.array(waiting)))"
    }

    func pollInfrastructure(_ cluster: Cluster) async throws -> String {
        guard let osc = Self.present(try await ports.kubernetes.openStackCluster(name: CapiNaming.sanitizedName(cluster.stackId) ?? "",
                                                                     namespace: namespace(of: cluster))) else {
            return "Infrastructure resource not found."
        }
        let status = osc["status"] ?? [:]
        let ready = status["ready"]?.pythonTruthiness ?? false
        let message = status["failureMessage"].map(PythonStr.of) ?? ""
        if let reason = status["failureReason"], reason.pythonTruthiness {
            return "\(PythonStr.of(reason)): \(message)"
        }
        return ready ? Self.monitorReady : "Infrastructure not ready."
    }

    func pollControlPlane(_ cluster: Cluster) async throws -> String {
        guard let kcp = Self.present(try await ports.kubernetes.controlPlane(name: CapiNaming.resourceName(release: cluster.stackId, "control-plane") ?? "",
                                                                 namespace: namespace(of: cluster))) else {
            return "Control plane resource not found."
        }
        let waiting = Self.notTrueConditions(kcp)
        return waiting.isEmpty ? Self.monitorReady : "Waiting on \(PythonFormat.repr(.array(waiting)))"
    }

    func pollNodeGroups(_ cluster: Cluster) async throws -> String {
        var reasons: [String] = []
        for ng in try await nodeGroups(of: cluster) where ng.role != NodeGroupRole.master {
            let name = ng.name ?? ""
            guard let md = Self.present(try await ports.kubernetes.machineDeployment(name: CapiNaming.resourceName(release: cluster.stackId, name) ?? "",
                                                                         namespace: namespace(of: cluster))) else {
                reasons.append("\(name) resource not found.")
                continue
            }
            let waiting = Self.notTrueConditions(md)
            if !waiting.isEmpty { reasons.append("\(name) waiting on \(PythonFormat.repr(.array(waiting)))") }
        }
        return reasons.isEmpty ? Self.monitorReady : reasons.joined(separator: ",")
    }
}
