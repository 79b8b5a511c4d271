/// A value SQLite stores: its five storage classes.
public enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var integerValue: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var textValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .text(let s): return "'\(s)'"
        case .blob(let b): return "<\(b.count) bytes>"
        }
    }
}

/// The rows a query returned, with the column names in select order.
public struct SQLiteRows: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[SQLiteValue]]

    public init(columns: [String], rows: [[SQLiteValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// What a data-changing statement did.
public struct SQLiteChanges: Sendable, Equatable {
    /// Rows inserted, updated or deleted by the statement (`sqlite3_changes`).
    public let changedRows: Int
    /// The rowid of the last inserted row on this connection (`sqlite3_last_insert_rowid`).
    public let lastInsertRowID: Int64
}
