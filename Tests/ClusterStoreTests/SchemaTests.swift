import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

@Suite("Schema: SQLite created like Magnum's models, MariaDB by magnum-db-manage")
struct SchemaTests {
    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sqliteSchemaMatchesMagnumModelsTableByTableColumnByColumn() async throws {
        let dir = try TestEnvironment.temporaryDirectory("schema")
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelsPath = dir.appendingPathComponent("models.sqlite").path
        let oursPath = dir.appendingPathComponent("ours.sqlite").path
        let store = try await SQLiteClusterStore.open(path: oursPath)
        await store.close()

        let peer = TestEnvironment.magnumDBPeer
        let modelsRequest: JSONValue = ["op": "models_schema", "path": .string(modelsPath)]
        let oursRequest: JSONValue = ["op": "describe_sqlite", "path": .string(oursPath)]
        let models = try JSONValue(parsing: await peer.request(modelsRequest.jsonString(.compact)))
        let ours = try JSONValue(parsing: await peer.request(oursRequest.jsonString(.compact)))
        guard case .object(let modelTables) = models, case .object(let ourTables) = ours else {
            Issue.record("unexpected peer answer")
            return
        }
        #expect(Set(modelTables.keys) == Set(MagnumSchema.tables.map(\.name)))
        // Ours has alembic_version besides, stamped with the revision the tables match.
        #expect(Set(ourTables.keys) == Set(modelTables.keys).union(["alembic_version"]))
        for (table, expected) in modelTables {
            let actual = ourTables[table] ?? .null
            guard case .array(let expectedColumns)? = expected["columns"], case .array(let actualColumns)? = actual["columns"] else {
                Issue.record("no columns for \(table)")
                continue
            }
            #expect(actualColumns.count == expectedColumns.count, "\(table): column count")
            for (e, a) in zip(expectedColumns, actualColumns) {
                // name, declared type, NOT NULL, default, primary key — and position.
                #expect(a == e, "\(table).\(e["name"]?.stringValue ?? "?")")
            }
            #expect(actual["indexes"] == expected["indexes"], "\(table): unique constraints and indexes")
            #expect(actual["sql"] == expected["sql"], "\(table): CREATE TABLE statement")
        }
        let stamped = try await SQLiteClusterStore.open(path: oursPath)
        let revision = try await stamped.database.read { try $0.query("SELECT version_num FROM alembic_version", []).rows }
        #expect(revision == [[.text(MagnumSchema.alembicHead)]])
        await stamped.close()
    }

    @Test func reopeningAnSQLiteStoreKeepsItsRows() async throws {
        let dir = try TestEnvironment.temporaryDirectory("reopen")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("magnum.sqlite").path
        let first = try await SQLiteClusterStore.open(path: path)
        _ = try await first.createCluster(Sample.cluster("kept"))
        await first.close()
        let second = try await SQLiteClusterStore.open(path: path)
        #expect(try await second.cluster(name: "kept", context: Sample.context).name == "kept")
        await second.close()
    }

    @Test func anSQLiteFileWithAnotherLayoutIsRefused() async throws {
        let dir = try TestEnvironment.temporaryDirectory("foreign")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("magnum.sqlite").path
        let backend = try await SQLiteBackend.open(path: path)
        try await backend.write { _ = try $0.execute("CREATE TABLE cluster (id INTEGER PRIMARY KEY, name TEXT)", []) }
        await backend.close()
        let error = await #expect(throws: StoreError.self) { _ = try await SQLiteClusterStore.open(path: path) }
        #expect(error?.kind == .schema)
        #expect(error?.message.contains("lacks columns") == true)
    }

    @Test(.enabled(if: TestEnvironment.mariadbEnabled))
    func magnumDBManageMigratedMariaDBToTheExpectedHead() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let server = try TestEnvironment.requireMariaDB()
            #expect(try await server.sql("SELECT version_num FROM magnum.alembic_version").trimmingCharacters(in: .whitespacesAndNewlines)
                    == MagnumSchema.alembicHead)
            guard case .mariadb(let options) = try DatabaseURL(server.url) else { return }
            let store = try await MariaDBClusterStore.open(options: options, logger: Logger(label: "test"))
            let report = try await SchemaManager.verifyMariaDB(store.database)
            #expect(report.isExpectedRevision)
            await store.close()
        }
    }

    @Test(.enabled(if: TestEnvironment.mariadbEnabled))
    func aMariaDBWithoutMagnumsSchemaIsRefusedWithAHint() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let server = try TestEnvironment.requireMariaDB()
            let name = "mcw_test_empty_\(UInt32.random(in: 0...UInt32.max))"
            try await server.sql("CREATE DATABASE \(name)")
            defer { server.dropDatabase(name) }
            guard case .mariadb(let options) = try DatabaseURL(server.url(database: name)) else { return }
            let error = await #expect(throws: StoreError.self) {
                _ = try await MariaDBClusterStore.open(options: options, logger: Logger(label: "test"))
            }
            #expect(error?.kind == .schema)
            #expect(error?.message.contains("magnum-db-manage upgrade") == true)
            #expect(error?.message.contains(server.password) == false)
        }
    }

    static let testMigrations = [
        WorkerMigration(name: "0001_capi_worker_test",
                        sqlite: ["CREATE TABLE capi_worker_test (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(255))"],
                        mariadb: ["CREATE TABLE capi_worker_test (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(255)) ENGINE=InnoDB"]),
    ]

    @Test(arguments: Backend.allCases)
    func workerTablesAreAddedOnceNextToMagnums(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            #expect(try await WorkerSchema.migrate(f.database, migrations: []) == [])
            #expect(try await WorkerSchema.migrate(f.database, migrations: Self.testMigrations) == ["0001_capi_worker_test"])
            #expect(try await WorkerSchema.migrate(f.database, migrations: Self.testMigrations) == [])
            try await f.database.write { _ = try $0.execute("INSERT INTO capi_worker_test (note) VALUES (?)", [.text("ok")]) }
            let bad = WorkerMigration(name: "0002_bad", sqlite: ["ALTER TABLE cluster ADD COLUMN x INTEGER"], mariadb: ["ALTER TABLE cluster ADD COLUMN x INT"])
            let error = await #expect(throws: StoreError.self) { try await WorkerSchema.migrate(f.database, migrations: [bad]) }
            #expect(error?.kind == .schema)
            // Magnum's tables are untouched: the store still works.
            _ = try await f.store.createCluster(Sample.cluster("after"))
        }
    }
}
