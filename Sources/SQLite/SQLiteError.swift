/// An error SQLite reported, with its (extended) result code so callers can tell a unique
/// constraint from a busy database, and the statement it happened in. Bound values are never
/// included: they may be secrets.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The primary result code (`SQLITE_CONSTRAINT` = 19, `SQLITE_BUSY` = 5, ...).
    public let code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE` = 2067, ...).
    public let extendedCode: Int32
    /// `sqlite3_errmsg` (e.g. "UNIQUE constraint failed: cluster.uuid").
    public let message: String
    /// The SQL being run, when there was one.
    public let sql: String?

    public init(code: Int32, extendedCode: Int32, message: String, sql: String?) {
        self.code = code
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// A UNIQUE or PRIMARY KEY constraint failed (oslo.db's `DBDuplicateEntry`).
    public var isUniqueViolation: Bool {
        extendedCode == 2067 || extendedCode == 1555  // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
    }

    /// Another connection holds the lock longer than the busy timeout.
    public var isBusy: Bool { code == 5 || code == 6 }  // SQLITE_BUSY, SQLITE_LOCKED

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}
