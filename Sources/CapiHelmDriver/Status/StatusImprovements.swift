import JSON
public import MagnumObjects

/// The status-sync improvements over magnum-capi-helm 1.4.0, each behind its `[capi_worker]`
/// option (see `WorkerOptions`).
extension CapiHelmDriver {
    /// Prefix of the `status_reason` texts the failure report writes (and may clear again).
    public static let failureReportPrefix = "Cluster API reports: "
    static let maxStatusReason = 4000

    // MARK: fail_cluster_on_failed_nodegroup

    func failedWorkerGroups(_ nodeGroups: [NodeGroup]) -> [NodeGroup]? {
        nodeGroups.filter { $0.role != NodeGroupRole.master && ($0.status == .createFailed || $0.status == .updateFailed) }
    }

    func failClusterForNodeGroups(_ cluster: inout Cluster, failed: [NodeGroup]) async throws {
        let isUpdate = cluster.status == .updateInProgress
        let names = failed.map { $0.name ?? "" }.joined(separator: ", ")
        var reason = "Node group\(failed.count == 1 ? "" : "s") \(names) failed."
        if features.reportMachineFailures, let capi = try await capiClusterIfNamed(cluster) {
            let report = try await failureReport(cluster, capiCluster: capi)
            if !report.isEmpty { reason += " " + report.joined(separator: "; ") }
        }
        cluster.status = isUpdate ? .updateFailed : .createFailed
        cluster.statusReason = Self.truncated(reason)
        try await save(&cluster)
    }

    func capiClusterIfNamed(_ cluster: Cluster) async throws -> JSONValue? {
        guard let release = cluster.stackId, !release.isEmpty else { return nil }
        return try await ports.kubernetes.capiCluster(name: release, namespace: namespace(of: cluster))
    }

    // MARK: report_machine_failures

    /// Failure reasons Cluster API reports for the cluster: the Cluster's and OpenStackCluster's
    /// `failureReason` / `failureMessage`, and each Machine's, plus conditions of severity Error.
    func failureReport(_ cluster: Cluster, capiCluster: JSONValue) async throws -> [String] {
        var lines: [String] = []
        let namespace = namespace(of: cluster)
        if let f = Self.failure(of: capiCluster) { lines.append("Cluster: \(f)") }
        if let release = cluster.stackId, !release.isEmpty {
            if let osc = try await ports.kubernetes.openStackCluster(name: release, namespace: namespace), let f = Self.failure(of: osc) {
                lines.append("OpenStackCluster: \(f)")
            }
            if let kcp = try await ports.kubernetes.controlPlane(name: CapiNaming.resourceName(release: release, "control-plane") ?? "",
                                                                  namespace: namespace) {
                for c in Self.errorConditions(kcp) { lines.append("Control plane: \(c)") }
            }
            let machines = try await ports.kubernetes.machines(labels: ["cluster.x-k8s.io/cluster-name": release], namespace: namespace)
            for machine in machines {
                let name = machine["metadata"]?["name"].map(PythonStr.of) ?? "?"
                var parts: [String] = []
                if let f = Self.failure(of: machine) { parts.append(f) }
                parts += Self.errorConditions(machine)
                if !parts.isEmpty { lines.append("Machine \(name): \(parts.joined(separator: ", "))") }
            }
        }
        return lines
    }

    static func failure(of object: JSONValue) -> String? {
        let status = object["status"] ?? [:]
        let reason = status["failureReason"].flatMap { $0.isNull ? nil : PythonStr.of($0) } ?? ""
        let message = status["failureMessage"].flatMap { $0.isNull ? nil : PythonStr.of($0) } ?? ""
        switch (reason.isEmpty, message.isEmpty) {
        case (true, true): return nil
        case (false, true): return reason
        case (true, false): return message
        case (false, false): return "\(reason): \(message)"
        }
    }

    static func errorConditions(_ object: JSONValue) -> [String] {
        var out: [String] = []
        for c in object["status"]?["conditions"]?.arrayValue ?? [] {
            guard c["status"] == "False", c["severity"] == "Error" else { continue }
            let type = c["type"].map(PythonStr.of) ?? "?"
            let reason = c["reason"].map(PythonStr.of) ?? ""
            let message = c["message"].map(PythonStr.of) ?? ""
            out.append([type, reason, message].filter { !$0.isEmpty }.joined(separator: ": "))
        }
        return out
    }

    func reportFailures(_ cluster: inout Cluster, capiCluster: JSONValue) async throws {
        let report = try await failureReport(cluster, capiCluster: capiCluster)
        let reason: String? = report.isEmpty ? nil : Self.truncated(Self.failureReportPrefix + report.joined(separator: "; "))
        if report.isEmpty {
            try await clearFailureReport(&cluster)
        } else if cluster.statusReason != reason {
            cluster.statusReason = reason
            try await save(&cluster)
        }
    }

    func clearFailureReport(_ cluster: inout Cluster) async throws {
        if cluster.statusReason?.hasPrefix(Self.failureReportPrefix) == true {
            cluster.statusReason = nil
            try await save(&cluster)
        }
    }

    static func truncated(_ s: String) -> String {
        s.unicodeScalars.count <= maxStatusReason ? s : CapiNaming.prefix(s, maxStatusReason - 3) + "..."
    }

    // MARK: operation_timeouts

    /// The timeout of the cluster's current operation, in minutes.
    func timeoutMinutes(_ cluster: Cluster) -> Int? {
        switch cluster.status {
        case .createInProgress?:
            if let t = cluster.createTimeout, t > 0 { return t }
            return configuration.worker.createTimeoutMinutes
        case .updateInProgress?: return configuration.worker.updateTimeoutMinutes
        case .deleteInProgress?: return configuration.worker.deleteTimeoutMinutes
        default: return nil
        }
    }

    /// Fails the operation when it has run past its timeout: the cluster and its nodegroups still
    /// in progress go to `*_FAILED`, with the reason (and what Cluster API reports) saved.
    func enforceTimeout(_ cluster: inout Cluster) async throws {
        guard features.operationTimeouts, let status = cluster.status, let minutes = timeoutMinutes(cluster),
              let uuid = cluster.uuid else { return }
        let recorded = try await ports.store.operationStart(clusterUUID: uuid)
        guard let start = recorded ?? (status == .createInProgress ? cluster.createdAt : (cluster.updatedAt ?? cluster.createdAt)) else { return }
        let elapsed = now().microsecondsSinceEpoch - start.microsecondsSinceEpoch
        guard elapsed > Int64(minutes) * 60_000_000 else { return }

        let (verb, failed): (String, ClusterStatus) = {
            switch status {
            case .createInProgress: return ("create", .createFailed)
            case .deleteInProgress: return ("delete", .deleteFailed)
            default: return ("update", .updateFailed)
            }
        }()
        var reason = "Timed out after \(minutes) minutes waiting for the \(verb) to finish."
        if features.reportMachineFailures, status != .deleteInProgress, let capi = try await capiClusterIfNamed(cluster) {
            let report = try await failureReport(cluster, capiCluster: capi)
            if !report.isEmpty { reason += " " + Self.failureReportPrefix + report.joined(separator: "; ") }
        }
        for var ng in try await nodeGroups(of: cluster) where ng.status == status {
            ng.status = failed
            try await save(&ng)
        }
        cluster.status = failed
        cluster.statusReason = Self.truncated(reason)
        try await save(&cluster)
        logger(for: cluster).warning("\(reason)")
    }

    // MARK: sync_autoscaled_node_count

    func syncAutoscaledCount(_ cluster: Cluster, _ ng: inout NodeGroup, machineDeployment md: JSONValue, all: [NodeGroup]) async throws {
        guard ng.status?.rawValue.hasPrefix("DELETE_") != true else { return }
        let template = try await template(for: cluster)
        let labels = ClusterLabels(cluster: cluster, template: template)
        guard labels.bool("auto_scaling_enabled", default: configuration.labelDefaults.autoScalingEnabled) else { return }
        let bounds = NodeGroupCounts.bounds(of: ng, defaultWorker: NodeGroupCounts.defaultWorker(in: all), labels: labels,
                                            config: configuration.labelDefaults)
        guard bounds.min != bounds.max else { return }
        // The autoscaler owns spec.replicas of an autoscaled MachineDeployment.
        guard let replicas = (md["spec"]?["replicas"] ?? md["status"]?["replicas"])?.intValue, replicas >= 0,
              replicas != ng.nodeCount else { return }
        logger(for: cluster).info("Node group \(ng.name ?? "") autoscaled from \(ng.nodeCount ?? 0) to \(replicas) nodes")
        ng.nodeCount = replicas
        try await save(&ng)
    }

    /// For clusters no operation is running on (the health sync): writes the autoscaler's
    /// replica counts back to `node_count`. Returns the nodegroups whose count changed.
    @discardableResult
    public func syncAutoscaledNodeCounts(_ cluster: Cluster) async throws -> [NodeGroup] {
        guard features.syncAutoscaledNodeCount, let release = cluster.stackId, !release.isEmpty else { return [] }
        var changed: [NodeGroup] = []
        let all = try await nodeGroups(of: cluster)
        for var ng in all where ng.role != NodeGroupRole.master {
            guard let md = try await ports.kubernetes.machineDeployment(name: CapiNaming.resourceName(release: release, ng.name) ?? "",
                                                                        namespace: namespace(of: cluster)) else { continue }
            let before = ng.nodeCount
            try await syncAutoscaledCount(cluster, &ng, machineDeployment: md, all: all)
            if ng.nodeCount != before { changed.append(ng) }
        }
        return changed
    }

    // MARK: remove_specific_nodes

    /// Marks the Machines behind `nodes` (server names or ids, node names, Machine names) with
    /// `cluster.x-k8s.io/delete-machine`, so Cluster API removes exactly those when the group
    /// scales down to `nodeCount`.
    func markNodesForRemoval(_ cluster: Cluster, nodeGroup: NodeGroup?, nodes: [String], nodeCount: Int) async throws {
        guard let nodeGroup, let release = cluster.stackId, !release.isEmpty else {
            throw MagnumError("InvalidParameterValue", ["err": "nodes_to_remove needs a node group of a cluster that has been created"])
        }
        let name = nodeGroup.name ?? ""
        var selector: LabelSelector = ["capi.stackhpc.com/cluster": release]
        if nodeGroup.role == NodeGroupRole.master {
            selector["capi.stackhpc.com/component"] = "control-plane"
        } else {
            selector["capi.stackhpc.com/component"] = "worker"
            selector["capi.stackhpc.com/node-group"] = CapiNaming.sanitizedName(name) ?? ""
        }
        let namespace = namespace(of: cluster)
        let machines = try await ports.kubernetes.machines(labels: selector, namespace: namespace)
            .filter { $0["metadata"]?["deletionTimestamp"] == nil }
        var chosen: [String] = []
        for node in nodes {
            guard let machine = machines.first(where: { Self.machine($0, isNode: node) }),
                  let machineName = machine["metadata"]?["name"]?.stringValue else {
                throw MagnumError("InvalidParameterValue", ["err": .string("Node \(node) is not a node of node group \(name) of cluster \(cluster.uuid ?? "").")])
            }
            if !chosen.contains(machineName) { chosen.append(machineName) }
        }
        let removing = machines.count - nodeCount
        if chosen.count > max(0, removing) {
            throw MagnumError("InvalidParameterValue", ["err": .string(
                "Cannot remove \(chosen.count) nodes from node group \(name): resizing it from \(machines.count) to \(nodeCount) nodes removes \(max(0, removing)).")])
        }
        for machineName in chosen {
            try await ports.kubernetes.annotateMachine(name: machineName, namespace: namespace,
                                                       annotations: ["cluster.x-k8s.io/delete-machine": "yes"])
        }
    }

    /// Whether `node` names this Machine: its name, its node's name, its infrastructure
    /// (OpenStackMachine, i.e. server) name, or its server id (`openstack:///<id>`).
    static func machine(_ machine: JSONValue, isNode node: String) -> Bool {
        if machine["metadata"]?["name"]?.stringValue == node { return true }
        if machine["status"]?["nodeRef"]?["name"]?.stringValue == node { return true }
        if machine["spec"]?["infrastructureRef"]?["name"]?.stringValue == node { return true }
        if let provider = machine["spec"]?["providerID"]?.stringValue, let id = provider.split(separator: "/").last,
           id.lowercased() == node.lowercased() { return true }
        return false
    }
}
