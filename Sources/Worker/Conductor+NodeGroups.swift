import ClusterStore
import JSON
public import MagnumObjects
public import OsloMessaging

/// `nodegroup_conductor.Handler`: the cluster goes to `UPDATE_IN_PROGRESS`, the nodegroup to
/// `*_IN_PROGRESS`, then the driver; a failure sets the nodegroup's `*_FAILED` (with
/// `str(e)`) and the cluster's `UPDATE_FAILED`. Magnum sends no notification for nodegroups.
extension Conductor {
    /// `allowed_operation`: a nodegroup whose status is set must be in one of the allowed
    /// states. (Magnum's message names the cluster's status, not the nodegroup's.)
    func checkNodeGroupOperation(_ operation: String, cluster: Cluster, nodeGroup: NodeGroup) throws {
        guard let status = nodeGroup.base["status"] else { return }
        if !Self.nodeGroupAllowed.contains(status.stringValue ?? "") {
            let clusterStatus = try attribute(cluster, "status")
            throw MagnumError.notSupported("\(operation) when nodegroup status is \"\(PythonFormat.str(clusterStatus))\"")
        }
    }

    /// `nodegroup_create(context, cluster, nodegroup)`: the nodegroup row is created
    /// (`CREATE_IN_PROGRESS`) before the driver runs; returns the nodegroup.
    public func nodeGroupCreate(context: RequestContext, cluster input: Cluster, nodeGroup inputNodeGroup: NodeGroup) async throws -> NodeGroup {
        try checkNodeGroupOperation("nodegroup_create", cluster: input, nodeGroup: inputNodeGroup)
        var cluster = input
        var nodeGroup = inputNodeGroup
        var tracker = ClusterStatusTracker(initial: cluster.base["status"]?.stringValue)
        cluster.status = .updateInProgress
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        nodeGroup.status = .createInProgress
        if let existing = try await resumableNodeGroup(nodeGroup, cluster: cluster) {
            // A redelivery after an interrupted attempt: the row exists already.
            log(cluster, context).warning("resuming an interrupted nodegroup_create")
            nodeGroup = existing
            nodeGroup.status = .createInProgress
        } else {
            try await store.createRow(&nodeGroup)
        }
        do {
            let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
            try await driver.createNodeGroup(&cluster, nodeGroup: &nodeGroup, context: context)
            try await store.saveRow(&nodeGroup)
        } catch {
            try await nodeGroupFailed(&nodeGroup, status: .createFailed, cluster: &cluster, tracker: &tracker, error: error, context: context)
        }
        await tracker.saved(cluster, notifications: notifications, context: context)
        return nodeGroup
    }

    /// `nodegroup_update(context, cluster, nodegroup)`: the nodegroup (with the API's changes)
    /// is saved after the driver ran; returns the nodegroup.
    public func nodeGroupUpdate(context: RequestContext, cluster input: Cluster, nodeGroup inputNodeGroup: NodeGroup) async throws -> NodeGroup {
        try checkNodeGroupOperation("nodegroup_update", cluster: input, nodeGroup: inputNodeGroup)
        var cluster = input
        var nodeGroup = inputNodeGroup
        var tracker = ClusterStatusTracker(initial: cluster.base["status"]?.stringValue)
        cluster.status = .updateInProgress
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        nodeGroup.status = .updateInProgress
        do {
            let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
            try await driver.updateNodeGroup(&cluster, nodeGroup: &nodeGroup, context: context)
            try await store.saveRow(&nodeGroup)
        } catch {
            try await nodeGroupFailed(&nodeGroup, status: .updateFailed, cluster: &cluster, tracker: &tracker, error: error, context: context)
        }
        await tracker.saved(cluster, notifications: notifications, context: context)
        return nodeGroup
    }

    /// `nodegroup_delete(context, cluster, nodegroup)`: `DELETE_IN_PROGRESS` is not saved by the
    /// conductor (the driver saves it); the status sync removes the row. Returns `None`.
    public func nodeGroupDelete(context: RequestContext, cluster input: Cluster, nodeGroup inputNodeGroup: NodeGroup) async throws {
        var cluster = input
        var nodeGroup = inputNodeGroup
        var tracker = ClusterStatusTracker(initial: cluster.base["status"]?.stringValue)
        cluster.status = .updateInProgress
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        nodeGroup.status = .deleteInProgress
        do {
            let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
            try await driver.deleteNodeGroup(&cluster, nodeGroup: &nodeGroup, context: context)
        } catch {
            try await nodeGroupFailed(&nodeGroup, status: .deleteFailed, cluster: &cluster, tracker: &tracker, error: error, context: context)
        }
        await tracker.saved(cluster, notifications: notifications, context: context)
    }

    /// The nodegroup row an interrupted earlier attempt of this request made, if any.
    func resumableNodeGroup(_ nodeGroup: NodeGroup, cluster: Cluster) async throws -> NodeGroup? {
        guard let attempt = OperationAttempt.current, attempt.isResume, let uuid = nodeGroup.uuid else { return nil }
        do {
            return try await store.nodeGroup(uuid: uuid, clusterId: cluster.uuid ?? "None", context: .allProjects)
        } catch let error as MagnumError where error.className == "NodeGroupNotFound" {
            return nil
        }
    }

    private func nodeGroupFailed(_ nodeGroup: inout NodeGroup, status: ClusterStatus, cluster: inout Cluster,
                                 tracker: inout ClusterStatusTracker, error: any Error, context: RequestContext) async throws -> Never {
        log(cluster, context).error("nodegroup \(nodeGroup.name ?? "None") operation failed: \(PythonText.str(error))")
        nodeGroup.status = status
        nodeGroup.statusReason = PythonText.str(error)
        try await store.saveRow(&nodeGroup)
        cluster.status = .updateFailed
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        throw error
    }
}
