public import JSON
public import MagnumObjects

/// The `cluster` table: `get_cluster_*`, `get_cluster_list`, `get_cluster_count_all`,
/// `get_cluster_stats`, `create_cluster`, `update_cluster`, `destroy_cluster`.
extension SQLClusterStore {
    static var clusterFilterKeys: [String] {
        ["cluster_template_id", "name", "stack_id", "api_address", "node_addresses", "project_id", "user_id"]
    }

    /// `_add_clusters_filters`.
    func clusterFilters(_ q: TableQuery, _ filters: JSONObject) throws -> Condition {
        var condition = try q.filters(filters, allowed: Self.clusterFilterKeys)
        if let status = filters["status"] { condition = condition && (try q.isIn("status", status)) }
        let ng = query(MagnumSchema.nodeGroup)
        func nodeCount(_ value: JSONValue, master: Bool) throws -> Condition {
            guard let c = MagnumSchema.nodeGroup.column("node_count") else { return .never }
            let role = master ? "\(ng.q("role")) = ?" : "\(ng.q("role")) != ?"
            if value.isNull { return .never }  // SUM(...) = NULL is never true
            let bound = try ng.codec.encode(value, for: c, table: ng.table.name)
            return Condition(
                "\(q.q("uuid")) IN (SELECT \(ng.q("cluster_id")) FROM \(ng.q("nodegroup")) WHERE \(role) GROUP BY \(ng.q("cluster_id")) HAVING SUM(\(ng.q("node_count"))) = ?)",
                [.text(NodeGroupRole.master), bound])
        }
        if let count = filters["node_count"] { condition = condition && (try nodeCount(count, master: false)) }
        if let count = filters["master_count"] { condition = condition && (try nodeCount(count, master: true)) }
        return condition
    }

    public func cluster(id: Int, context: StoreContext) async throws -> Cluster {
        let q = query(MagnumSchema.cluster)
        let row = try await database.read { conn in
            try q.one(conn, where: try q.tenant(context) && q.equals("id", .int(Int64(id))),
                      notFound: MagnumError("ClusterNotFound", ["cluster": .int(Int64(id))]))
        }
        return try Self.object(Cluster.self, row)
    }

    public func cluster(uuid: String, context: StoreContext) async throws -> Cluster {
        let q = query(MagnumSchema.cluster)
        let row = try await database.read { conn in
            try q.one(conn, where: try q.tenant(context) && q.equals("uuid", .string(uuid)), notFound: .clusterNotFound(uuid))
        }
        return try Self.object(Cluster.self, row)
    }

    public func cluster(name: String, context: StoreContext) async throws -> Cluster {
        let q = query(MagnumSchema.cluster)
        let row = try await database.read { conn in
            try q.one(conn, where: try q.tenant(context) && q.equals("name", .string(name)), notFound: .clusterNotFound(name),
                      multiple: MagnumError("Conflict", message: "Multiple clusters exist with same name. Please use the cluster uuid instead."))
        }
        return try Self.object(Cluster.self, row)
    }

    public func clusters(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [Cluster] {
        let q = query(MagnumSchema.cluster)
        let condition = try q.tenant(context) && clusterFilters(q, filters)
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(Cluster.self, rows)
    }

    public func clusterCount(context: StoreContext, filters: JSONObject) async throws -> Int {
        let q = query(MagnumSchema.cluster)
        let condition = try q.tenant(context) && clusterFilters(q, filters)
        return try await database.read { conn in try q.count(conn, where: condition) }
    }

    public func clusterStats(projectId: String?) async throws -> ClusterStats {
        let clusters = query(MagnumSchema.cluster)
        let nodegroups = query(MagnumSchema.nodeGroup)
        let project = projectId.flatMap { $0.isEmpty ? nil : $0 }
        let clusterCondition = try project.map { p throws(StoreError) in try clusters.equals("project_id", p) } ?? .always
        let nodeCondition = try project.map { p throws(StoreError) in try nodegroups.equals("project_id", p) } ?? .always
        return try await database.read { conn in
            let count = try clusters.count(conn, where: clusterCondition)
            let sum = try conn.query(
                "SELECT SUM(\(nodegroups.q("node_count"))) FROM \(nodegroups.q("nodegroup")) WHERE \(nodeCondition.sql)",
                nodeCondition.values).rows.first?.first ?? .null
            let nodes: Int
            switch sum {
            case .integer(let n): nodes = Int(n)
            case .double(let d): nodes = Int(d)
            case .text(let s): nodes = Int(s) ?? Int(Double(s) ?? 0)
            case .null: nodes = 0
            }
            return ClusterStats(clusters: count, nodes: nodes)
        }
    }

    public func createCluster(_ values: JSONObject) async throws -> Cluster {
        let q = query(MagnumSchema.cluster)
        let values = Self.withUUID(try Self.coerce(values, Cluster.schema))
        let now = clock()
        let uuid = values["uuid"] ?? .null
        let row = try await write(duplicate: { MagnumError("ClusterAlreadyExists", ["uuid": uuid]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(Cluster.self, row)
    }

    public func updateCluster(_ identity: ObjectIdentity, values: JSONObject) async throws -> Cluster {
        if values["uuid"] != nil {
            throw MagnumError.invalidParameterValue("Cannot overwrite UUID for an existing Cluster.")
        }
        let q = query(MagnumSchema.cluster)
        let values = try Self.coerce(values, Cluster.schema)
        let condition = try Self.identity(q, identity)
        let now = clock()
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: MagnumError("ClusterNotFound", ["cluster": identity.jsonValue]),
                            objectName: "Cluster", values: values, now: now)
        }
        return try Self.object(Cluster.self, row)
    }

    public func destroyCluster(_ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.cluster)
        let condition = try Self.identity(q, identity)
        try await database.write { conn in
            _ = try q.one(conn, where: condition, notFound: MagnumError("ClusterNotFound", ["cluster": identity.jsonValue]))
            _ = try q.delete(conn, where: condition)
        }
    }
}
