public import JSON
public import MagnumObjects

/// The `magnum_service` table: one row per (host, binary), the conductor's heartbeat.
extension SQLClusterStore {
    public func magnumService(host: String, binary: String) async throws -> MagnumService? {
        let q = query(MagnumSchema.magnumService)
        let condition = try q.equals("host", .string(host)) && q.equals("binary", .string(binary))
        let rows = try await database.read { conn in try q.select(conn, where: condition, limit: 1) }
        return try rows.first.map { row throws(ObjectError) in try Self.object(MagnumService.self, row) }
    }

    public func magnumServices(disabled: Bool?, options: ListOptions) async throws -> [MagnumService] {
        let q = query(MagnumSchema.magnumService)
        let condition = disabled == true ? try q.equals("disabled", .bool(true)) : .always
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(MagnumService.self, rows)
    }

    public func createMagnumService(_ values: JSONObject) async throws -> MagnumService {
        let q = query(MagnumSchema.magnumService)
        let values = try Self.coerce(values, MagnumService.schema)
        let now = clock()
        let row = try await database.write { conn in
            do {
                return try Self.insert(conn, q, values, now: now)
            } catch let error as StoreError where error.kind == .duplicateEntry {
                // Magnum logs and returns the row that is already there.
                let existing = try q.equals("host", values["host"] ?? .null) && q.equals("binary", values["binary"] ?? .null)
                return try q.one(conn, where: existing, notFound: MagnumError("MagnumServiceNotFound", ["magnum_service_id": .null]))
            }
        }
        return try Self.object(MagnumService.self, row)
    }

    public func updateMagnumService(_ identity: ObjectIdentity, values: JSONObject) async throws -> MagnumService {
        let q = query(MagnumSchema.magnumService)
        let values = try Self.coerce(values, MagnumService.schema)
        let condition = try Self.identity(q, identity)
        let now = clock()
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition,
                            notFound: MagnumError("MagnumServiceNotFound", ["magnum_service_id": identity.jsonValue]),
                            objectName: "MagnumService", values: values, now: now) { loaded, values in
                // A growing report_count is a heartbeat: Magnum stamps last_seen_up.
                if let count = values["report_count"]?.intValue, count > (loaded["report_count"]?.intValue ?? Int.max) {
                    values["last_seen_up"] = .string(now.sqlFormat)
                }
            }
        }
        return try Self.object(MagnumService.self, row)
    }

    public func destroyMagnumService(_ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.magnumService)
        let condition = try Self.identity(q, identity)
        try await database.write { conn in
            if try q.delete(conn, where: condition) != 1 {
                throw MagnumError("MagnumServiceNotFound", ["magnum_service_id": identity.jsonValue])
            }
        }
    }
}
