import CSQLite

/// One open SQLite database connection: prepared statements only (values are always bound, never
/// spliced into SQL), a small cache of prepared statements, and SQLite's error codes surfaced as
/// `SQLiteError`.
///
/// Not thread-safe and not `Sendable`: use it from one thread at a time. `SQLiteDatabase` owns one
/// on a dedicated thread for async callers.
public final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var statementOrder: [String] = []
    private let statementCacheSize = 128
    public let path: String

    /// How the database file is opened.
    public enum Mode: Sendable {
        case readWriteCreate
        case readWrite
        case readOnly
    }

    /// Opens (creating when `mode` allows) the database at `path`; `":memory:"` is a private
    /// in-memory database. `busyTimeout` is how long a statement waits for another connection's
    /// lock before failing with `SQLITE_BUSY`.
    public init(path: String, mode: Mode = .readWriteCreate, busyTimeout: Duration = .seconds(10)) throws(SQLiteError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc & 0xFF, extendedCode: rc, message: "\(message): \(path)", sql: nil)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: ms))
    }

    deinit { close() }

    /// Finalises cached statements and closes the connection. Further use throws.
    public func close() {
        for (_, statement) in statements { sqlite3_finalize(statement) }
        statements.removeAll()
        statementOrder.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func db(_ sql: String?) throws(SQLiteError) -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: 21, extendedCode: 21, message: "the connection to \(path) is closed", sql: sql)  // SQLITE_MISUSE
        }
        return handle
    }

    private func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? rc
        return SQLiteError(code: extended & 0xFF, extendedCode: extended, message: message, sql: sql)
    }

    /// Runs SQL text that may hold several statements and takes no parameters (schema DDL,
    /// `PRAGMA`s, `BEGIN`/`COMMIT`).
    public func executeScript(_ sql: String) throws(SQLiteError) {
        let db = try db(sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            let extended = sqlite3_extended_errcode(db)
            throw SQLiteError(code: extended & 0xFF, extendedCode: extended, message: message, sql: sql)
        }
    }

    /// A prepared statement for `sql`, from the cache when it was prepared before.
    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        let db = try db(sql)
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, sql) }
        if statementOrder.count >= statementCacheSize {
            let oldest = statementOrder.removeFirst()
            if let old = statements.removeValue(forKey: oldest) { sqlite3_finalize(old) }
        }
        statements[sql] = statement
        statementOrder.append(sql)
        return statement
    }

    private func bind(_ statement: OpaquePointer, _ values: [SQLiteValue], _ sql: String) throws(SQLiteError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == values.count else {
            throw SQLiteError(code: 25, extendedCode: 25,  // SQLITE_RANGE
                              message: "statement takes \(expected) parameters, \(values.count) given", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let i): rc = sqlite3_bind_int64(statement, index, i)
            case .real(let d): rc = sqlite3_bind_double(statement, index, d)
            case .text(let s):
                var s = s
                rc = s.withUTF8 { buffer -> Int32 in
                    guard let base = buffer.baseAddress, buffer.count > 0 else {
                        return csqlite_bind_text_transient(statement, index, "", 0)  // '' is not NULL
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        csqlite_bind_text_transient(statement, index, $0, Int32(buffer.count))
                    }
                }
            case .blob(let bytes) where bytes.isEmpty:
                rc = sqlite3_bind_zeroblob(statement, index, 0)  // an empty blob is not NULL
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes {
                    csqlite_bind_blob_transient(statement, index, $0.baseAddress, Int32($0.count))
                }
            }
            if rc != SQLITE_OK { throw error(rc, sql) }
        }
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    /// Runs one statement with `values` bound to its `?` parameters and returns every row.
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteRows {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(statement, values, sql)
        let count = sqlite3_column_count(statement)
        var columns: [String] = []
        columns.reserveCapacity(Int(count))
        for i in 0..<count { columns.append(sqlite3_column_name(statement, i).map { String(cString: $0) } ?? "") }
        var rows: [[SQLiteValue]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(count))
            for i in 0..<count { row.append(column(statement, i)) }
            rows.append(row)
        }
        return SQLiteRows(columns: columns, rows: rows)
    }

    /// Runs one data-changing statement with `values` bound and says what it changed.
    @discardableResult
    public func execute(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteChanges {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(statement, values, sql)
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
        }
        let db = try db(sql)
        return SQLiteChanges(changedRows: Int(sqlite3_changes64(db)), lastInsertRowID: sqlite3_last_insert_rowid(db))
    }

    /// Whether a transaction is open (`BEGIN` without `COMMIT`/`ROLLBACK` yet).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Runs `body` in a transaction: `BEGIN IMMEDIATE` (takes the write lock up front, so two
    /// writers wait for each other instead of failing half way), `COMMIT` when it returns,
    /// `ROLLBACK` when it throws.
    @discardableResult
    public func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try executeScript("BEGIN IMMEDIATE")
        do {
            let result = try body(self)
            try executeScript("COMMIT")
            return result
        } catch {
            if isInTransaction { try? executeScript("ROLLBACK") }
            throw error
        }
    }

    /// The SQLite library version, e.g. "3.40.1".
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
