public import JSON
public import MagnumObjects

/// The `federation` table.
extension SQLClusterStore {
    static var federationFilterKeys: [String] { ["name", "project_id", "hostcluster_id", "member_ids", "properties"] }

    func federationFilters(_ q: TableQuery, _ filters: JSONObject) throws -> Condition {
        var condition = try q.filters(filters, allowed: Self.federationFilterKeys)
        if let status = filters["status"] { condition = condition && (try q.isIn("status", status)) }
        return condition
    }

    private func oneFederation(_ context: StoreContext, _ column: String, _ value: JSONValue,
                               multiple: MagnumError? = nil) async throws -> Federation {
        let q = query(MagnumSchema.federation)
        let condition = try q.tenant(context) && q.equals(column, value)
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("FederationNotFound", ["federation": value]), multiple: multiple)
        }
        return try Self.object(Federation.self, row)
    }

    public func federation(id: Int, context: StoreContext) async throws -> Federation {
        try await oneFederation(context, "id", .int(Int64(id)))
    }

    public func federation(uuid: String, context: StoreContext) async throws -> Federation {
        try await oneFederation(context, "uuid", .string(uuid))
    }

    public func federation(name: String, context: StoreContext) async throws -> Federation {
        try await oneFederation(context, "name", .string(name), multiple: MagnumError(
            "Conflict", message: "Multiple federations exist with same name. Please use the federation uuid instead."))
    }

    public func federations(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [Federation] {
        let q = query(MagnumSchema.federation)
        let condition = try q.tenant(context) && federationFilters(q, filters)
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(Federation.self, rows)
    }

    /// Magnum's `Federation.get_count_all` calls a database function its SQLAlchemy backend never
    /// defined; this counts what `federations` would list.
    public func federationCount(context: StoreContext, filters: JSONObject) async throws -> Int {
        let q = query(MagnumSchema.federation)
        let condition = try q.tenant(context) && federationFilters(q, filters)
        return try await database.read { conn in try q.count(conn, where: condition) }
    }

    public func createFederation(_ values: JSONObject) async throws -> Federation {
        let q = query(MagnumSchema.federation)
        let values = Self.withUUID(try Self.coerce(values, Federation.schema))
        let now = clock()
        let uuid = values["uuid"] ?? .null
        let row = try await write(duplicate: { MagnumError("FederationAlreadyExists", ["uuid": uuid]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(Federation.self, row)
    }

    public func updateFederation(_ identity: ObjectIdentity, values: JSONObject) async throws -> Federation {
        if values["uuid"] != nil {
            throw MagnumError.invalidParameterValue("Cannot overwrite UUID for an existing Federation.")
        }
        let q = query(MagnumSchema.federation)
        let values = try Self.coerce(values, Federation.schema)
        let condition = try Self.identity(q, identity)
        let now = clock()
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: MagnumError("FederationNotFound", ["federation": identity.jsonValue]),
                            objectName: "Federation", values: values, now: now)
        }
        return try Self.object(Federation.self, row)
    }

    public func destroyFederation(_ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.federation)
        let condition = try Self.identity(q, identity)
        try await database.write { conn in
            _ = try q.one(conn, where: condition, notFound: MagnumError("FederationNotFound", ["federation": identity.jsonValue]))
            _ = try q.delete(conn, where: condition)
        }
    }
}
