import CMariaDB

/// `mysql_library_init` must run once, before any thread uses the library.
private let libraryInitialised: Bool = {
    mysql_server_init(0, nil, nil) == 0
}()

/// One connection to MariaDB through Connector/C. Every statement that carries values goes
/// through the binary protocol (`mysql_stmt_prepare` / `mysql_stmt_execute` with bound
/// parameters): values are never spliced into SQL text. Only fixed control statements
/// (`START TRANSACTION`, `COMMIT`, `ROLLBACK`, session setup) use the text protocol.
///
/// Blocking and not thread-safe: use it from one thread (`MariaDBPool` gives each connection its
/// own). Library auto-reconnect is off; a lost connection surfaces as an error whose
/// `isConnectionLost` is true and `reconnect()` opens a new one.
public final class MariaDBConnection {
    private var mysql: UnsafeMutablePointer<MYSQL>?
    public let options: MariaDBOptions
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    private var statementOrder: [String] = []
    private let statementCacheSize = 64

    /// Statements that may change data, sent since `beginUnitOfWork()` (a failed one counts: it
    /// may have been applied before the connection broke).
    public private(set) var writesInUnit = 0
    /// A transaction was started and not yet committed or rolled back.
    public private(set) var inTransaction = false
    /// When the connection was (re)opened, in `ContinuousClock` time.
    public private(set) var openedAt: ContinuousClock.Instant

    public init(options: MariaDBOptions) throws(MariaDBError) {
        self.options = options
        self.openedAt = .now
        try connect()
    }

    deinit { close() }

    public var isOpen: Bool { mysql != nil }

    private func connect() throws(MariaDBError) {
        guard libraryInitialised else {
            throw MariaDBError(kind: .usage, message: "the MariaDB client library could not be initialised")
        }
        guard let m = mysql_init(nil) else {
            throw MariaDBError(kind: .connection, code: 2008, message: "out of memory creating a MariaDB connection")
        }
        var ok = true
        var timeout = UInt32(clamping: max(1, options.connectTimeout))
        ok = ok && mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) == 0
        if let read = options.readTimeout {
            var t = UInt32(clamping: max(1, read))
            ok = ok && mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t) == 0
        }
        if let write = options.writeTimeout {
            var t = UInt32(clamping: max(1, write))
            ok = ok && mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t) == 0
        }
        var noReconnect: my_bool = 0
        ok = ok && mysql_options(m, MYSQL_OPT_RECONNECT, &noReconnect) == 0
        ok = ok && mysql_options(m, MYSQL_SET_CHARSET_NAME, options.charset) == 0
        if let tls = options.tls {
            if let ca = tls.caFile { ok = ok && mysql_options(m, MYSQL_OPT_SSL_CA, ca) == 0 }
            if let cert = tls.certificateFile { ok = ok && mysql_options(m, MYSQL_OPT_SSL_CERT, cert) == 0 }
            if let key = tls.keyFile { ok = ok && mysql_options(m, MYSQL_OPT_SSL_KEY, key) == 0 }
            if let cipher = tls.cipher { ok = ok && mysql_options(m, MYSQL_OPT_SSL_CIPHER, cipher) == 0 }
            var enforce: my_bool = 1
            ok = ok && mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &enforce) == 0
            var verify: my_bool = tls.verifyServerCertificate ? 1 : 0
            ok = ok && mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify) == 0
        }
        guard ok else {
            mysql_close(m)
            throw MariaDBError(kind: .usage, message: "the MariaDB client library rejected a connection option (\(options))")
        }
        let flags = UInt(CLIENT_FOUND_ROWS)
        let connected = mysql_real_connect(
            m, options.unixSocket == nil ? options.host : nil, options.user, options.password,
            options.database, UInt32(clamping: options.port), options.unixSocket, flags)
        guard connected != nil else {
            let error = Self.error(of: m, sql: nil)
            mysql_close(m)
            throw MariaDBError(kind: Self.isTLSFailure(error) ? .tls : .connection, code: error.code,
                               sqlState: error.sqlState, message: "cannot connect to \(options): \(error.message)")
        }
        mysql = m
        openedAt = .now
        writesInUnit = 0
        inTransaction = false
        if let mode = options.sqlMode {
            // A constant from configuration, not user data; quoted defensively.
            var quoted = ""
            for c in mode where c != "'" && c != "\\" { quoted.append(c) }
            try control("SET SESSION sql_mode = '\(quoted)'")
        }
    }

    private static func isTLSFailure(_ error: MariaDBError) -> Bool {
        let text = error.message.lowercased()
        return error.code == 2026 || text.contains("tls") || text.contains("ssl") || text.contains("certificate")
    }

    private static func error(of m: UnsafeMutablePointer<MYSQL>, sql: String?) -> MariaDBError {
        let code = mysql_errno(m)
        let state = String(cString: mysql_sqlstate(m))
        let message = String(cString: mysql_error(m))
        let kind: MariaDBError.Kind = MariaDBError.connectionLostCodes.contains(code) ? .connection : .server
        return MariaDBError(kind: kind, code: code, sqlState: state, message: message, sql: sql)
    }

    private static func error(of stmt: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> MariaDBError {
        let code = mysql_stmt_errno(stmt)
        let state = String(cString: mysql_stmt_sqlstate(stmt))
        let message = String(cString: mysql_stmt_error(stmt))
        let kind: MariaDBError.Kind = MariaDBError.connectionLostCodes.contains(code) ? .connection : .server
        return MariaDBError(kind: kind, code: code, sqlState: state, message: message, sql: sql)
    }

    private func handle(_ sql: String?) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL> {
        guard let mysql else {
            throw MariaDBError(kind: .connection, code: 2006, message: "the connection to \(options) is closed", sql: sql)
        }
        return mysql
    }

    /// Closes the connection (and its prepared statements).
    public func close() {
        for (_, stmt) in statements { mysql_stmt_close(stmt) }
        statements.removeAll()
        statementOrder.removeAll()
        if let mysql { mysql_close(mysql) }
        mysql = nil
        inTransaction = false
    }

    /// Drops the current connection, whatever its state, and opens a new one.
    public func reconnect() throws(MariaDBError) {
        close()
        try connect()
    }

    /// Marks the start of a unit of work whose retry safety is judged by `writesInUnit`.
    public func beginUnitOfWork() { writesInUnit = 0 }

    /// Runs a fixed control statement over the text protocol. Never pass user data here.
    private func control(_ sql: String) throws(MariaDBError) {
        let m = try handle(sql)
        let rc = sql.withCString { mysql_real_query(m, $0, UInt(sql.utf8.count)) }
        if rc != 0 {
            let error = Self.error(of: m, sql: sql)
            if error.isConnectionLost { close() }
            throw error
        }
        if let result = mysql_store_result(m) { mysql_free_result(result) }
    }

    public func begin() throws(MariaDBError) {
        try control("START TRANSACTION")
        inTransaction = true
    }

    public func commit() throws(MariaDBError) {
        defer { inTransaction = false }
        try control("COMMIT")
    }

    public func rollback() throws(MariaDBError) {
        defer { inTransaction = false }
        try control("ROLLBACK")
    }

    /// `mysql_ping`: whether the server answers on this connection.
    public func ping() -> Bool {
        guard let mysql else { return false }
        return mysql_ping(mysql) == 0
    }

    /// The TLS cipher in use, `nil` on a plain connection.
    public var tlsCipher: String? {
        guard let mysql, let cipher = mysql_get_ssl_cipher(mysql) else { return nil }
        return String(cString: cipher)
    }

    /// The server's version string ("10.11.6-MariaDB-...").
    public var serverVersion: String? {
        guard let mysql, let v = mysql_get_server_info(mysql) else { return nil }
        return String(cString: v)
    }

    // MARK: Prepared statements

    private func prepared(_ sql: String) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL_STMT> {
        if let cached = statements[sql] { return cached }
        let m = try handle(sql)
        guard let stmt = mysql_stmt_init(m) else { throw Self.error(of: m, sql: sql) }
        let rc = sql.withCString { mysql_stmt_prepare(stmt, $0, UInt(sql.utf8.count)) }
        if rc != 0 {
            let error = Self.error(of: stmt, sql: sql)
            mysql_stmt_close(stmt)
            if error.isConnectionLost { close() }
            throw error
        }
        if statementOrder.count >= statementCacheSize {
            let oldest = statementOrder.removeFirst()
            if let old = statements.removeValue(forKey: oldest) { mysql_stmt_close(old) }
        }
        statements[sql] = stmt
        statementOrder.append(sql)
        return stmt
    }

    /// Whether `sql` may change data (anything but SELECT/SHOW/DESCRIBE/EXPLAIN/WITH ...SELECT).
    static func mayWrite(_ sql: String) -> Bool {
        var keyword = ""
        for c in sql.unicodeScalars {
            if c.properties.isWhitespace || c == "(" {
                if keyword.isEmpty { continue } else { break }
            }
            keyword.unicodeScalars.append(c)
            if keyword.count > 10 { break }
        }
        switch keyword.uppercased() {
        case "SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH": return false
        default: return true
        }
    }

    private func execute(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, _ sql: String, _ values: [MariaDBValue]) throws(MariaDBError) {
        let expected = Int(mysql_stmt_param_count(stmt))
        guard expected == values.count else {
            throw MariaDBError(kind: .usage, message: "statement takes \(expected) parameters, \(values.count) given", sql: sql)
        }
        if Self.mayWrite(sql) { writesInUnit += 1 }
        let params = ParameterBuffers(values)
        defer { params.release() }
        if !values.isEmpty, mysql_stmt_bind_param(stmt, params.binds) != 0 {
            throw Self.error(of: stmt, sql: sql)
        }
        if mysql_stmt_execute(stmt) != 0 {
            let error = Self.error(of: stmt, sql: sql)
            if error.isConnectionLost { close() }
            throw error
        }
    }

    /// Runs one statement with `values` bound to its `?` parameters and returns every row.
    public func query(_ sql: String, _ values: [MariaDBValue] = []) throws(MariaDBError) -> MariaDBRows {
        let stmt = try prepared(sql)
        try execute(stmt, sql, values)
        defer { mysql_stmt_free_result(stmt) }
        guard let meta = mysql_stmt_result_metadata(stmt) else {
            return MariaDBRows(columns: [], rows: [])
        }
        defer { mysql_free_result(meta) }
        let count = Int(mysql_num_fields(meta))
        guard let fields = mysql_fetch_fields(meta) else { return MariaDBRows(columns: [], rows: []) }
        var columns: [String] = []
        var kinds: [ResultKind] = []
        for i in 0..<count {
            let field = fields[i]
            columns.append(String(cString: field.name))
            kinds.append(ResultKind(field))
        }
        if mysql_stmt_store_result(stmt) != 0 {
            let error = Self.error(of: stmt, sql: sql)
            if error.isConnectionLost { close() }
            throw error
        }
        let results = ResultBuffers(kinds)
        defer { results.release() }
        if count > 0, mysql_stmt_bind_result(stmt, results.binds) != 0 { throw Self.error(of: stmt, sql: sql) }
        var rows: [[MariaDBValue]] = []
        while true {
            let rc = mysql_stmt_fetch(stmt)
            if rc == MYSQL_NO_DATA { break }
            if rc == 1 {
                let error = Self.error(of: stmt, sql: sql)
                if error.isConnectionLost { close() }
                throw error
            }
            var row: [MariaDBValue] = []
            row.reserveCapacity(count)
            for i in 0..<count {
                row.append(try results.value(at: i, stmt: stmt, sql: sql))
            }
            rows.append(row)
        }
        return MariaDBRows(columns: columns, rows: rows)
    }

    /// Runs one data-changing statement with `values` bound and says what it changed.
    @discardableResult
    public func execute(_ sql: String, _ values: [MariaDBValue] = []) throws(MariaDBError) -> MariaDBChanges {
        let stmt = try prepared(sql)
        try execute(stmt, sql, values)
        defer { mysql_stmt_free_result(stmt) }
        if let meta = mysql_stmt_result_metadata(stmt) {
            // A statement that returned rows: drain them so the connection stays usable.
            mysql_free_result(meta)
            _ = mysql_stmt_store_result(stmt)
        }
        let affected = mysql_stmt_affected_rows(stmt)
        return MariaDBChanges(
            affectedRows: affected == UInt64.max ? 0 : Int(clamping: affected),
            lastInsertID: Int64(clamping: mysql_stmt_insert_id(stmt)))
    }
}

/// How a result column is fetched.
private enum ResultKind {
    case integer(unsigned: Bool)
    case double
    case text
    case bytes

    init(_ field: MYSQL_FIELD) {
        let unsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            self = .integer(unsigned: unsigned)
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            self = .double
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
             MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_GEOMETRY:
            // charsetnr 63 is `binary`: real bytes, not text.
            self = field.charsetnr == 63 ? .bytes : .text
        default:
            self = .text  // DATETIME, DATE, TIME, DECIMAL, JSON, ... in MariaDB's text form
        }
    }
}

/// Parameter bind structures and the memory they point to, alive until `release()`.
private final class ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private var allocations: [UnsafeMutableRawPointer] = []
    private let count: Int

    init(_ values: [MariaDBValue]) {
        count = values.count
        binds = .allocate(capacity: max(1, count))
        binds.initialize(repeating: MYSQL_BIND(), count: max(1, count))
        for (i, value) in values.enumerated() {
            switch value {
            case .null:
                binds[i].buffer_type = MYSQL_TYPE_NULL
            case .integer(let v):
                let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                p.storeBytes(of: v, as: Int64.self)
                allocations.append(p)
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].buffer = p
            case .double(let v):
                let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                p.storeBytes(of: v, as: Double.self)
                allocations.append(p)
                binds[i].buffer_type = MYSQL_TYPE_DOUBLE
                binds[i].buffer = p
            case .text(let s):
                let bytes = Array(s.utf8)
                bind(bytes, at: i, type: MYSQL_TYPE_STRING)
            case .bytes(let bytes):
                bind(bytes, at: i, type: MYSQL_TYPE_BLOB)
            }
        }
    }

    private func bind(_ bytes: [UInt8], at i: Int, type: enum_field_types) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { p.copyMemory(from: base, byteCount: bytes.count) } }
        allocations.append(p)
        binds[i].buffer_type = type
        binds[i].buffer = p
        binds[i].buffer_length = UInt(bytes.count)
        binds[i].length_value = UInt(bytes.count)
        binds[i].length = nil
    }

    func release() {
        for p in allocations { p.deallocate() }
        allocations.removeAll()
        binds.deinitialize(count: max(1, count))
        binds.deallocate()
    }
}

/// Result bind structures: fixed buffers for numbers, lengths only for strings (fetched
/// afterwards with `mysql_stmt_fetch_column` at their exact size).
private final class ResultBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let kinds: [ResultKind]
    private let numbers: UnsafeMutablePointer<Int64>
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>

    init(_ kinds: [ResultKind]) {
        self.kinds = kinds
        let n = max(1, kinds.count)
        binds = .allocate(capacity: n)
        binds.initialize(repeating: MYSQL_BIND(), count: n)
        numbers = .allocate(capacity: n)
        numbers.initialize(repeating: 0, count: n)
        lengths = .allocate(capacity: n)
        lengths.initialize(repeating: 0, count: n)
        nulls = .allocate(capacity: n)
        nulls.initialize(repeating: 0, count: n)
        errors = .allocate(capacity: n)
        errors.initialize(repeating: 0, count: n)
        for (i, kind) in kinds.enumerated() {
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
            binds[i].error = errors + i
            switch kind {
            case .integer(let unsigned):
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].buffer = UnsafeMutableRawPointer(numbers + i)
                binds[i].buffer_length = 8
                binds[i].is_unsigned = unsigned ? 1 : 0
            case .double:
                binds[i].buffer_type = MYSQL_TYPE_DOUBLE
                binds[i].buffer = UnsafeMutableRawPointer(numbers + i)
                binds[i].buffer_length = 8
            case .text, .bytes:
                binds[i].buffer_type = MYSQL_TYPE_STRING
                binds[i].buffer = nil
                binds[i].buffer_length = 0
            }
        }
    }

    func value(at i: Int, stmt: UnsafeMutablePointer<MYSQL_STMT>, sql: String) throws(MariaDBError) -> MariaDBValue {
        if nulls[i] != 0 { return .null }
        switch kinds[i] {
        case .integer(let unsigned):
            let raw = numbers[i]
            if unsigned, raw < 0 { return .text(String(UInt64(bitPattern: raw))) }
            return .integer(raw)
        case .double:
            return .double(UnsafeRawPointer(numbers + i).load(as: Double.self))
        case .text, .bytes:
            let length = Int(lengths[i])
            var bytes = [UInt8](repeating: 0, count: length)
            if length > 0 {
                var column = MYSQL_BIND()
                var fetched: UInt = 0
                var isNull: my_bool = 0
                let rc = bytes.withUnsafeMutableBytes { buffer -> Int32 in
                    column.buffer_type = MYSQL_TYPE_STRING
                    column.buffer = buffer.baseAddress
                    column.buffer_length = UInt(length)
                    return withUnsafeMutablePointer(to: &fetched) { fetchedPointer in
                        withUnsafeMutablePointer(to: &isNull) { nullPointer in
                            column.length = fetchedPointer
                            column.is_null = nullPointer
                            return mysql_stmt_fetch_column(stmt, &column, UInt32(i), 0)
                        }
                    }
                }
                if rc != 0 { throw MariaDBError(kind: .server, message: "cannot fetch column \(i)", sql: sql) }
            }
            if case .bytes = kinds[i] { return .bytes(bytes) }
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    func release() {
        let n = max(1, kinds.count)
        binds.deinitialize(count: n)
        binds.deallocate()
        numbers.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }
}
