public import JSON
public import MagnumObjects

/// The `quotas` table: one hard limit per (project, resource). Not scoped by the context, as in
/// Magnum (the API checks policy before).
extension SQLClusterStore {
    static func quotaNotFound(projectId: String, resource: String) -> MagnumError {
        MagnumError("QuotaNotFound", ["msg": .string("project_id \(projectId) resource \(resource).")])
    }

    public func quota(id: Int) async throws -> Quota {
        let q = query(MagnumSchema.quotas)
        let condition = try q.equals("id", .int(Int64(id)))
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("QuotaNotFound", ["msg": .string("quota id \(id) .")]))
        }
        return try Self.object(Quota.self, row)
    }

    public func quota(projectId: String, resource: String) async throws -> Quota {
        let q = query(MagnumSchema.quotas)
        let condition = try q.equals("project_id", .string(projectId)) && q.equals("resource", .string(resource))
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: Self.quotaNotFound(projectId: projectId, resource: resource))
        }
        return try Self.object(Quota.self, row)
    }

    public func quotas(filters: JSONObject, options: ListOptions) async throws -> [Quota] {
        let q = query(MagnumSchema.quotas)
        let condition = try q.filters(filters, allowed: ["resource", "project_id"])
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(Quota.self, rows)
    }

    public func quotas(projectId: String) async throws -> [Quota] {
        let q = query(MagnumSchema.quotas)
        let condition = try q.equals("project_id", .string(projectId))
        let rows = try await database.read { conn in try q.select(conn, where: condition) }
        return try Self.objects(Quota.self, rows)
    }

    public func createQuota(_ values: JSONObject) async throws -> Quota {
        let q = query(MagnumSchema.quotas)
        let values = try Self.coerce(values, Quota.schema)
        let now = clock()
        let project = values["project_id"] ?? .null
        let resource = values["resource"] ?? .null
        let row = try await write(duplicate: { MagnumError("QuotaAlreadyExists", ["project_id": project, "resource": resource]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(Quota.self, row)
    }

    public func updateQuota(projectId: String, values: JSONObject) async throws -> Quota {
        let q = query(MagnumSchema.quotas)
        let values = try Self.coerce(values, Quota.schema)
        let resource = values["resource"] ?? .null
        let resourceText = resource.stringValue ?? PythonFormat.str(resource)
        let condition = try q.equals("project_id", .string(projectId)) && q.equals("resource", resource)
        let now = clock()
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: Self.quotaNotFound(projectId: projectId, resource: resourceText),
                            objectName: "Quota", values: values, now: now)
        }
        return try Self.object(Quota.self, row)
    }

    public func deleteQuota(projectId: String, resource: String) async throws {
        let q = query(MagnumSchema.quotas)
        let condition = try q.equals("project_id", .string(projectId)) && q.equals("resource", .string(resource))
        try await database.write { conn in
            _ = try q.one(conn, where: condition, notFound: Self.quotaNotFound(projectId: projectId, resource: resource))
            _ = try q.delete(conn, where: condition)
        }
    }
}
