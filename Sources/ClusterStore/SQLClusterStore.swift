import Foundation
import JSON
public import MagnumObjects

/// The `ClusterStore` over SQL: one implementation of Magnum's database API for both backends.
/// What differs between SQLite and MariaDB (quoting, row locks, datetime text, schema ownership)
/// lives in `SQLDialect`, `ColumnCodec` and the backends.
public struct SQLClusterStore<Database: SQLDatabase>: ClusterStore {
    public let database: Database
    let clock: @Sendable () -> Timestamp

    public init(database: Database) {
        self.init(database: database, clock: { Timestamp.now() })
    }

    /// A store whose `created_at` / `updated_at` / `last_seen_up` come from `clock` (the replay
    /// tool's virtual time) instead of the wall clock.
    public init(database: Database, clock: @escaping @Sendable () -> Timestamp) {
        self.database = database
        self.clock = clock
    }

    public var dialect: SQLDialect { database.dialect }

    func query(_ table: TableSpec) -> TableQuery { TableQuery(table: table, dialect: database.dialect) }

    public func close() async { await database.close() }

    // MARK: Objects from rows

    /// `_from_db_object`: every field from its column (through the field's coercion, as
    /// `obj[field] = db_obj[field]` does), changes reset. Lazy fields (`cluster_template`) stay unset.
    static func object<T: MagnumObject>(_ type: T.Type, _ row: Row) throws(ObjectError) -> T {
        var base = VersionedObject(schema: T.schema)
        for spec in T.schema.fields {
            guard let value = row[spec.name] else { continue }
            try base.setValue(value, for: spec.name)
        }
        base.resetChanges()
        return T(unchecked: base)
    }

    static func objects<T: MagnumObject>(_ type: T.Type, _ rows: [Row]) throws(ObjectError) -> [T] {
        var out: [T] = []
        out.reserveCapacity(rows.count)
        for row in rows { out.append(try object(type, row)) }
        return out
    }

    /// Coerces `values` with the object's field rules; keys that are not fields pass through
    /// (and are ignored later unless they are columns).
    static func coerce(_ values: JSONObject, _ schema: ObjectSchema) throws(ObjectError) -> JSONObject {
        var out = JSONObject(minimumCapacity: values.count)
        for (key, value) in values {
            if let spec = schema.field(key) {
                out[key] = try spec.coerce(value, objectName: schema.name)
            } else {
                out[key] = value
            }
        }
        return out
    }

    // MARK: Writes

    /// `session.add(Model(**values)); session.flush()`: columns given a non-null value get it;
    /// the others get their Python-side default (`created_at`, booleans, `report_count`), JSON
    /// columns get `{}`/`[]` and the rest NULL. Returns the row as the ORM object holds it
    /// afterwards (values as given, defaults applied, `None` elsewhere — also for JSON columns,
    /// though the database holds `{}`), with the new `id`.
    static func insert(_ connection: any SQLConnection, _ q: TableQuery, _ values: JSONObject, now: Timestamp) throws -> Row {
        var row = Row(minimumCapacity: q.table.columns.count)
        var names: [String] = []
        var binds: [SQLValue] = []
        for column in q.table.columns {
            let given = values[column.name].flatMap { $0.isNull ? nil : $0 }
            if column.primaryKey {
                if let given {
                    row[column.name] = given
                    names.append(q.q(column.name))
                    binds.append(try q.codec.encode(given, for: column, table: q.table.name))
                }
                continue
            }
            if let given {
                row[column.name] = given
                binds.append(try q.codec.encode(given, for: column, table: q.table.name))
            } else if let d = column.defaultValue {
                if d == .now {
                    row[column.name] = .string(now.isoPrimitive)
                    binds.append(.text(q.codec.datetimeText(now)))
                } else {
                    let v = q.codec.defaultValue(d, now: now)
                    row[column.name] = v
                    binds.append(try q.codec.encode(v, for: column, table: q.table.name))
                }
            } else if column.type.isJSON {
                row[column.name] = .null
                binds.append(try q.codec.encode(.null, for: column, table: q.table.name))
            } else {
                row[column.name] = .null
                continue
            }
            names.append(q.q(column.name))
        }
        let sql = "INSERT INTO \(q.q(q.table.name)) (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: binds.count).joined(separator: ", ")))"
        let changes = try connection.execute(sql, binds)
        if row["id"] == nil { row["id"] = .int(changes.lastInsertID) }
        return row
    }

    /// Whether SQLAlchemy sees `new` as a change of a loaded `old` value. Datetimes given by an
    /// object are time-zone aware and never equal the naive loaded ones.
    static func differs(_ old: JSONValue, _ new: JSONValue, _ type: ColumnType) -> Bool {
        if type == .dateTime { return new.isNull ? !old.isNull : true }
        return old != new
    }

    /// `ref = query.with_for_update().one(); ref.update(values)` then flush: writes the columns
    /// whose value changed and, when any did, `updated_at` (SQLAlchemy's `onupdate`) unless
    /// `updated_at` itself was given. Returns the row as the ORM object holds it afterwards.
    /// `prepare` sees the loaded row first (Magnum's checks, `last_seen_up`).
    static func update(_ connection: any SQLConnection, _ q: TableQuery, where condition: Condition,
                       notFound: @autoclosure () -> MagnumError, objectName: String, values: JSONObject, now: Timestamp,
                       prepare: ((Row, inout JSONObject) throws -> Void)? = nil) throws -> Row {
        var row = try q.one(connection, where: condition, notFound: notFound(), lock: true)
        var values = values
        try prepare?(row, &values)
        if let newID = values["id"], !newID.isNull, newID != row["id"] {
            throw MagnumError.invalidParameterValue("Cannot overwrite ID for an existing \(objectName).")
        }
        var sets: [String] = []
        var binds: [SQLValue] = []
        var updatedAtGiven = false
        for (key, value) in values {
            guard let column = q.table.column(key), !column.primaryKey else { continue }
            let old = row[key] ?? .null
            if differs(old, value, column.type) {
                sets.append("\(q.q(key)) = ?")
                binds.append(try q.codec.encode(value, for: column, table: q.table.name))
                if key == "updated_at" { updatedAtGiven = true }
            }
            row[key] = value
        }
        guard !sets.isEmpty else { return row }
        if !updatedAtGiven {
            sets.append("\(q.q("updated_at")) = ?")
            binds.append(.text(q.codec.datetimeText(now)))
            row["updated_at"] = .string(now.isoPrimitive)
        }
        guard case .int(let id)? = row["id"] else { return row }
        binds.append(.integer(id))
        try connection.execute("UPDATE \(q.q(q.table.name)) SET \(sets.joined(separator: ", ")) WHERE \(q.q("id")) = ?", binds)
        return row
    }

    /// `add_identity_filter`: by `id` or by `uuid`.
    static func identity(_ q: TableQuery, _ identity: ObjectIdentity) throws(StoreError) -> Condition {
        switch identity {
        case .id(let id): return try q.equals("id", .int(Int64(id)))
        case .uuid(let uuid): return try q.equals("uuid", .string(uuid))
        }
    }

    /// Magnum's `if not values.get('uuid'): values['uuid'] = uuidutils.generate_uuid()`.
    static func withUUID(_ values: JSONObject) -> JSONObject {
        var values = values
        if !(values["uuid"]?.pythonTruthiness ?? false) {
            values["uuid"] = .string(UUID().uuidString.lowercased())
        }
        return values
    }

    /// Runs `body` in a write transaction; a duplicate key becomes `duplicate`.
    func write<T: Sendable>(duplicate: @escaping @Sendable () -> MagnumError,
                            _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await database.write(body)
        } catch let error as StoreError where error.kind == .duplicateEntry {
            throw duplicate()
        }
    }
}
