public import MagnumObjects

/// Magnum's database as the driver uses it (`cluster.save()`, `nodegroup.save()` /
/// `destroy()`, `cluster.nodegroups`, the lazily loaded template).
///
/// `saveCluster` / `saveNodeGroup` persist the object's changed fields (`changedValues`), as
/// Magnum's `save()` does; the driver resets the changes afterwards.
public protocol ClusterPersistence: Sendable {
    func saveCluster(_ cluster: Cluster) async throws
    /// The cluster's nodegroups in id order (Magnum's `NodeGroup.list`).
    func nodeGroups(clusterUUID: String) async throws -> [NodeGroup]
    func saveNodeGroup(_ nodeGroup: NodeGroup) async throws
    func destroyNodeGroup(_ nodeGroup: NodeGroup) async throws
    /// `ClusterTemplate.get_by_uuid`; throws `MagnumError` `ClusterTemplateNotFound`.
    func clusterTemplate(uuid: String) async throws -> ClusterTemplate
    /// When the cluster's current create/update/delete began, if recorded (for
    /// `[capi_worker] operation_timeouts`; not part of Magnum's schema, so an adapter may keep it
    /// in its own table or return `nil`, and the driver then falls back to `created_at` /
    /// `updated_at`).
    func operationStart(clusterUUID: String) async throws -> Timestamp?
    func recordOperationStart(clusterUUID: String, at time: Timestamp) async throws
}
