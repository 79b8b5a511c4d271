public import JSON
public import MagnumObjects

/// The `cluster_template` table. A project sees its own templates (filtered), every public one
/// that is not hidden, and admins also the hidden public ones — Magnum's three-way UNION.
extension SQLClusterStore {
    static var clusterTemplateFilterKeys: [String] {
        ["name", "image_id", "flavor_id", "master_flavor_id", "keypair_id", "external_network_id",
         "dns_nameserver", "project_id", "user_id", "labels"]
    }

    /// `(tenant AND filters) UNION public-not-hidden [UNION public-hidden for admins]`.
    func visibleTemplates(_ q: TableQuery, _ context: StoreContext, filters: JSONObject = [:]) throws -> Condition {
        var condition = (try q.tenant(context) && q.filters(filters, allowed: Self.clusterTemplateFilterKeys))
            || (try q.equals("public", .bool(true)) && q.equals("hidden", .bool(false)))
        if context.isAdmin {
            condition = condition || (try q.equals("public", .bool(true)) && q.equals("hidden", .bool(true)))
        }
        return condition
    }

    private func oneTemplate(_ context: StoreContext, _ column: String, _ value: JSONValue,
                             multiple: MagnumError? = nil) async throws -> ClusterTemplate {
        let q = query(MagnumSchema.clusterTemplate)
        let condition = try visibleTemplates(q, context) && q.equals(column, value)
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("ClusterTemplateNotFound", ["clustertemplate": value]),
                      multiple: multiple)
        }
        return try Self.object(ClusterTemplate.self, row)
    }

    public func clusterTemplate(id: Int, context: StoreContext) async throws -> ClusterTemplate {
        try await oneTemplate(context, "id", .int(Int64(id)))
    }

    public func clusterTemplate(uuid: String, context: StoreContext) async throws -> ClusterTemplate {
        try await oneTemplate(context, "uuid", .string(uuid))
    }

    public func clusterTemplate(name: String, context: StoreContext) async throws -> ClusterTemplate {
        try await oneTemplate(context, "name", .string(name), multiple: MagnumError(
            "Conflict", message: "Multiple ClusterTemplates exist with same name. Please use the ClusterTemplate uuid instead."))
    }

    public func clusterTemplates(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [ClusterTemplate] {
        let q = query(MagnumSchema.clusterTemplate)
        let condition = try visibleTemplates(q, context, filters: filters)
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(ClusterTemplate.self, rows)
    }

    public func createClusterTemplate(_ values: JSONObject) async throws -> ClusterTemplate {
        let q = query(MagnumSchema.clusterTemplate)
        let values = Self.withUUID(try Self.coerce(values, ClusterTemplate.schema))
        let now = clock()
        let uuid = values["uuid"] ?? .null
        let row = try await write(duplicate: { MagnumError("ClusterTemplateAlreadyExists", ["uuid": uuid]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(ClusterTemplate.self, row)
    }

    /// `_is_cluster_template_referenced`: clusters of any project use it.
    static func templateIsReferenced(_ conn: any SQLConnection, dialect: SQLDialect, uuid: JSONValue) throws -> Bool {
        let clusters = TableQuery(table: MagnumSchema.cluster, dialect: dialect)
        return try clusters.count(conn, where: try clusters.equals("cluster_template_id", uuid)) != 0
    }

    /// `_is_publishing_cluster_template`: one key, and it publishes, hides or tags.
    static func isPublishing(_ values: JSONObject) -> Bool {
        guard values.count == 1 else { return false }
        if values["public"] == .bool(true) { return true }
        if values["hidden"] != nil { return true }
        if let tags = values["tags"], !tags.isNull { return true }
        return false
    }

    public func updateClusterTemplate(_ identity: ObjectIdentity, values: JSONObject) async throws -> ClusterTemplate {
        if values["uuid"] != nil {
            throw MagnumError.invalidParameterValue("Cannot overwrite UUID for an existing ClusterTemplate.")
        }
        let q = query(MagnumSchema.clusterTemplate)
        let values = try Self.coerce(values, ClusterTemplate.schema)
        let condition = try Self.identity(q, identity)
        let now = clock()
        let dialect = self.dialect
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: MagnumError("ClusterTemplateNotFound", ["clustertemplate": identity.jsonValue]),
                            objectName: "ClusterTemplate", values: values, now: now) { loaded, values in
                if try Self.templateIsReferenced(conn, dialect: dialect, uuid: loaded["uuid"] ?? .null),
                   !Self.isPublishing(values), Array(values.keys) != ["name"] {
                    // Only renaming, publishing and hiding are allowed for a template in use.
                    throw MagnumError("ClusterTemplateReferenced", ["clustertemplate": identity.jsonValue])
                }
            }
        }
        return try Self.object(ClusterTemplate.self, row)
    }

    public func destroyClusterTemplate(_ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.clusterTemplate)
        let condition = try Self.identity(q, identity)
        let dialect = self.dialect
        try await database.write { conn in
            let row = try q.one(conn, where: condition, notFound: MagnumError("ClusterTemplateNotFound", ["clustertemplate": identity.jsonValue]))
            if try Self.templateIsReferenced(conn, dialect: dialect, uuid: row["uuid"] ?? .null) {
                throw MagnumError("ClusterTemplateReferenced", ["clustertemplate": identity.jsonValue])
            }
            _ = try q.delete(conn, where: condition)
        }
    }
}
