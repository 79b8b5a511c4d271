public import JSON
public import MagnumObjects

/// The `x509keypair` table (the `x509keypair` cert manager's storage).
extension SQLClusterStore {
    public func x509KeyPair(id: Int, context: StoreContext) async throws -> X509KeyPair {
        let q = query(MagnumSchema.x509KeyPair)
        let condition = try q.tenant(context) && q.equals("id", .int(Int64(id)))
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("X509KeyPairNotFound", ["x509keypair": .int(Int64(id))]))
        }
        return try Self.object(X509KeyPair.self, row)
    }

    public func x509KeyPair(uuid: String, context: StoreContext) async throws -> X509KeyPair {
        let q = query(MagnumSchema.x509KeyPair)
        let condition = try q.tenant(context) && q.equals("uuid", .string(uuid))
        let row = try await database.read { conn in
            try q.one(conn, where: condition, notFound: MagnumError("X509KeyPairNotFound", ["x509keypair": .string(uuid)]))
        }
        return try Self.object(X509KeyPair.self, row)
    }

    public func x509KeyPairs(context: StoreContext, filters: JSONObject, options: ListOptions) async throws -> [X509KeyPair] {
        let q = query(MagnumSchema.x509KeyPair)
        let condition = try q.tenant(context) && q.filters(filters, allowed: ["project_id", "user_id"])
        let rows = try await database.read { conn in try q.list(conn, where: condition, options: options) }
        return try Self.objects(X509KeyPair.self, rows)
    }

    public func createX509KeyPair(_ values: JSONObject) async throws -> X509KeyPair {
        let q = query(MagnumSchema.x509KeyPair)
        let values = Self.withUUID(try Self.coerce(values, X509KeyPair.schema))
        let now = clock()
        let uuid = values["uuid"] ?? .null
        let row = try await write(duplicate: { MagnumError("X509KeyPairAlreadyExists", ["uuid": uuid]) }) { conn in
            try Self.insert(conn, q, values, now: now)
        }
        return try Self.object(X509KeyPair.self, row)
    }

    public func updateX509KeyPair(_ identity: ObjectIdentity, values: JSONObject) async throws -> X509KeyPair {
        if values["uuid"] != nil {
            throw MagnumError.invalidParameterValue("Cannot overwrite UUID for an existing X509KeyPair.")
        }
        let q = query(MagnumSchema.x509KeyPair)
        let values = try Self.coerce(values, X509KeyPair.schema)
        let condition = try Self.identity(q, identity)
        let now = clock()
        let row = try await database.write { conn in
            try Self.update(conn, q, where: condition, notFound: MagnumError("X509KeyPairNotFound", ["x509keypair": identity.jsonValue]),
                            objectName: "X509KeyPair", values: values, now: now)
        }
        return try Self.object(X509KeyPair.self, row)
    }

    /// Magnum raises `X509KeyPairNotFound(x509keypair_id)` positionally here: the message is the
    /// identifier itself.
    public func destroyX509KeyPair(_ identity: ObjectIdentity) async throws {
        let q = query(MagnumSchema.x509KeyPair)
        let condition = try Self.identity(q, identity)
        try await database.write { conn in
            if try q.delete(conn, where: condition) != 1 {
                throw MagnumError("X509KeyPairNotFound", message: identity.description)
            }
        }
    }
}
