/// Makes sure the database holds Magnum's schema before the store uses it.
///
/// - MariaDB: the schema belongs to Magnum — `magnum-db-manage upgrade` creates and migrates it.
///   We only check that it is there: `alembic_version` at a revision, and every column the
///   store reads and writes present. We never alter Magnum's tables.
/// - SQLite (embedded): Magnum's alembic migrations do not run on SQLite, so the store creates
///   the tables itself, exactly as Magnum's models' `create_all` would (checked by a test column
///   by column), and stamps `alembic_version` with the revision they match.
public enum SchemaManager {
    /// Creates missing Magnum tables in an SQLite database and checks existing ones.
    public static func prepareSQLite(_ database: some SQLDatabase) async throws {
        try await database.write { conn in
            let existing = Set(try conn.query("SELECT name FROM sqlite_master WHERE type = 'table'", []).rows.compactMap {
                if case .text(let name) = $0.first { return name }
                return nil
            })
            for table in MagnumSchema.tables {
                if existing.contains(table.name) {
                    let columns = Set(try conn.query("PRAGMA table_info(\(SQLDialect.sqlite.quote(table.name)))", []).rows.compactMap {
                        if case .text(let name) = $0.count > 1 ? $0[1] : .null { return name }
                        return nil
                    })
                    let missing = table.columnNames.filter { !columns.contains($0) }
                    if !missing.isEmpty {
                        throw StoreError(.schema, "table \(table.name) lacks columns \(missing.joined(separator: ", ")): this SQLite database was not created for Magnum \(MagnumSchema.alembicHead)", table: table.name)
                    }
                } else {
                    try conn.execute(table.sqliteDDL, [])
                }
            }
            if !existing.contains("alembic_version") {
                try conn.execute("CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)", [])
                try conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", [.text(MagnumSchema.alembicHead)])
            }
        }
    }

    /// What `verifyMariaDB` found.
    public struct Report: Sendable, Equatable {
        /// `alembic_version.version_num`.
        public let revision: String
        /// Whether it is the revision our table definitions match.
        public var isExpectedRevision: Bool { revision == MagnumSchema.alembicHead }
    }

    /// Checks that `magnum-db-manage upgrade` has run: an alembic revision is recorded and every
    /// table and column the store uses exists. A different revision with all columns present is
    /// accepted (the report says so); anything missing is a `StoreError` of kind `.schema` telling
    /// the operator what to run.
    public static func verifyMariaDB(_ database: some SQLDatabase) async throws -> Report {
        try await database.read { conn in
            let tables = try conn.query(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()", [])
            var columns: [String: Set<String>] = [:]
            for row in tables.rows {
                guard row.count == 2, case .text(let t) = row[0], case .text(let c) = row[1] else { continue }
                columns[t, default: []].insert(c)
            }
            guard columns["alembic_version"] != nil else {
                throw StoreError(.schema, "the database has no Magnum schema (no alembic_version table): run `magnum-db-manage upgrade` first")
            }
            let version = try conn.query("SELECT version_num FROM alembic_version", [])
            guard case .text(let revision)? = version.rows.first?.first else {
                throw StoreError(.schema, "alembic_version is empty: run `magnum-db-manage upgrade`")
            }
            for table in MagnumSchema.tables {
                guard let have = columns[table.name] else {
                    throw StoreError(.schema, "table \(table.name) is missing (Magnum schema at \(revision)): run `magnum-db-manage upgrade` to reach \(MagnumSchema.alembicHead)", table: table.name)
                }
                let missing = table.columnNames.filter { !have.contains($0) }
                if !missing.isEmpty {
                    throw StoreError(.schema, "table \(table.name) lacks columns \(missing.joined(separator: ", ")) (Magnum schema at \(revision)): run `magnum-db-manage upgrade` to reach \(MagnumSchema.alembicHead)", table: table.name)
                }
            }
            return Report(revision: revision)
        }
    }
}
