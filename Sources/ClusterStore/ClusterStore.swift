public import JSON
public import MagnumObjects

/// Magnum's own database, as `magnum/db/sqlalchemy/api.py` offers it to the conductor: the
/// tables `cluster`, `cluster_template`, `nodegroup`, `x509keypair`, `magnum_service`, `quotas`
/// and `federation`, with Magnum's scoping, filters, paging, uniqueness and error classes.
///
/// - Reads take a `StoreContext` where Magnum scopes by project (`_add_tenant_filters`).
/// - `filters` are Magnum's filter dicts (unknown keys are ignored, as Magnum ignores them;
///   `status` takes a list). See each method for the keys Magnum honours.
/// - `values` are object field primitives (what `obj_get_changes()` holds); keys that are not
///   columns are ignored, as SQLAlchemy's `Model.update` ignores them. Updates change only
///   columns whose value differs and then set `updated_at`, as SQLAlchemy's `onupdate` does.
/// - Not found, conflicts and duplicates throw `MagnumError` of Magnum's class
///   (`ClusterNotFound`, `Conflict`, `ClusterAlreadyExists`, ...); database failures throw
///   `StoreError`; values of the wrong type throw `ObjectError`.
/// - Objects come back with their change tracking reset.
public protocol ClusterStore: Sendable {
    // MARK: Clusters

    func cluster(id: Int, context: StoreContext) async throws -> Cluster
    func cluster(uuid: String, context: StoreContext) async throws -> Cluster
    /// `Conflict` when several clusters in scope have that name.
    func cluster(name: String, context: StoreContext) async throws -> Cluster
    /// Filter keys: `cluster_template_id`, `name`, `stack_id`, `api_address`, `project_id`,
    /// `user_id`, `status` (list), `node_count`, `master_count` (sums over nodegroups).
    func clusters(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [Cluster]
    func clusterCount(context: StoreContext, filters: JSONObject) async throws -> Int
    /// Clusters and nodes (all nodegroups) of one project, or of all when `projectId` is nil/empty.
    func clusterStats(projectId: String?) async throws -> ClusterStats
    /// Generates a uuid when none is given; `ClusterAlreadyExists` on a duplicate uuid.
    func createCluster(_ values: JSONObject) async throws -> Cluster
    /// Refuses `uuid` in `values` (`InvalidParameterValue`), as Magnum does.
    func updateCluster(_ identity: ObjectIdentity, values: JSONObject) async throws -> Cluster
    func destroyCluster(_ identity: ObjectIdentity) async throws

    // MARK: Cluster templates (a project's own, plus public ones; hidden public ones for admins)

    func clusterTemplate(id: Int, context: StoreContext) async throws -> ClusterTemplate
    func clusterTemplate(uuid: String, context: StoreContext) async throws -> ClusterTemplate
    func clusterTemplate(name: String, context: StoreContext) async throws -> ClusterTemplate
    /// Filter keys (applied to the project's own templates only, as in Magnum): `name`,
    /// `image_id`, `flavor_id`, `master_flavor_id`, `keypair_id`, `external_network_id`,
    /// `dns_nameserver`, `project_id`, `user_id`, `labels`.
    func clusterTemplates(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [ClusterTemplate]
    func createClusterTemplate(_ values: JSONObject) async throws -> ClusterTemplate
    /// A template used by clusters may only be renamed, published or hidden
    /// (`ClusterTemplateReferenced`).
    func updateClusterTemplate(_ identity: ObjectIdentity, values: JSONObject) async throws -> ClusterTemplate
    func destroyClusterTemplate(_ identity: ObjectIdentity) async throws

    // MARK: Nodegroups (scoped to the context's project unless admin)

    func nodeGroup(id: Int, clusterId: String, context: StoreContext) async throws -> NodeGroup
    func nodeGroup(uuid: String, clusterId: String, context: StoreContext) async throws -> NodeGroup
    func nodeGroup(name: String, clusterId: String, context: StoreContext) async throws -> NodeGroup
    /// Filter keys: `name`, `node_count`, `node_addresses`, `role`, `is_default`, `status` (list).
    func nodeGroups(clusterId: String, context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [NodeGroup]
    func nodeGroupCount(clusterId: String, context: StoreContext) async throws -> Int
    /// `NodeGroupAlreadyExists` on a duplicate uuid or (cluster, name).
    func createNodeGroup(_ values: JSONObject) async throws -> NodeGroup
    func updateNodeGroup(clusterId: String, _ identity: ObjectIdentity, values: JSONObject) async throws -> NodeGroup
    func destroyNodeGroup(clusterId: String, _ identity: ObjectIdentity) async throws

    // MARK: X509 key pairs

    func x509KeyPair(id: Int, context: StoreContext) async throws -> X509KeyPair
    func x509KeyPair(uuid: String, context: StoreContext) async throws -> X509KeyPair
    /// Filter keys: `project_id`, `user_id`.
    func x509KeyPairs(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [X509KeyPair]
    func createX509KeyPair(_ values: JSONObject) async throws -> X509KeyPair
    func updateX509KeyPair(_ identity: ObjectIdentity, values: JSONObject) async throws -> X509KeyPair
    func destroyX509KeyPair(_ identity: ObjectIdentity) async throws

    // MARK: Magnum services (the `openstack coe service list` rows)

    /// `nil` when there is no such service (Magnum returns None).
    func magnumService(host: String, binary: String) async throws -> MagnumService?
    /// Only disabled ones when `disabled` is true.
    func magnumServices(disabled: Bool?, options: ListOptions) async throws -> [MagnumService]
    /// Returns the existing row when (host, binary) already exists, as Magnum does.
    func createMagnumService(_ values: JSONObject) async throws -> MagnumService
    /// Sets `last_seen_up` when `report_count` grows, as Magnum does.
    func updateMagnumService(_ identity: ObjectIdentity, values: JSONObject) async throws -> MagnumService
    func destroyMagnumService(_ identity: ObjectIdentity) async throws

    // MARK: Quotas

    func quota(id: Int) async throws -> Quota
    func quota(projectId: String, resource: String) async throws -> Quota
    /// Filter keys: `resource`, `project_id`.
    func quotas(filters: JSONObject, options: ListOptions) async throws -> [Quota]
    func quotas(projectId: String) async throws -> [Quota]
    /// `QuotaAlreadyExists` on a duplicate (project, resource).
    func createQuota(_ values: JSONObject) async throws -> Quota
    /// Updates the quota of `values["resource"]` in `projectId`.
    func updateQuota(projectId: String, values: JSONObject) async throws -> Quota
    func deleteQuota(projectId: String, resource: String) async throws

    // MARK: Federations

    func federation(id: Int, context: StoreContext) async throws -> Federation
    func federation(uuid: String, context: StoreContext) async throws -> Federation
    func federation(name: String, context: StoreContext) async throws -> Federation
    /// Filter keys: `name`, `project_id`, `hostcluster_id`, `member_ids`, `properties`,
    /// `status` (list).
    func federations(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [Federation]
    func federationCount(context: StoreContext, filters: JSONObject) async throws -> Int
    func createFederation(_ values: JSONObject) async throws -> Federation
    func updateFederation(_ identity: ObjectIdentity, values: JSONObject) async throws -> Federation
    func destroyFederation(_ identity: ObjectIdentity) async throws

    /// Closes the database connections.
    func close() async
}

// MARK: - Object-level conveniences (what `obj.create()` / `obj.save()` / `obj.destroy()` do)

extension ClusterStore {
    public func clusters(context: StoreContext) async throws -> [Cluster] {
        try await clusters(context: context, filters: [:], options: .all)
    }

    /// `Cluster.create()`: inserts the object's changed fields.
    public func create(_ cluster: Cluster) async throws -> Cluster {
        try await createCluster(cluster.changedValues)
    }

    /// `Cluster.save()`: writes the object's changed fields to the row with its uuid.
    public func save(_ cluster: Cluster) async throws -> Cluster {
        try await updateCluster(.uuid(cluster.uuid ?? ""), values: cluster.changedValues)
    }

    public func destroy(_ cluster: Cluster) async throws {
        try await destroyCluster(.uuid(cluster.uuid ?? ""))
    }

    public func create(_ template: ClusterTemplate) async throws -> ClusterTemplate {
        try await createClusterTemplate(template.changedValues)
    }

    public func save(_ template: ClusterTemplate) async throws -> ClusterTemplate {
        try await updateClusterTemplate(.uuid(template.uuid ?? ""), values: template.changedValues)
    }

    public func create(_ nodeGroup: NodeGroup) async throws -> NodeGroup {
        try await createNodeGroup(nodeGroup.changedValues)
    }

    /// `NodeGroup.save()`: by the nodegroup's uuid within its cluster.
    public func save(_ nodeGroup: NodeGroup) async throws -> NodeGroup {
        try await updateNodeGroup(clusterId: nodeGroup.clusterId ?? "", .uuid(nodeGroup.uuid ?? ""), values: nodeGroup.changedValues)
    }

    public func destroy(_ nodeGroup: NodeGroup) async throws {
        try await destroyNodeGroup(clusterId: nodeGroup.clusterId ?? "", .uuid(nodeGroup.uuid ?? ""))
    }

    public func create(_ keyPair: X509KeyPair) async throws -> X509KeyPair {
        try await createX509KeyPair(keyPair.changedValues)
    }

    public func create(_ service: MagnumService) async throws -> MagnumService {
        try await createMagnumService(service.changedValues)
    }

    /// `MagnumService.save()`: by the row id.
    public func save(_ service: MagnumService) async throws -> MagnumService {
        try await updateMagnumService(.id(service.id ?? 0), values: service.changedValues)
    }

    public func create(_ quota: Quota) async throws -> Quota {
        try await createQuota(quota.changedValues)
    }

    public func create(_ federation: Federation) async throws -> Federation {
        try await createFederation(federation.changedValues)
    }
}
