/// The worker's own tables (leases, operation journal, ...) live in Magnum's database next to
/// Magnum's, under names starting with `capi_worker_`, and never alter Magnum's tables. They are
/// created by ordered, named migrations recorded in `capi_worker_schema`, so several workers
/// sharing one database apply each exactly once.
///
/// To add a table: append a `WorkerMigration` to `WorkerSchema.migrations` with its DDL for both
/// dialects (never edit one that has shipped), then run `WorkerSchema.migrate` at start-up.
public struct WorkerMigration: Sendable, Equatable {
    /// Unique and stable, e.g. `0001_capi_worker_lease`.
    public let name: String
    public let sqlite: [String]
    public let mariadb: [String]

    public init(name: String, sqlite: [String], mariadb: [String]) {
        self.name = name
        self.sqlite = sqlite
        self.mariadb = mariadb
    }
}

public enum WorkerSchema {
    /// Every table of ours starts with this.
    public static let tablePrefix = "capi_worker_"
    /// Where applied migrations are recorded.
    public static let bookkeepingTable = "capi_worker_schema"

    /// The worker's migrations, oldest first.
    public static let migrations: [WorkerMigration] = [
        // When each cluster's current create/update/delete began (`[capi_worker]
        // operation_timeouts`): one row per cluster with an operation in progress.
        WorkerMigration(
            name: "0001_capi_worker_operation",
            sqlite: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_operation (
                    cluster_uuid VARCHAR(36) NOT NULL PRIMARY KEY,
                    operation VARCHAR(16) NOT NULL,
                    started_at DATETIME NOT NULL
                )
                """,
            ],
            mariadb: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_operation (
                    cluster_uuid VARCHAR(36) NOT NULL PRIMARY KEY,
                    operation VARCHAR(16) NOT NULL,
                    started_at DATETIME(6) NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3
                """,
            ]),
        // Per-cluster leases (docs/reliability.md): at most one worker acts on a cluster at a
        // time; a lease is the owner's until `expires_at` unless renewed.
        WorkerMigration(
            name: "0002_capi_worker_lease",
            sqlite: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_lease (
                    resource VARCHAR(64) NOT NULL PRIMARY KEY,
                    owner VARCHAR(255) NOT NULL,
                    acquired_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL
                )
                """,
            ],
            mariadb: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_lease (
                    resource VARCHAR(64) NOT NULL PRIMARY KEY,
                    owner VARCHAR(255) NOT NULL,
                    acquired_at DATETIME(6) NOT NULL,
                    expires_at DATETIME(6) NOT NULL,
                    KEY capi_worker_lease_owner (owner)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3
                """,
            ]),
        // The operation journal (docs/reliability.md): one row per RPC message acting on a
        // cluster, keyed by oslo's `_unique_id`, so a redelivery resumes or skips it.
        WorkerMigration(
            name: "0003_capi_worker_journal",
            sqlite: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_journal (
                    message_id VARCHAR(64) NOT NULL PRIMARY KEY,
                    cluster_uuid VARCHAR(36) NOT NULL,
                    method VARCHAR(64) NOT NULL,
                    state VARCHAR(16) NOT NULL,
                    attempts INTEGER NOT NULL,
                    steps TEXT NOT NULL,
                    outcome TEXT,
                    updated_at DATETIME NOT NULL
                )
                """,
                "CREATE INDEX IF NOT EXISTS capi_worker_journal_cluster ON capi_worker_journal (cluster_uuid)",
            ],
            mariadb: [
                """
                CREATE TABLE IF NOT EXISTS capi_worker_journal (
                    message_id VARCHAR(64) NOT NULL PRIMARY KEY,
                    cluster_uuid VARCHAR(36) NOT NULL,
                    method VARCHAR(64) NOT NULL,
                    state VARCHAR(16) NOT NULL,
                    attempts INT NOT NULL,
                    steps TEXT NOT NULL,
                    outcome MEDIUMTEXT,
                    updated_at DATETIME(6) NOT NULL,
                    KEY capi_worker_journal_cluster (cluster_uuid)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3
                """,
            ]),
    ]

    /// Applies the migrations not yet recorded, in order, each in its own transaction (MariaDB
    /// commits DDL implicitly; the record is written right after). Does nothing, and creates
    /// nothing, when `migrations` is empty. Returns the names applied now.
    @discardableResult
    public static func migrate(_ database: some SQLDatabase, migrations: [WorkerMigration] = WorkerSchema.migrations) async throws -> [String] {
        guard !migrations.isEmpty else { return [] }
        for m in migrations {
            for statement in m.sqlite + m.mariadb where !statement.contains(tablePrefix) {
                throw StoreError(.schema, "worker migration \(m.name) has a statement that does not name a \(tablePrefix) table: \(statement)")
            }
        }
        let dialect = database.dialect
        let table = dialect.quote(bookkeepingTable)
        let create: String
        switch dialect {
        case .sqlite:
            create = "CREATE TABLE IF NOT EXISTS \(table) (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at DATETIME NOT NULL)"
        case .mariadb:
            create = "CREATE TABLE IF NOT EXISTS \(table) (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at DATETIME NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3"
        }
        try await database.write { conn in _ = try conn.execute(create, []) }
        var applied: [String] = []
        let codec = ColumnCodec(dialect: dialect)
        for m in migrations {
            let done = try await database.read { conn in
                try conn.query("SELECT name FROM \(table) WHERE name = ?", [.text(m.name)]).rows.isEmpty == false
            }
            if done { continue }
            let statements = dialect == .sqlite ? m.sqlite : m.mariadb
            let now = codec.datetimeText(.now())
            do {
                try await database.write { conn in
                    for s in statements { _ = try conn.execute(s, []) }
                    _ = try conn.execute("INSERT INTO \(table) (name, applied_at) VALUES (?, ?)", [.text(m.name), .text(now)])
                }
            } catch let error as StoreError where error.kind == .duplicateEntry {
                continue  // another worker applied it at the same time
            }
            applied.append(m.name)
        }
        return applied
    }
}
