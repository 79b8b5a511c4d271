public import Logging
public import MagnumObjects
public import OsloMessaging

/// A driver whose operations are fenced by the operation journal: when a handler runs for a
/// journalled message (`OperationAttempt.current`), each driver operation is recorded as
/// `driver:<method>:started` before and `driver:<method>:done` after it; a redelivery that
/// resumes the message skips operations an earlier attempt finished, so a helm install, an
/// application credential or a nodegroup is never made twice for one request.
///
/// The one window left is a worker dying *inside* a driver call (after the effect, before the
/// journal saw it end): the resumed attempt calls the driver again with
/// `OperationAttempt.current.driverCallInterrupted(...)` true and the same `key`, and the driver
/// must be idempotent for it (the capi-helm driver's `helm upgrade --install` of the cluster's
/// release is). docs/reliability.md says more.
public struct JournaledClusterDriver: ClusterDriver {
    public let inner: any ClusterDriver
    let logger: Logger

    public init(_ inner: any ClusterDriver, logger: Logger) {
        self.inner = inner
        self.logger = logger
    }

    public var provides: [ClusterType] { inner.provides }
    public var isBeta: Bool { inner.isBeta }

    /// Runs a driver operation once per journalled operation.
    func fenced(_ method: String, _ body: () async throws -> Void) async throws {
        guard let attempt = OperationAttempt.current else { return try await body() }
        if attempt.driverCallFinished(method) {
            logger.info("driver \(method) already done by an earlier attempt of this request; not calling it again",
                        metadata: ["cluster_uuid": "\(attempt.clusterUUID)", "unique_id": "\(attempt.messageID)"])
            return
        }
        if attempt.driverCallInterrupted(method) {
            logger.warning("driver \(method) was interrupted in an earlier attempt of this request; calling it again (idempotent by key \(attempt.key))",
                           metadata: ["cluster_uuid": "\(attempt.clusterUUID)", "unique_id": "\(attempt.messageID)"])
        }
        try await attempt.record("driver:\(method):started")
        try await body()
        try await attempt.record("driver:\(method):done")
    }

    public func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws {
        var c = cluster
        try await fenced("create_cluster") { try await inner.createCluster(&c, createTimeout: createTimeout, context: context) }
        cluster = c
    }

    public func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws {
        var c = cluster
        try await fenced("update_cluster") { try await inner.updateCluster(&c, rollback: rollback, context: context) }
        cluster = c
    }

    public func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                              context: RequestContext) async throws {
        var c = cluster, ng = nodeGroup
        try await fenced("resize_cluster") {
            try await inner.resizeCluster(&c, nodeCount: nodeCount, nodesToRemove: nodesToRemove, nodeGroup: &ng, context: context)
        }
        cluster = c
        nodeGroup = ng
    }

    public func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?,
                               nodeGroup: inout NodeGroup, rollback: Bool, context: RequestContext) async throws {
        var c = cluster, ng = nodeGroup
        try await fenced("upgrade_cluster") {
            try await inner.upgradeCluster(&c, to: clusterTemplate, maxBatchSize: maxBatchSize, nodeGroup: &ng, rollback: rollback,
                                           context: context)
        }
        cluster = c
        nodeGroup = ng
    }

    public func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        var c = cluster
        try await fenced("delete_cluster") { try await inner.deleteCluster(&c, context: context) }
        cluster = c
    }

    public func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        var c = cluster, ng = nodeGroup
        try await fenced("create_nodegroup") { try await inner.createNodeGroup(&c, nodeGroup: &ng, context: context) }
        cluster = c
        nodeGroup = ng
    }

    public func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        var c = cluster, ng = nodeGroup
        try await fenced("update_nodegroup") { try await inner.updateNodeGroup(&c, nodeGroup: &ng, context: context) }
        cluster = c
        nodeGroup = ng
    }

    public func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        var c = cluster, ng = nodeGroup
        try await fenced("delete_nodegroup") { try await inner.deleteNodeGroup(&c, nodeGroup: &ng, context: context) }
        cluster = c
        nodeGroup = ng
    }

    public func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {
        try await inner.updateClusterStatus(&cluster, context: context)
    }

    public func clusterHealth(_ cluster: Cluster, context: RequestContext) async throws -> ClusterHealthReport? {
        try await inner.clusterHealth(cluster, context: context)
    }

    public func rotateCACertificate(_ cluster: inout Cluster, context: RequestContext) async throws {
        var c = cluster
        try await fenced("rotate_ca_certificate") { try await inner.rotateCACertificate(&c, context: context) }
        cluster = c
    }

    public func rotateCredential(_ cluster: inout Cluster, context: RequestContext) async throws {
        var c = cluster
        try await fenced("rotate_credential") { try await inner.rotateCredential(&c, context: context) }
        cluster = c
    }

    public func validateMasterSize(_ nodeCount: Int) throws { try inner.validateMasterSize(nodeCount) }
    public func validateMasterResize(_ nodeCount: Int) throws { try inner.validateMasterResize(nodeCount) }
}

extension ClusterDriverRegistry {
    /// The same registry with every driver fenced by the operation journal.
    public func journaled(logger: Logger) -> ClusterDriverRegistry {
        ClusterDriverRegistry(entries.map { Entry(name: $0.name, driver: $0.driver is JournaledClusterDriver ? $0.driver
                                                    : JournaledClusterDriver($0.driver, logger: logger)) },
                              options: options)
    }
}
