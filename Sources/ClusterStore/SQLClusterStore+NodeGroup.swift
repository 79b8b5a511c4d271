public import JSON
public import MagnumObjects

/// The `nodegroup` table. Reads are scoped to the context's project unless it is an admin
/// (nodegroups ignore `all_tenants`, as in Magnum).
extension SQLClusterStore {
    static var nodeGroupFilterKeys: [String] { ["name", "node_count", "node_addresses", "role", "is_default"] }

    func nodeGroupScope(_ q: TableQuery, _ context: StoreContext, clusterId: String) throws -> Condition {
        var condition = Condition.always
        if !context.isAdmin { condition = try q.equals("project_id", context.projectId) }
        return condition && (try q.equals("cluster_id", .string(clusterId)))
    }

    private func oneNodeGroup(_ context: StoreContext, clusterId: String, _ column: String, _ value: JSONValue,
                              multiple: MagnumError? = nil) async throws -> NodeGroup {
        let q = query(MagnumSchema.nodeGroup)
        let condition = try nodeGroupScope(q, context, clusterId: clusterId) && q.equals(column, value)
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("NodeGroupNotFound", ["nodegroup": value]), multiple: multiple)
        }
        return try Self.object(NodeGroup.self, row)
    }

    public func nodeGroup(id: Int, clusterId: String, context: StoreContext) async throws -> NodeGroup {
        try await oneNodeGroup(context, clusterId: clusterId, "id", .int(Int64(id)))
    }

    public func nodeGroup(uuid: String, clusterId: String, context: StoreContext) async throws -> NodeGroup {
        try await oneNodeGroup(context, clusterId: clusterId, "uuid", .string(uuid))
    }

    public func nodeGroup(name: String, clusterId: String, context: StoreContext) async throws -> NodeGroup {
        try await oneNodeGroup(context, clusterId: clusterId, "name", .string(name), multiple: MagnumError(
            "Conflict", message: "Multiple nodegroups exist with same name. Please use the nodegroup uuid instead."))
    }

    public func nodeGroups(clusterId: String, context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [NodeGroup] {
        let q = query(MagnumSchema.nodeGroup)
        var condition = try nodeGroupScope(q, context, clusterId: clusterId) && q.filters(filters, allowed: Self.nodeGroupFilterKeys)
        if let status = filters["status"] { condition = condition && (try q.isIn("status", status)) }
        let rows = try await database.read { [condition] conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(NodeGroup.self, rows)
    }

    public func nodeGroupCount(clusterId: String, context: StoreContext) async throws -> Int {
        let q = query(MagnumSchema.nodeGroup)
        let condition = try nodeGroupScope(q, context, clusterId: clusterId)
        return try await database.read { conn in try q.count(conn, where: condition) }
    }

    public func createNodeGroup(_ values: JSONObject) async throws -> NodeGroup {
        let q = query(MagnumSchema.nodeGroup)
        let values = Self.withUUID(try Self.coerce(values, NodeGroup.schema))
        let now = clock()
        let cluster = values["cluster_id"] ?? .null
        let name = values["name"] ?? .null
        let row = try await write(duplicate: { MagnumError("NodeGroupAlreadyExists", ["cluster_id": cluster, "name": name]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(NodeGroup.self, row)
    }

    public func updateNodeGroup(clusterId: String, _ identity: ObjectIdentity, values: JSONObject) async throws -> NodeGroup {
        let q = query(MagnumSchema.nodeGroup)
        let values = try Self.coerce(values, NodeGroup.schema)
        let condition = try Self.identity(q, identity) && q.equals("cluster_id", .string(clusterId))
        let now = clock()
        // A rename onto an existing name fails with the database's duplicate-entry error, as in Magnum.
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: MagnumError("NodeGroupNotFound", ["nodegroup": identity.jsonValue]),
                            objectName: "NodeGroup", values: values, now: now)
        }
        return try Self.object(NodeGroup.self, row)
    }

    public func destroyNodeGroup(clusterId: String, _ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.nodeGroup)
        let condition = try Self.identity(q, identity) && q.equals("cluster_id", .string(clusterId))
        try await database.write { conn in
            _ = try q.one(conn, where: condition, notFound: MagnumError("NodeGroupNotFound", ["nodegroup": identity.jsonValue]))
            _ = try q.delete(conn, where: condition)
        }
    }
}
