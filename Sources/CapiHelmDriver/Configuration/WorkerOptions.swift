/// How closely the driver follows magnum-capi-helm 1.4.0.
public enum CompatibilityMode: String, Sendable, Equatable, CaseIterable {
    /// Exactly what magnum-capi-helm 1.4.0 does, quirks included: the chart values it sends, the
    /// default chart 0.10.1, no timeouts, failed worker groups ignored...
    case capiHelm140 = "1.4.0"
    /// Every improvement on by default, values written for the chart version actually deployed,
    /// and the current chart by default.
    case current

    /// The openstack-cluster chart used when neither the template nor
    /// `[capi_helm] default_helm_chart_version` names one.
    public var defaultChartVersion: String {
        switch self {
        case .capiHelm140: return "0.10.1"
        case .current: return CompatibilityMode.currentChartVersion
        }
    }

    /// The newest openstack-cluster release of the 0.27 series (azimuth-cloud/capi-helm-charts
    /// tag `0.27.0`).
    public static let currentChartVersion = "0.27.0"
}

/// `[capi_worker]`: our switches for what magnum-capi-helm lacks. Each improvement has its own
/// option; an option left unset follows `compatibility` (off in `1.4.0`, on in `current`).
public struct WorkerOptions: Sendable, Equatable {
    public static let section = "capi_worker"

    /// `compatibility` (default `current`).
    public var compatibility: CompatibilityMode = .current

    /// `operation_timeouts`: fail clusters whose create/update/delete runs past its timeout.
    public var operationTimeouts: Bool?
    /// `create_timeout` in minutes, used when the cluster has no `create_timeout` of its own (60).
    public var createTimeoutMinutes = 60
    /// `update_timeout` in minutes (60), for updates, resizes, upgrades and nodegroup changes.
    public var updateTimeoutMinutes = 60
    /// `delete_timeout` in minutes (60).
    public var deleteTimeoutMinutes = 60

    /// `node_labels_and_taints`: NodeGroup `node_labels` / `node_taints` become the chart's
    /// `nodeGroups[].nodeLabels` and kubeadm `nodeRegistration.taints`.
    public var nodeLabelsAndTaints: Bool?
    /// `report_machine_failures`: Cluster API failure reasons (Machines, the Cluster, the
    /// OpenStackCluster, the control plane) shown in `status_reason` while an operation runs.
    public var reportMachineFailures: Bool?
    /// `remove_specific_nodes`: honour `nodes_to_remove` on resize by marking those Machines with
    /// `cluster.x-k8s.io/delete-machine` before scaling down.
    public var removeSpecificNodes: Bool?
    /// `sync_autoscaled_node_count`: write the autoscaler's replica counts back to `node_count`.
    public var syncAutoscaledNodeCount: Bool?
    /// `fail_cluster_on_failed_nodegroup`: a failed worker node group fails the cluster operation
    /// (magnum-capi-helm 1.4.0 still reports `*_COMPLETE`).
    public var failClusterOnFailedNodeGroup: Bool?
    /// `validate_requests`: refuse, before touching anything, what the chart or Kubernetes would
    /// only refuse at helm time (invalid node group names, counts outside their bounds...).
    public var validateRequests: Bool?
    /// `chart_aware_values`: write the values the deployed chart version understands
    /// (`apiServer.allowedCIDRs` from 0.24.0, no `kubernetesDashboard` from 0.20.0) instead of
    /// 1.4.0's fixed set.
    public var chartAwareValues: Bool?

    public init() {}

    func enabled(_ option: Bool?) -> Bool { option ?? (compatibility == .current) }

    /// The effective switches.
    public var features: DriverFeatures {
        DriverFeatures(
            operationTimeouts: enabled(operationTimeouts),
            nodeLabelsAndTaints: enabled(nodeLabelsAndTaints),
            reportMachineFailures: enabled(reportMachineFailures),
            removeSpecificNodes: enabled(removeSpecificNodes),
            syncAutoscaledNodeCount: enabled(syncAutoscaledNodeCount),
            failClusterOnFailedNodeGroup: enabled(failClusterOnFailedNodeGroup),
            validateRequests: enabled(validateRequests),
            chartAwareValues: enabled(chartAwareValues))
    }

    mutating func read(_ r: OptionReader) throws(ConfigurationError) {
        if case .some(let v) = try r.string("compatibility", choices: CompatibilityMode.allCases.map(\.rawValue)) {
            compatibility = v.flatMap(CompatibilityMode.init(rawValue:)) ?? .current
        }
        if case .some(let v) = try r.bool("operation_timeouts") { operationTimeouts = v }
        for (name, keyPath) in [("create_timeout", \WorkerOptions.createTimeoutMinutes),
                                ("update_timeout", \.updateTimeoutMinutes), ("delete_timeout", \.deleteTimeoutMinutes)] {
            if case .some(let v) = try r.int(name) {
                guard let v, v > 0 else { throw r.error(name, "must be a positive number of minutes") }
                self[keyPath: keyPath] = v
            }
        }
        if case .some(let v) = try r.bool("node_labels_and_taints") { nodeLabelsAndTaints = v }
        if case .some(let v) = try r.bool("report_machine_failures") { reportMachineFailures = v }
        if case .some(let v) = try r.bool("remove_specific_nodes") { removeSpecificNodes = v }
        if case .some(let v) = try r.bool("sync_autoscaled_node_count") { syncAutoscaledNodeCount = v }
        if case .some(let v) = try r.bool("fail_cluster_on_failed_nodegroup") { failClusterOnFailedNodeGroup = v }
        if case .some(let v) = try r.bool("validate_requests") { validateRequests = v }
        if case .some(let v) = try r.bool("chart_aware_values") { chartAwareValues = v }
    }
}

/// The improvements in force, resolved from `WorkerOptions`.
public struct DriverFeatures: Sendable, Equatable {
    public var operationTimeouts: Bool
    public var nodeLabelsAndTaints: Bool
    public var reportMachineFailures: Bool
    public var removeSpecificNodes: Bool
    public var syncAutoscaledNodeCount: Bool
    public var failClusterOnFailedNodeGroup: Bool
    public var validateRequests: Bool
    public var chartAwareValues: Bool
}
