/// A value sent to or read from MariaDB through the binary (prepared statement) protocol.
/// Integer columns (including `tinyint(1)` booleans) read as `.integer`, floating point as
/// `.double`; everything else — strings, `TEXT`, `DATETIME`, `DECIMAL` — reads as `.text` in
/// MariaDB's own text form ("2026-11-25 00:01:42").
public enum MariaDBValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var integerValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .text(let s): return Int64(s)
        default: return nil
        }
    }

    public var textValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .text(let s): return "'\(s)'"
        case .bytes(let b): return "<\(b.count) bytes>"
        }
    }
}

/// The rows a query returned, with the column names in select order.
public struct MariaDBRows: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[MariaDBValue]]

    public init(columns: [String], rows: [[MariaDBValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// What a data-changing statement did.
public struct MariaDBChanges: Sendable, Equatable {
    /// Rows matched by an UPDATE (the connection uses CLIENT_FOUND_ROWS, as SQLAlchemy does),
    /// inserted or deleted.
    public let affectedRows: Int
    /// `LAST_INSERT_ID()` of an INSERT into an AUTO_INCREMENT table.
    public let lastInsertID: Int64
}
