public import CapiHelmDriver
public import ClusterStore
public import MagnumObjects

/// The driver's `ClusterPersistence` on Magnum's own tables (`ClusterStore`, SQLite or
/// MariaDB): `cluster.save()` / `nodegroup.save()` write the object's changed fields (and
/// `updated_at`), nodegroups are listed in id order, templates read with Magnum's admin scope
/// (a cluster may use another project's public template). Operation start times live in the
/// worker's own `capi_worker_operation` table (`OperationStartTable`); Magnum's tables are never
/// altered.
public struct ClusterStorePersistence: ClusterPersistence {
    public let store: any ClusterStore
    public let operations: OperationStartTable?

    /// `database` is the store's SQL database (for `capi_worker_operation`, which must have been
    /// migrated: `OperationStartTable.migrate`); without one, operation starts are not kept and
    /// the driver falls back to `created_at` / `updated_at`.
    public init(store: any ClusterStore, database: (any SQLDatabase)?) {
        self.store = store
        self.operations = database.map(OperationStartTable.init(database:))
    }

    /// The SQL database under a store opened by `ClusterStores.open`.
    public static func database(of store: any ClusterStore) -> (any SQLDatabase)? {
        if let sqlite = store as? SQLiteClusterStore { return sqlite.database }
        if let mariadb = store as? MariaDBClusterStore { return mariadb.database }
        return nil
    }

    public func saveCluster(_ cluster: Cluster) async throws {
        _ = try await store.save(cluster)
        // An operation that finished no longer needs its start.
        if cluster.changedValues["status"] != nil, let status = cluster.status, !status.isInProgress, let uuid = cluster.uuid {
            try await operations?.clear(clusterUUID: uuid)
        }
    }

    public func nodeGroups(clusterUUID: String) async throws -> [NodeGroup] {
        try await store.nodeGroups(clusterId: clusterUUID, context: .allProjects, filters: [:],
                                   options: ListOptions(sortKey: "id", sortDirection: "asc"))
    }

    public func saveNodeGroup(_ nodeGroup: NodeGroup) async throws {
        _ = try await store.save(nodeGroup)
    }

    public func destroyNodeGroup(_ nodeGroup: NodeGroup) async throws {
        try await store.destroy(nodeGroup)
    }

    public func clusterTemplate(uuid: String) async throws -> ClusterTemplate {
        try await store.clusterTemplate(uuid: uuid, context: .allProjects)
    }

    public func operationStart(clusterUUID: String) async throws -> Timestamp? {
        try await operations?.start(clusterUUID: clusterUUID)
    }

    /// Recorded for the operation the cluster's `status` names (`create`, `update`, `delete`).
    public func recordOperationStart(clusterUUID: String, at time: Timestamp) async throws {
        guard let operations else { return }
        let cluster = try await store.cluster(uuid: clusterUUID, context: .allProjects)
        try await operations.record(clusterUUID: clusterUUID, operation: OperationStartTable.operation(of: cluster.status), at: time)
    }
}
