/// The SQL dialects the store speaks. Differences are kept here and in `SQLDialect` helpers:
/// identifier quoting, row locking, datetime text.
public enum SQLDialect: String, Sendable {
    case sqlite
    case mariadb

    /// `"name"` for SQLite, `` `name` `` for MariaDB (Magnum has a column called `binary`).
    public func quote(_ identifier: String) -> String {
        switch self {
        // Column names never hold the quote character: the common case skips the search-and-replace
        // (it showed up in the status sync profile, once per column of every query).
        case .sqlite:
            return identifier.utf8.contains(UInt8(ascii: "\"")) ? "\"" + identifier.replacing("\"", with: "\"\"") + "\"" : "\"" + identifier + "\""
        case .mariadb:
            return identifier.utf8.contains(UInt8(ascii: "`")) ? "`" + identifier.replacing("`", with: "``") + "`" : "`" + identifier + "`"
        }
    }

    /// `FOR UPDATE` where row locks exist (SQLite locks the whole database on `BEGIN IMMEDIATE`).
    var forUpdate: String {
        switch self {
        case .sqlite: return ""
        case .mariadb: return " FOR UPDATE"
        }
    }
}

/// A value bound to or read from SQL.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .text(let s): return "'\(s)'"
        }
    }
}

/// Rows a query returned.
public struct SQLRows: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// What a data-changing statement did.
public struct SQLChanges: Sendable, Equatable {
    public let affectedRows: Int
    public let lastInsertID: Int64

    public init(affectedRows: Int, lastInsertID: Int64) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
    }
}

/// One database connection, used synchronously on the database's own thread inside
/// `SQLDatabase.read`/`write`. Values are always bound to `?` parameters.
///
/// A unique-key violation is thrown as `StoreError` of kind `.duplicateEntry`; other errors may
/// be the backend's own (a lost MariaDB connection must reach the pool as it is, so the pool can
/// reconnect and retry) and are turned into `StoreError` by `SQLDatabase.read`/`write`. Code in
/// a body should catch only what it handles and let the rest through.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    func query(_ sql: String, _ values: [SQLValue]) throws -> SQLRows
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue]) throws -> SQLChanges
}

/// A database the store runs SQL on: SQLite embedded or a MariaDB pool. `write` is one
/// transaction, rolled back when its body throws. Also the place the worker's own tables
/// (`capi_worker_*`, see `WorkerSchema`) get their SQL run.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` for reading (no transaction needed for a single statement).
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// Runs `body` in one transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// Closes connections and threads.
    func close() async
}
