import Foundation
import JSON
import MagnumObjects

extension Timestamp {
    /// The current time (what `timeutils.utcnow()` returns).
    static func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
    }
}

/// Converts between object field primitives (what `VersionedObject` holds) and SQL values, the
/// way Magnum's SQLAlchemy column types do.
struct ColumnCodec {
    let dialect: SQLDialect

    /// A datetime as the dialect stores it: SQLAlchemy's SQLite `DATETIME` text always has six
    /// fractional digits; MariaDB's `datetime` keeps whole seconds (fractions are truncated,
    /// as MariaDB itself does).
    func datetimeText(_ t: Timestamp) -> String {
        switch dialect {
        case .sqlite:
            let text = t.sqlFormat
            return text.contains(".") ? text : text + ".000000"
        case .mariadb:
            return t.truncatedToSeconds.sqlFormat
        }
    }

    /// The SQL value for a field primitive written to `column` (bind processing). `null` on a
    /// JSON column is stored as `{}` / `[]`, as `JsonEncodedType.process_bind_param` does.
    func encode(_ value: JSONValue, for column: ColumnSpec, table: String) throws(StoreError) -> SQLValue {
        if value.isNull {
            switch column.type {
            case .jsonDict: return .text("{}")
            case .jsonList: return .text("[]")
            default: return .null
            }
        }
        switch column.type {
        case .integer:
            switch value {
            case .int(let i): return .integer(i)
            case .bool(let b): return .integer(b ? 1 : 0)
            case .double(let d) where d.isFinite: return .integer(Int64(d.rounded(.towardZero)))
            case .string(let s): return Int64(s).map { .integer($0) } ?? .text(s)
            default: break
            }
        case .string, .text:
            switch value {
            case .string(let s): return .text(s)
            case .int(let i): return .text(String(i))
            case .double: return .text(value.jsonString())
            case .bool(let b): return .text(b ? "True" : "False")
            default: break
            }
        case .boolean:
            switch value {
            case .bool(let b): return .integer(b ? 1 : 0)
            case .int(let i): return .integer(i == 0 ? 0 : 1)
            default: break
            }
        case .dateTime:
            if case .string(let s) = value, let t = Timestamp(parsing: s) { return .text(datetimeText(t)) }
        case .jsonDict:
            guard case .object = value else {
                throw StoreError(.invalidFilter, "JSONEncodedDict supposes to store dict objects, but \(value.pythonTypeName) given", table: table)
            }
            return .text(value.jsonString(.python))
        case .jsonList:
            guard case .array = value else {
                throw StoreError(.invalidFilter, "JSONEncodedList supposes to store list objects, but \(value.pythonTypeName) given", table: table)
            }
            return .text(value.jsonString(.python))
        }
        throw StoreError(.invalidFilter, "\(table).\(column.name) cannot hold a \(value.pythonTypeName) (\(value.jsonString()))", table: table)
    }

    /// The field primitive for a stored value (result processing).
    func decode(_ value: SQLValue, for column: ColumnSpec, table: String) throws(StoreError) -> JSONValue {
        if case .null = value { return .null }
        func corrupt() -> StoreError {
            StoreError(.corruptRow, "\(table).\(column.name) holds a value Magnum cannot read: \(value)", table: table)
        }
        switch column.type {
        case .integer:
            switch value {
            case .integer(let i): return .int(i)
            case .double(let d): return .int(Int64(d))
            case .text(let s):
                if let i = Int64(s) { return .int(i) }
                if let d = Double(s), d.rounded() == d { return .int(Int64(d)) }
                throw corrupt()
            case .null: return .null
            }
        case .string, .text:
            switch value {
            case .text(let s): return .string(s)
            case .integer(let i): return .string(String(i))
            case .double(let d): return .string(String(d))
            case .null: return .null
            }
        case .boolean:
            switch value {
            case .integer(let i): return .bool(i != 0)
            case .text(let s): return .bool(s != "0" && !s.isEmpty)
            case .double(let d): return .bool(d != 0)
            case .null: return .null
            }
        case .dateTime:
            guard case .text(let s) = value, let t = Timestamp(parsing: s) else { throw corrupt() }
            return .string(t.isoPrimitive)
        case .jsonDict, .jsonList:
            guard case .text(let s) = value, let parsed = try? JSONValue(parsing: s) else { throw corrupt() }
            return parsed
        }
    }

    /// The Python-side default for an INSERT that leaves `column` out or sets it to `None`.
    func defaultValue(_ d: ColumnDefault, now: Timestamp) -> JSONValue {
        switch d {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .now: return .string(now.isoPrimitive)
        }
    }
}
