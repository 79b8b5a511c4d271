public import ClusterCertificates
public import ClusterStore
import JSON
public import MagnumObjects
public import OsloMessaging

/// Magnum's object methods (`create()`, `save()`, `destroy()`, lazy loads) over a `ClusterStore`,
/// with the same effect on the object as in Python: `save()` writes the changed fields and resets
/// the change tracking but does not reload the row; `create()` takes every field from the new
/// row (id, defaults, `created_at`) and keeps a nested template; `destroy()` deletes the row.
extension ClusterStore {
    /// `cluster.create()`.
    public func createRow(_ cluster: inout Cluster) async throws {
        let created = try await createCluster(cluster.changedValues)
        var merged = created
        merged.base.version = cluster.base.version
        if let template = cluster.base["cluster_template"] {
            merged.base.set("cluster_template", template)
            merged.base.resetChanges(["cluster_template"])
        }
        cluster = merged
    }

    /// `cluster.save()`.
    public func saveRow(_ cluster: inout Cluster) async throws {
        _ = try await updateCluster(.uuid(cluster.uuid ?? "None"), values: Self.columns(cluster.changedValues))
        cluster.resetChanges()
    }

    /// `nodegroup.create()`.
    public func createRow(_ nodeGroup: inout NodeGroup) async throws {
        var created = try await createNodeGroup(nodeGroup.changedValues)
        created.base.version = nodeGroup.base.version
        nodeGroup = created
    }

    /// `nodegroup.save()`: by the nodegroup's uuid within its cluster.
    public func saveRow(_ nodeGroup: inout NodeGroup) async throws {
        _ = try await updateNodeGroup(clusterId: nodeGroup.clusterId ?? "None", .uuid(nodeGroup.uuid ?? "None"),
                                      values: nodeGroup.changedValues)
        nodeGroup.resetChanges()
    }

    /// `cluster.cluster_template`: the nested template, loaded with the caller's scope when the
    /// object does not carry it (and then kept on the object, unchanged).
    public func loadTemplate(of cluster: inout Cluster, context: StoreContext) async throws -> ClusterTemplate {
        if let nested = cluster.clusterTemplate { return nested }
        let template = try await clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: context)
        cluster.clusterTemplate = template
        cluster.base.resetChanges(["cluster_template"])
        return template
    }

    /// `cluster.nodegroups`: every nodegroup of the cluster the caller may see, in id order.
    public func nodeGroups(of cluster: Cluster, context: StoreContext) async throws -> [NodeGroup] {
        try await nodeGroups(clusterId: cluster.uuid ?? "None", context: context, filters: [:], options: .all)
    }

    /// A nested object in `values` is not a column; Magnum's SQLAlchemy model ignores it too.
    static func columns(_ values: JSONObject) -> JSONObject {
        values.filter { $0.key != "cluster_template" }
    }
}

extension StoreContext {
    /// What Magnum's database layer reads from the request context (`_add_tenant_filters`).
    public init(_ context: RequestContext) {
        self.init(projectId: context.projectID, userId: context.userID, isAdmin: context.isAdmin,
                  allTenants: context.allTenants)
    }
}

extension CertificateContext {
    /// Who owns new key pairs and which ones a read may see.
    public init(_ context: RequestContext) {
        self.init(projectId: context.projectID, userId: context.userID, isAdmin: context.isAdmin,
                  allTenants: context.allTenants)
    }
}

extension RequestContext {
    /// `context.make_admin_context(all_tenants=True)`, what Magnum's periodic tasks run with
    /// (a new request id each time).
    public static func magnumAdmin(allTenants: Bool = true) -> RequestContext {
        RequestContext(isAdmin: true, requestID: "req-" + Identifiers.uuidString(), allTenants: allTenants)
    }
}

/// `X509KeyPairStore` over Magnum's `x509keypair` table: what the `x509keypair` cert manager's
/// `X509KeyPair.create()` / `get_by_uuid()` / `destroy()` do.
public struct ClusterStoreX509KeyPairs: X509KeyPairStore {
    public let store: any ClusterStore

    public init(store: any ClusterStore) { self.store = store }

    public func create(_ keyPair: X509KeyPair) async throws -> X509KeyPair {
        try await store.createX509KeyPair(keyPair.changedValues)
    }

    public func get(uuid: String, context: CertificateContext) async throws -> X509KeyPair {
        try await store.x509KeyPair(uuid: uuid, context: StoreContext(projectId: context.projectId, userId: context.userId,
                                                                      isAdmin: context.isAdmin, allTenants: context.allTenants))
    }

    public func delete(uuid: String) async throws {
        try await store.destroyX509KeyPair(.uuid(uuid))
    }
}
