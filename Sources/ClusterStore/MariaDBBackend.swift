public import MariaDB

/// Magnum's MariaDB/MySQL database through a bounded connection pool.
public final class MariaDBBackend: SQLDatabase {
    public let pool: MariaDBPool
    public var dialect: SQLDialect { .mariadb }

    public init(pool: MariaDBPool) {
        self.pool = pool
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection { try body(MariaDBAdapter($0)) }
        } catch let error as MariaDBError {
            throw MariaDBAdapter.storeError(error)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.transaction { try body(MariaDBAdapter($0)) }
        } catch let error as MariaDBError {
            throw MariaDBAdapter.storeError(error)
        }
    }

    public func close() async { await pool.close() }
}

/// `SQLConnection` over a `MariaDBConnection`. Connection-level errors are rethrown as
/// `MariaDBError` so the pool's reconnect policy sees them; the backend converts what escapes.
final class MariaDBAdapter: SQLConnection {
    let connection: MariaDBConnection
    var dialect: SQLDialect { .mariadb }

    init(_ connection: MariaDBConnection) { self.connection = connection }

    static func storeError(_ error: MariaDBError) -> StoreError {
        switch error.kind {
        case .connectionLostAfterWrites: return StoreError(.connectionLostAfterWrites, error.description)
        case .connection, .tls, .poolTimeout, .poolClosed: return StoreError(.connection, error.description)
        case .server, .usage:
            if error.isConnectionLost { return StoreError(.connection, error.description) }
            if error.isDuplicateEntry { return StoreError(.duplicateEntry, error.message) }
            return StoreError(.database, error.description)
        }
    }

    private static func convert(_ values: [SQLValue]) -> [MariaDBValue] {
        values.map {
            switch $0 {
            case .null: return .null
            case .integer(let i): return .integer(i)
            case .double(let d): return .double(d)
            case .text(let s): return .text(s)
            }
        }
    }

    /// Duplicate keys become `StoreError`; everything else stays `MariaDBError` so the pool can
    /// reconnect, retry or roll back, and the backend converts what escapes it.
    private func run<T>(_ body: () throws(MariaDBError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            if error.isDuplicateEntry { throw StoreError(.duplicateEntry, error.message) }
            throw error
        }
    }

    func query(_ sql: String, _ values: [SQLValue]) throws -> SQLRows {
        try run { () throws(MariaDBError) -> SQLRows in
            let result = try connection.query(sql, Self.convert(values))
            return SQLRows(columns: result.columns, rows: result.rows.map { row in
                row.map {
                    switch $0 {
                    case .null: return .null
                    case .integer(let i): return .integer(i)
                    case .double(let d): return .double(d)
                    case .text(let s): return .text(s)
                    case .bytes(let b): return .text(String(decoding: b, as: UTF8.self))
                    }
                }
            })
        }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws -> SQLChanges {
        try run { () throws(MariaDBError) -> SQLChanges in
            let changes = try connection.execute(sql, Self.convert(values))
            return SQLChanges(affectedRows: changes.affectedRows, lastInsertID: changes.lastInsertID)
        }
    }
}
