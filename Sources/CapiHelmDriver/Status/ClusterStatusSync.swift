import JSON
public import MagnumObjects

/// What a CAPI resource says about a node group (magnum-capi-helm's `NodeGroupState`).
enum NodeGroupState {
    case notPresent, pending, ready, failed
}

extension CapiHelmDriver {
    /// `update_cluster_status`, called periodically for clusters in a `*_IN_PROGRESS` state:
    /// maps the CAPI Cluster, the KubeadmControlPlane, the MachineDeployments and the addons onto
    /// the cluster's and nodegroups' statuses, API address and Kubernetes version; finishes a
    /// delete (Secrets and application credential cleaned up) once the CAPI Cluster is gone.
    /// With `[capi_worker]` options it also fails on a failed worker group, reports Cluster API
    /// failure reasons, writes autoscaled counts back and enforces operation timeouts.
    public func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {
        let log = logger(for: cluster, context)
        let namespace = namespace(of: cluster)
        var capiCluster: JSONValue?
        if let release = cluster.stackId, !release.isEmpty {
            capiCluster = Self.present(try await ports.kubernetes.capiCluster(name: release, namespace: namespace))
        }
        var nodeGroupsInProgress = false
        var nodeGroups: [NodeGroup] = []
        if let capiCluster {
            try await updateAPIAddress(&cluster, capiCluster)
            (nodeGroupsInProgress, nodeGroups) = try await updateAllNodeGroups(&cluster, context: context)
        }

        switch cluster.status {
        case .createInProgress?, .updateInProgress?:
            guard let capiCluster else {
                log.debug("capi_cluster not yet created")
                try await enforceTimeout(&cluster)
                return
            }
            if nodeGroupsInProgress {
                log.debug("Node groups are not all ready")
            } else if features.failClusterOnFailedNodeGroup, let failed = failedWorkerGroups(nodeGroups), !failed.isEmpty {
                try await failClusterForNodeGroups(&cluster, failed: failed)
                return
            } else {
                try await updateStatusUpdating(&cluster, capiCluster: capiCluster)
            }
            guard cluster.status?.isInProgress == true else {
                if features.reportMachineFailures { try await clearFailureReport(&cluster) }
                return
            }
            if features.reportMachineFailures {
                try await reportFailures(&cluster, capiCluster: capiCluster)
            }
            try await enforceTimeout(&cluster)
        case .deleteInProgress?:
            if capiCluster != nil {
                log.debug("capi_cluster still found")
                try await enforceTimeout(&cluster)
                return
            }
            try await updateStatusDeleting(&cluster)
        default:
            break
        }
    }

    // MARK: - The Python mapping

    func updateAPIAddress(_ cluster: inout Cluster, _ capiCluster: JSONValue) async throws {
        guard cluster.status == .createInProgress || cluster.status == .updateInProgress else { return }
        guard case .object(let endpoint)? = capiCluster["spec"]?["controlPlaneEndpoint"], !endpoint.isEmpty else { return }
        let host = endpoint["host"].map(PythonStr.of) ?? "None"
        let port = endpoint["port"].map(PythonStr.of) ?? "None"
        let address = "https://\(host):\(port)"
        if cluster.apiAddress != address {
            cluster.apiAddress = address
            try await save(&cluster)
        }
    }

    /// Updates every nodegroup; returns whether any is still in progress, and the nodegroups
    /// that remain (deleted ones are gone).
    func updateAllNodeGroups(_ cluster: inout Cluster, context: RequestContext) async throws -> (Bool, [NodeGroup]) {
        var remaining: [NodeGroup] = []
        let all = try await nodeGroups(of: cluster)
        for var ng in all {
            let kept: Bool
            if ng.role == NodeGroupRole.master {
                kept = try await updateControlPlaneNodeGroup(&cluster, &ng)
            } else {
                kept = try await updateWorkerNodeGroup(&cluster, &ng, all: all)
            }
            if kept { remaining.append(ng) }
        }
        return (remaining.contains { $0.status?.isInProgress == true }, remaining)
    }

    func updateControlPlaneNodeGroup(_ cluster: inout Cluster, _ ng: inout NodeGroup) async throws -> Bool {
        let kcp = Self.present(try await ports.kubernetes.controlPlane(
            name: CapiNaming.resourceName(release: cluster.stackId, "control-plane") ?? "", namespace: namespace(of: cluster)))
        var state: NodeGroupState = kcp == nil ? .notPresent : .pending
        let spec = kcp?["spec"] ?? [:]
        let status = kcp?["status"] ?? [:]
        // The control plane decides the Kubernetes version: report it as soon as it is known.
        let version: JSONValue? = status.objectValue?.keys.contains("version") == true ? status["version"] : spec["version"]
        let kubeVersion = version.flatMap { $0.isNull ? nil : PythonStr.of($0) }
        if cluster.coeVersion != kubeVersion {
            cluster.coeVersion = kubeVersion
            try await save(&cluster)
        }
        let trueConditions = Self.trueConditions(status)
        let ready = configuration.capiHelm.k8sControlPlaneResourceConditions.allSatisfy { trueConditions.contains($0) }
        let target = Self.nonNull(spec["replicas"])
        let current = Self.nonNull(status["replicas"])
        let updated = Self.nonNull(status["updatedReplicas"])
        let readyReplicas = Self.nonNull(status["readyReplicas"])
        if ready, target == current, current == updated, updated == readyReplicas {
            state = .ready
        }
        return try await updateNodeGroupStatus(cluster, &ng, state: state)
    }

    func updateWorkerNodeGroup(_ cluster: inout Cluster, _ ng: inout NodeGroup, all: [NodeGroup]) async throws -> Bool {
        let namespace = namespace(of: cluster)
        let md = Self.present(try await ports.kubernetes.machineDeployment(
            name: CapiNaming.resourceName(release: cluster.stackId, ng.name) ?? "", namespace: namespace))
        var state: NodeGroupState = md == nil ? .notPresent : .pending
        // A deleted MachineDeployment disappears before its Machines: keep the nodegroup
        // DELETE_IN_PROGRESS until they are gone too.
        if md == nil, ng.status?.rawValue.hasPrefix("DELETE_") == true, try await nodeGroupMachinesExist(cluster, ng) {
            state = .pending
        }
        if let phase = md?["status"]?["phase"], phase.pythonTruthiness {
            if phase == "Running" {
                state = .ready
            } else if phase == "Failed" || phase == "Unknown" {
                state = .failed
            }
        }
        if features.syncAutoscaledNodeCount, let md {
            try await syncAutoscaledCount(cluster, &ng, machineDeployment: md, all: all)
        }
        return try await updateNodeGroupStatus(cluster, &ng, state: state)
    }

    func nodeGroupMachinesExist(_ cluster: Cluster, _ ng: NodeGroup) async throws -> Bool {
        let machines = try await ports.kubernetes.machines(labels: [
            "capi.stackhpc.com/cluster": cluster.stackId ?? "",
            "capi.stackhpc.com/component": "worker",
            "capi.stackhpc.com/node-group": CapiNaming.sanitizedName(ng.name) ?? "",
        ], namespace: namespace(of: cluster))
        return !machines.isEmpty
    }

    /// `_update_nodegroup_status`; `false` when the nodegroup is gone.
    func updateNodeGroupStatus(_ cluster: Cluster, _ ng: inout NodeGroup, state: NodeGroupState) async throws -> Bool {
        let log = logger(for: cluster)
        let status = ng.status?.rawValue ?? ""
        if status.hasPrefix("DELETE_") {
            if state == .notPresent {
                // The conductor deletes default nodegroups with the cluster; others go here.
                if !(ng.isDefault ?? false) { try await ports.store.destroyNodeGroup(ng) }
                log.debug("Node group deleted: \(ng.name ?? "")")
                return false
            }
            return true
        }
        let isUpdate = status.hasPrefix("UPDATE_")
        let isCreate = status.hasPrefix("CREATE_")
        if !isUpdate && !isCreate {
            log.warning("Node group \(ng.name ?? "") in unexpected state \(status)")
        } else if state == .ready {
            ng.status = isUpdate ? .updateComplete : .createComplete
            try await save(&ng)
        } else if state == .failed {
            ng.status = isUpdate ? .updateFailed : .createFailed
            try await save(&ng)
        }
        return true
    }

    func updateStatusUpdating(_ cluster: inout Cluster, capiCluster: JSONValue) async throws {
        let conditions = Self.trueConditions(capiCluster["status"] ?? [:])
        for required in ["InfrastructureReady", "ControlPlaneReady", "Ready"] where !conditions.contains(required) {
            return
        }
        let isUpdate = cluster.status?.rawValue.hasPrefix("UPDATE_") == true
        let addons = try await ports.kubernetes.addons(labels: ["addons.stackhpc.com/cluster": cluster.stackId ?? ""],
                                                       namespace: namespace(of: cluster))
        for addon in addons {
            let phase = addon["status"]?["phase"]
            if let phase, phase == "Failed" || phase == "Unknown" {
                cluster.status = isUpdate ? .updateFailed : .createFailed
                try await save(&cluster)
                return
            } else if let phase, phase == "Deployed" {
                continue
            } else {
                logger(for: cluster).debug("addon \(addon["metadata"]?["name"].map(PythonStr.of) ?? "?") not yet deployed")
                return
            }
        }
        cluster.status = isUpdate ? .updateComplete : .createComplete
        try await save(&cluster)
    }

    func updateStatusDeleting(_ cluster: inout Cluster) async throws {
        // Read the credential id before its Secret goes.
        let credential = try await applicationCredentialID(of: cluster)
        try await ports.kubernetes.deleteAllSecrets(label: "magnum.openstack.org/cluster-uuid", value: cluster.uuid ?? "",
                                                    namespace: namespace(of: cluster))
        cluster.statusReason = nil
        if let credential, !credential.isEmpty {
            do {
                try await ports.openStack.deleteApplicationCredential(id: credential, cluster: cluster)
            } catch let error as ApplicationCredentialError {
                // Not a failure: it must not block cleaning up broken clusters.
                let message = "Failed to delete application credential for cluster \(cluster.uuid ?? ""): \(error.message)"
                cluster.statusReason = message
                logger(for: cluster).warning("\(message)")
            }
        }
        cluster.status = .deleteComplete
        try await save(&cluster)
    }

    static func trueConditions(_ status: JSONValue) -> Set<String> {
        var out: Set<String> = []
        for cond in status["conditions"]?.arrayValue ?? [] where cond["status"] == "True" {
            if let t = cond["type"] { out.insert(PythonStr.of(t)) }
        }
        return out
    }

    /// A resource as Python's `if resource:` sees it: an empty (or null) object counts as absent.
    static func present(_ v: JSONValue?) -> JSONValue? {
        guard let v, v.pythonTruthiness else { return nil }
        return v
    }

    static func nonNull(_ v: JSONValue?) -> JSONValue? {
        guard let v, !v.isNull else { return nil }
        return v
    }
}
