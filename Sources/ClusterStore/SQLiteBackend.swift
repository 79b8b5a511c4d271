public import SQLite

/// The embedded database: one SQLite file (or `:memory:`), one connection on its own thread.
public final class SQLiteBackend: SQLDatabase {
    public let database: SQLiteDatabase
    public var dialect: SQLDialect { .sqlite }

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens (creating when missing) the SQLite database at `path`.
    public static func open(path: String) async throws -> SQLiteBackend {
        do {
            return SQLiteBackend(database: try await SQLiteDatabase(path: path))
        } catch let error as SQLiteError {
            throw StoreError(.connection, "cannot open the SQLite database \(path): \(error.message)")
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await database.withConnection { try body(SQLiteAdapter($0)) }
        } catch let error as SQLiteError {
            throw SQLiteAdapter.storeError(error)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await database.transaction { try body(SQLiteAdapter($0)) }
        } catch let error as SQLiteError {
            throw SQLiteAdapter.storeError(error)
        }
    }

    public func close() async { await database.close() }
}

/// `SQLConnection` over an `SQLiteConnection`.
final class SQLiteAdapter: SQLConnection {
    let connection: SQLiteConnection
    var dialect: SQLDialect { .sqlite }

    init(_ connection: SQLiteConnection) { self.connection = connection }

    static func storeError(_ error: SQLiteError) -> StoreError {
        if error.isUniqueViolation { return StoreError(.duplicateEntry, error.message) }
        if error.isBusy { return StoreError(.connection, "the SQLite database is locked: \(error.message)") }
        return StoreError(.database, error.description)
    }

    private static func convert(_ values: [SQLValue]) -> [SQLiteValue] {
        values.map {
            switch $0 {
            case .null: return .null
            case .integer(let i): return .integer(i)
            case .double(let d): return .real(d)
            case .text(let s): return .text(s)
            }
        }
    }

    func query(_ sql: String, _ values: [SQLValue]) throws -> SQLRows {
        do {
            let result = try connection.query(sql, Self.convert(values))
            return SQLRows(columns: result.columns, rows: result.rows.map { row in
                row.map {
                    switch $0 {
                    case .null: return .null
                    case .integer(let i): return .integer(i)
                    case .real(let d): return .double(d)
                    case .text(let s): return .text(s)
                    case .blob(let b): return .text(String(decoding: b, as: UTF8.self))
                    }
                }
            })
        } catch {
            throw Self.storeError(error)
        }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws -> SQLChanges {
        do {
            let changes = try connection.execute(sql, Self.convert(values))
            return SQLChanges(affectedRows: changes.changedRows, lastInsertID: changes.lastInsertRowID)
        } catch {
            throw Self.storeError(error)
        }
    }
}
