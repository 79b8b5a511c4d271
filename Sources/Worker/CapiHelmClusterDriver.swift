public import CapiHelmDriver
public import MagnumObjects
import OrderedCollections
public import OsloMessaging

/// magnum-capi-helm's `Driver` as the conductor sees it: the pure `CapiHelmDriver` (over the
/// ports `CapiHelmRuntime` fills) behind Magnum's driver interface, registered under the entry
/// point `k8s_capi_helm_v1` for `(vm, ubuntu, kubernetes)` and `(vm, flatcar, kubernetes)`.
///
/// Only the calling convention changes here: the request context is handed over with the
/// fields the driver uses (who, which project, the Keystone URL, the token to act as the caller),
/// Magnum's optional arguments take the values Python's defaults would, and the monitor's
/// report becomes the health the status sync saves. Everything else is the driver's; CA rotation is Magnum's base
/// driver's `NotSupported`, as in magnum-capi-helm.
public struct CapiHelmClusterDriver: ClusterDriver {
    /// Magnum's entry-point name for this driver (`magnum.drivers` in magnum-capi-helm's setup.cfg).
    public static let entryPoint = "k8s_capi_helm_v1"

    public let driver: CapiHelmDriver

    public init(driver: CapiHelmDriver) {
        self.driver = driver
    }

    public var provides: [ClusterType] {
        [ClusterType(serverType: "vm", os: "ubuntu", coe: "kubernetes"),
         ClusterType(serverType: "vm", os: "flatcar", coe: "kubernetes")]
    }

    public var isBeta: Bool { false }

    /// The driver's view of an oslo request context.
    public static func driverContext(_ context: OsloMessaging.RequestContext) -> DriverRequestContext {
        DriverRequestContext(
            userId: context.userID, userName: context.userName, projectId: context.projectID, projectName: context.projectName,
            authURL: context.authURL, roles: context.roles, isAdmin: context.isAdmin, requestId: context.requestID,
            authToken: context.authToken)
    }

    /// Journal steps naming the application credentials a `create_cluster` made
    /// (`driver:create_cluster:credential:<id>`), so that an attempt resumed after a crash
    /// inside the driver call reuses or deletes them instead of leaving one behind.
    static let credentialStep = "driver:create_cluster:credential:"

    public func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: OsloMessaging.RequestContext) async throws {
        guard let attempt = OperationAttempt.current else {
            return try await driver.createCluster(&cluster, context: Self.driverContext(context))
        }
        let earlier = attempt.earlierSteps.filter { $0.hasPrefix(Self.credentialStep) }
            .map { String($0.dropFirst(Self.credentialStep.count)) }.sorted()
        let resume = attempt.driverCallInterrupted("create_cluster") ? CapiHelmDriver.CreateResume(earlierCredentialIDs: earlier) : nil
        try await driver.createCluster(&cluster, context: Self.driverContext(context), resume: resume,
                                       credentialMade: { id in try await attempt.record(Self.credentialStep + id) })
    }

    public func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: OsloMessaging.RequestContext) async throws {
        try await driver.updateCluster(&cluster, context: Self.driverContext(context))
    }

    public func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                              context: OsloMessaging.RequestContext) async throws {
        try await driver.resizeCluster(&cluster, nodeCount: nodeCount, nodesToRemove: nodesToRemove, nodeGroup: nodeGroup,
                                       context: Self.driverContext(context))
    }

    public func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?,
                               nodeGroup: inout NodeGroup, rollback: Bool, context: OsloMessaging.RequestContext) async throws {
        // magnum-api always sends max_batch_size (default 1); the driver does not use it.
        try await driver.upgradeCluster(&cluster, to: clusterTemplate, maxBatchSize: maxBatchSize ?? 1, nodeGroup: nodeGroup,
                                        context: Self.driverContext(context))
    }

    public func deleteCluster(_ cluster: inout Cluster, context: OsloMessaging.RequestContext) async throws {
        try await driver.deleteCluster(&cluster, context: Self.driverContext(context))
    }

    public func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: OsloMessaging.RequestContext) async throws {
        try await driver.createNodeGroup(&cluster, nodeGroup: &nodeGroup, context: Self.driverContext(context))
    }

    public func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: OsloMessaging.RequestContext) async throws {
        try await driver.updateNodeGroup(&cluster, nodeGroup: &nodeGroup, context: Self.driverContext(context))
    }

    public func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: OsloMessaging.RequestContext) async throws {
        try await driver.deleteNodeGroup(&cluster, nodeGroup: &nodeGroup, context: Self.driverContext(context))
    }

    public func updateClusterStatus(_ cluster: inout Cluster, context: OsloMessaging.RequestContext) async throws {
        try await driver.updateClusterStatus(&cluster, context: Self.driverContext(context))
    }

    /// `get_monitor()` is `CAPIMonitor`; its `poll_health_status` fills `health_status` and
    /// `health_status_reason`.
    public func clusterHealth(_ cluster: Cluster, context: OsloMessaging.RequestContext) async throws -> ClusterHealthReport? {
        let health = try await driver.pollHealthStatus(cluster)
        return ClusterHealthReport(healthStatus: health.status.rawValue, healthStatusReason: health.reason)
    }

    public func rotateCredential(_ cluster: inout Cluster, context: OsloMessaging.RequestContext) async throws {
        try await driver.rotateCredential(&cluster, context: Self.driverContext(context))
    }

    /// magnum-capi-helm resizes the control plane to the sizes a create accepts.
    public func validateMasterResize(_ nodeCount: Int) throws {
        try validateMasterSize(nodeCount)
    }
}
