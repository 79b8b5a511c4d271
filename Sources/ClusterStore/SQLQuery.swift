import JSON
import MagnumObjects

/// A SQL boolean expression with its bound values, built from Magnum's query pieces
/// (`filter_by`, `in_`, tenant filters, marker criteria).
struct Condition: Sendable {
    var sql: String
    var values: [SQLValue]

    init(_ sql: String, _ values: [SQLValue] = []) {
        self.sql = sql
        self.values = values
    }

    static let always = Condition("1 = 1")
    static let never = Condition("1 = 0")

    static func && (lhs: Condition, rhs: Condition) -> Condition {
        if lhs.sql == always.sql { return rhs }
        if rhs.sql == always.sql { return lhs }
        return Condition("(\(lhs.sql)) AND (\(rhs.sql))", lhs.values + rhs.values)
    }

    static func || (lhs: Condition, rhs: Condition) -> Condition {
        Condition("(\(lhs.sql)) OR (\(rhs.sql))", lhs.values + rhs.values)
    }

    static func any(_ conditions: [Condition]) -> Condition? {
        guard var result = conditions.first else { return nil }
        for c in conditions.dropFirst() { result = result || c }
        return result
    }
}

/// A decoded row: column name → field primitive.
typealias Row = [String: JSONValue]

/// SQL text and decoding for one table in one dialect.
struct TableQuery {
    let table: TableSpec
    let dialect: SQLDialect
    var codec: ColumnCodec { ColumnCodec(dialect: dialect) }

    func q(_ name: String) -> String { dialect.quote(name) }

    var selectList: String { table.columns.map { q($0.name) }.joined(separator: ", ") }

    func column(_ name: String) throws(StoreError) -> ColumnSpec {
        guard let c = table.column(name) else {
            throw StoreError(.invalidFilter, "Entity namespace for \"\(table.name)\" has no property \"\(name)\"", table: table.name)
        }
        return c
    }

    /// `filter_by(column=value)`: `IS NULL` for `None`, equality with the bound value otherwise.
    func equals(_ name: String, _ value: JSONValue) throws(StoreError) -> Condition {
        let c = try column(name)
        if value.isNull { return Condition("\(q(name)) IS NULL") }
        return Condition("\(q(name)) = ?", [try codec.encode(value, for: c, table: table.name)])
    }

    func equals(_ name: String, _ value: String?) throws(StoreError) -> Condition {
        try equals(name, JSONValue(value))
    }

    /// `column.in_(values)`; an empty list matches nothing, as SQLAlchemy renders it.
    func isIn(_ name: String, _ value: JSONValue) throws(StoreError) -> Condition {
        let c = try column(name)
        guard case .array(let items) = value else {
            throw StoreError(.invalidFilter,
                             "IN expression list, SELECT construct, or bound parameter object expected, got \(PythonFormat.repr(value)).",
                             table: table.name)
        }
        if items.isEmpty { return .never }
        var binds: [SQLValue] = []
        for item in items { binds.append(try codec.encode(item, for: c, table: table.name)) }
        return Condition("\(q(name)) IN (\(Array(repeating: "?", count: binds.count).joined(separator: ", ")))", binds)
    }

    /// `_add_tenant_filters`: everything for an admin asking for all tenants, else the
    /// context's project, else (no project) its user.
    func tenant(_ context: StoreContext) throws(StoreError) -> Condition {
        if context.isAdmin && context.allTenants { return .always }
        if let project = context.projectId, !project.isEmpty { return try equals("project_id", project) }
        return try equals("user_id", context.userId)
    }

    /// The `filter_by(**{k: filters[k] for k in possible if k in filters})` part.
    func filters(_ filters: JSONObject, allowed: [String]) throws(StoreError) -> Condition {
        var result = Condition.always
        for key in allowed {
            guard let value = filters[key] else { continue }
            result = result && (try equals(key, value))
        }
        return result
    }

    /// `paginate_query(query, model, limit, [sort_key, 'id'], marker, sort_dir)` with Magnum's
    /// `_paginate_query` error for an unknown sort key.
    func page(_ options: ListOptions) throws -> (orderBy: String, marker: Condition?, limit: Int?) {
        var sortKeys = ["id"]
        if let key = options.sortKey, !key.isEmpty, key != "id" { sortKeys.insert(key, at: 0) }
        let direction = options.sortDirection ?? "asc"
        let parts = direction.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let main = String(parts[0])
        let nulls = parts.count > 1 ? String(parts[1]) : ""
        var columns: [ColumnSpec] = []
        var order: [String] = []
        for key in sortKeys {
            guard let c = table.column(key) else {
                // Magnum passes the message positionally here: kwargs hold only the code.
                throw MagnumError("InvalidParameterValue", message: "The sort_key value \"\(options.sortKey ?? key)\" is an invalid field for sorting")
            }
            guard ["asc", "desc"].contains(main), ["", "nullsfirst", "nullslast"].contains(nulls) else {
                throw StoreError(.invalidSortDirection,
                                 "Unknown sort direction, must be one of: asc-nullsfirst, asc-nullslast, desc-nullsfirst, desc-nullslast",
                                 table: table.name)
            }
            columns.append(c)
            if nulls == "nullsfirst" { order.append("(\(q(key)) IS NULL) DESC") }
            if nulls == "nullslast" { order.append("(\(q(key)) IS NOT NULL) DESC") }
            order.append("\(q(key)) \(main.uppercased())")
        }
        var markerCondition: Condition?
        if let marker = options.marker {
            var markerValues: [JSONValue] = []
            for key in sortKeys {
                guard let value = marker[key] else {
                    throw MagnumError("InvalidParameterValue", message: "The marker \(marker.name) has no value for the sort key \(key)")
                }
                markerValues.append(value)
            }
            var criteria: [Condition] = []
            for i in sortKeys.indices where !markerValues[i].isNull {
                var crit = Condition.always
                for j in 0..<i where !markerValues[j].isNull {
                    crit = crit && Condition("\(q(sortKeys[j])) = ?", [try codec.encode(markerValues[j], for: columns[j], table: table.name)])
                }
                let bound = try codec.encode(markerValues[i], for: columns[i], table: table.name)
                var compare: Condition
                if main == "desc" {
                    compare = Condition("\(q(sortKeys[i])) < ?", [bound])
                    if nulls == "nullsfirst" { compare = compare || Condition("\(q(sortKeys[i])) IS NULL") }
                } else {
                    compare = Condition("\(q(sortKeys[i])) > ?", [bound])
                    if nulls == "nullslast" { compare = compare || Condition("\(q(sortKeys[i])) IS NULL") }
                }
                criteria.append(crit && compare)
            }
            markerCondition = Condition.any(criteria)
        }
        return (order.joined(separator: ", "), markerCondition, options.limit)
    }

    func decode(_ values: [SQLValue]) throws(StoreError) -> Row {
        var row = Row(minimumCapacity: table.columns.count)
        for (i, c) in table.columns.enumerated() where i < values.count {
            row[c.name] = try codec.decode(values[i], for: c, table: table.name)
        }
        return row
    }

    /// `SELECT <all model columns> FROM table WHERE ...`.
    func select(_ connection: any SQLConnection, where condition: Condition, orderBy: String? = nil,
                limit: Int? = nil, lock: Bool = false) throws -> [Row] {
        var sql = "SELECT \(selectList) FROM \(q(table.name)) WHERE \(condition.sql)"
        var values = condition.values
        if let orderBy, !orderBy.isEmpty { sql += " ORDER BY \(orderBy)" }
        if let limit {
            sql += " LIMIT ?"
            values.append(.integer(Int64(limit)))
        }
        if lock { sql += dialect.forUpdate }
        return try connection.query(sql, values).rows.map { (r: [SQLValue]) throws(StoreError) -> Row in try decode(r) }
    }

    /// Paged list: `condition`, then the marker criteria, ordered and limited.
    func list(_ connection: any SQLConnection, where condition: Condition, options: ListOptions) throws -> [Row] {
        let page = try page(options)
        var condition = condition
        if let marker = page.marker { condition = condition && marker }
        return try select(connection, where: condition, orderBy: page.orderBy, limit: page.limit)
    }

    /// `query.one()`: the single matching row, `notFound` when none, `multiple` (or the first
    /// row when nil) when several.
    func one(_ connection: any SQLConnection, where condition: Condition, notFound: @autoclosure () -> MagnumError,
             multiple: MagnumError? = nil, lock: Bool = false) throws -> Row {
        let rows = try select(connection, where: condition, limit: 2, lock: lock)
        guard let first = rows.first else { throw notFound() }
        if rows.count > 1, let multiple { throw multiple }
        return first
    }

    func count(_ connection: any SQLConnection, where condition: Condition) throws -> Int {
        let rows = try connection.query("SELECT COUNT(*) FROM \(q(table.name)) WHERE \(condition.sql)", condition.values).rows
        guard case .integer(let n)? = rows.first?.first else { return 0 }
        return Int(n)
    }

    func delete(_ connection: any SQLConnection, where condition: Condition) throws -> Int {
        try connection.execute("DELETE FROM \(q(table.name)) WHERE \(condition.sql)", condition.values).affectedRows
    }
}
