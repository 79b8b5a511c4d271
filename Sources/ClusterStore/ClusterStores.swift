public import Logging
public import MariaDB
public import MagnumObjects
import SQLite

/// The embedded store: Magnum's schema in an SQLite file, created on first use.
public typealias SQLiteClusterStore = SQLClusterStore<SQLiteBackend>
/// Magnum's own MariaDB/MySQL database, shared with magnum-api.
public typealias MariaDBClusterStore = SQLClusterStore<MariaDBBackend>

extension SQLClusterStore where Database == SQLiteBackend {
    /// Opens (creating when missing) the SQLite database at `path` and creates Magnum's tables
    /// in it when they are missing. `":memory:"` gives a private in-memory database.
    public static func open(path: String) async throws -> SQLiteClusterStore {
        try await open(path: path, clock: { Timestamp.now() })
    }

    /// As `open(path:)`, with the time rows are stamped with taken from `clock`.
    public static func open(path: String, clock: @escaping @Sendable () -> Timestamp) async throws -> SQLiteClusterStore {
        let backend = try await SQLiteBackend.open(path: path)
        do {
            try await SchemaManager.prepareSQLite(backend)
        } catch {
            await backend.close()
            throw error
        }
        return SQLClusterStore(database: backend, clock: clock)
    }
}

extension SQLClusterStore where Database == MariaDBBackend {
    /// Connects a pool to MariaDB and checks Magnum's schema (created by `magnum-db-manage
    /// upgrade`). The first connection is made here, so a wrong password or an unreachable
    /// server fails now, with a clear error.
    public static func open(options: MariaDBOptions, pool configuration: MariaDBPool.Configuration = .init(),
                            logger: Logger) async throws -> MariaDBClusterStore {
        let backend = MariaDBBackend(pool: MariaDBPool(options: options, configuration: configuration, logger: logger))
        do {
            let report = try await SchemaManager.verifyMariaDB(backend)
            if !report.isExpectedRevision {
                logger.warning("Magnum's database is at an alembic revision this worker was not built for; continuing because every column it uses exists",
                               metadata: ["revision": "\(report.revision)", "expected": "\(MagnumSchema.alembicHead)", "database": "\(options)"])
            }
        } catch {
            await backend.close()
            throw error
        }
        return SQLClusterStore(database: backend)
    }
}

/// Opens the store a `[database] connection` URL names.
public enum ClusterStores {
    public static func open(connection: String, pool configuration: MariaDBPool.Configuration = .init(),
                            logger: Logger) async throws -> any ClusterStore {
        let (url, ignored) = try DatabaseURL.parse(connection)
        if !ignored.isEmpty {
            logger.warning("ignoring [database] connection parameters this worker does not use",
                           metadata: ["parameters": "\(ignored.joined(separator: ","))", "database": "\(url)"])
        }
        switch url {
        case .sqlite(let path):
            return try await SQLiteClusterStore.open(path: path)
        case .mariadb(let options):
            return try await MariaDBClusterStore.open(options: options, pool: configuration, logger: logger)
        }
    }
}
