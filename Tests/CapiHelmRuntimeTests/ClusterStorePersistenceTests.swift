import CapiHelmDriver
import CapiHelmRuntime
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// The persistence port over Magnum's tables, and the worker's own `capi_worker_operation`
/// table on SQLite and MariaDB — created by `WorkerSchema.migrate`, Magnum's tables untouched.
@Suite struct ClusterStorePersistenceTests {
    static let uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"

    /// A template, a cluster `CREATE_IN_PROGRESS` and two nodegroups (inserted worker first).
    static func seed(_ store: any ClusterStore) async throws {
        var template = ClusterTemplate()
        template.uuid = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11"
        template.name = "k8s"
        template.projectId = "other-project"
        template.isPublic = true
        template = try await store.create(template)
        var cluster = Cluster()
        cluster.uuid = uuid
        cluster.name = "prod-east"
        cluster.projectId = "p1"
        cluster.userId = "u1"
        cluster.clusterTemplateId = template.uuid
        cluster.status = .createInProgress
        _ = try await store.create(cluster)
        for (name, role) in [("default-worker", "worker"), ("default-master", "master")] {
            var ng = NodeGroup()
            ng.uuid = UUID().uuidString.lowercased()
            ng.name = name
            ng.role = role
            ng.clusterId = uuid
            ng.projectId = "p1"
            ng.nodeCount = 1
            _ = try await store.create(ng)
        }
    }

    func exercise(_ store: any ClusterStore, database: any SQLDatabase) async throws {
        #expect(try await OperationStartTable.migrate(database) == WorkerSchema.migrations.map(\.name))
        #expect(try await OperationStartTable.migrate(database) == [])
        try await Self.seed(store)
        let persistence = ClusterStorePersistence(store: store, database: database)

        // Nodegroups in id order; a template of another project (public) is found.
        #expect(try await persistence.nodeGroups(clusterUUID: Self.uuid).map(\.name) == ["default-worker", "default-master"])
        #expect(try await persistence.clusterTemplate(uuid: "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11").name == "k8s")

        // The operation start is kept for the operation in progress, and only for it.
        #expect(try await persistence.operationStart(clusterUUID: Self.uuid) == nil)
        let start = try #require(Timestamp(parsing: "2026-01-01T10:00:00.123456"))
        try await persistence.recordOperationStart(clusterUUID: Self.uuid, at: start)
        #expect(try await persistence.operationStart(clusterUUID: Self.uuid)?.truncatedToSeconds == start.truncatedToSeconds)
        let later = try #require(Timestamp(parsing: "2026-01-01T11:00:00"))
        try await persistence.recordOperationStart(clusterUUID: Self.uuid, at: later)
        #expect(try await persistence.operationStart(clusterUUID: Self.uuid) == later)

        // Saves write the changed fields; finishing the operation forgets its start.
        var cluster = try await store.cluster(uuid: Self.uuid, context: .allProjects)
        cluster.status = .createComplete
        cluster.apiAddress = "https://203.0.113.10:6443"
        try await persistence.saveCluster(cluster)
        let saved = try await store.cluster(uuid: Self.uuid, context: .allProjects)
        #expect(saved.status == .createComplete)
        #expect(saved.apiAddress == "https://203.0.113.10:6443")
        #expect(saved.updatedAt != nil)
        let rows = try await database.read { try $0.query("SELECT cluster_uuid FROM capi_worker_operation", []).rows }
        #expect(rows.isEmpty)

        // A start recorded for an update is not believed once the cluster is deleting.
        var updating = saved
        updating.status = .updateInProgress
        try await persistence.saveCluster(updating)
        try await persistence.recordOperationStart(clusterUUID: Self.uuid, at: later)
        #expect(try await persistence.operationStart(clusterUUID: Self.uuid) == later)
        var deleting = try await store.cluster(uuid: Self.uuid, context: .allProjects)
        deleting.status = .deleteInProgress
        _ = try await store.save(deleting)
        #expect(try await persistence.operationStart(clusterUUID: Self.uuid) == nil)

        // Nodegroup save and destroy.
        var worker = try #require(try await persistence.nodeGroups(clusterUUID: Self.uuid).first)
        worker.nodeCount = 4
        try await persistence.saveNodeGroup(worker)
        #expect(try await persistence.nodeGroups(clusterUUID: Self.uuid).first?.nodeCount == 4)
        try await persistence.destroyNodeGroup(worker)
        #expect(try await persistence.nodeGroups(clusterUUID: Self.uuid).map(\.name) == ["default-master"])
        let missing = await #expect(throws: MagnumError.self) { try await persistence.clusterTemplate(uuid: "00000000-0000-4000-8000-000000000000") }
        #expect(missing?.className == "ClusterTemplateNotFound")
    }

    @Test func sqliteGetsTheWorkerTableAndMagnumsTablesStayAsTheyWere() async throws {
        let directory = try TestEnvironment.temporaryDirectory("persistence")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteClusterStore.open(path: directory.appendingPathComponent("magnum.sqlite").path)
        let schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name NOT LIKE 'capi_worker_%' ORDER BY name"
        let before = try await store.database.read { try $0.query(schema, []).rows }
        try await exercise(store, database: store.database)
        let after = try await store.database.read { try $0.query(schema, []).rows }
        #expect(after == before)
        let ours = try await store.database.read {
            try $0.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'capi_worker_%' ORDER BY name", []).rows
        }
        #expect(ours == [[.text("capi_worker_journal")], [.text("capi_worker_lease")], [.text("capi_worker_operation")], [.text("capi_worker_schema")]])
        await store.close()
        // Magnum's schema check still accepts the file.
        let reopened = try await SQLiteClusterStore.open(path: directory.appendingPathComponent("magnum.sqlite").path)
        await reopened.close()
    }

    /// The migrated SQLite file still has exactly the schema Magnum's models create (compared
    /// by Magnum's own `create_all` through the Python peer).
    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sqliteSchemaStillEqualsMagnumsModelsAfterMigration() async throws {
        let directory = try TestEnvironment.temporaryDirectory("persistence-models")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ours.sqlite").path
        let store = try await SQLiteClusterStore.open(path: path)
        try await OperationStartTable.migrate(store.database)
        await store.close()
        let peer = TestEnvironment.magnumDBPeer
        let modelsRequest: JSONValue = ["op": "models_schema", "path": .string(directory.appendingPathComponent("models.sqlite").path)]
        let oursRequest: JSONValue = ["op": "describe_sqlite", "path": .string(path)]
        let models = try JSONValue(parsing: await peer.request(modelsRequest.jsonString(.compact)))
        let ours = try JSONValue(parsing: await peer.request(oursRequest.jsonString(.compact)))
        let modelTables = models.objectValue ?? [:]
        let ourTables = ours.objectValue ?? [:]
        #expect(!modelTables.isEmpty)
        #expect(Set(ourTables.keys) == Set(modelTables.keys).union(["alembic_version", "capi_worker_journal", "capi_worker_lease", "capi_worker_operation", "capi_worker_schema"]))
        for (table, expected) in modelTables {
            #expect(ourTables[table] == expected, "\(table)")
        }
    }

    @Test(.enabled(if: TestEnvironment.mariadbEnabled))
    func mariadbGetsTheWorkerTableAndMagnumsTablesStayAsTheyWere() async throws {
        let server = try TestEnvironment.requireMariaDB()
        let name = try await server.makeMagnumDatabase("operation")
        defer { server.dropDatabase(name) }
        let store = try await ClusterStores.open(connection: server.url(database: name), logger: Logger(label: "test"))
        let database = try #require(ClusterStorePersistence.database(of: store))
        let magnumTables = ["alembic_version", "cluster", "cluster_template", "federation", "magnum_service", "nodegroup", "quotas", "x509keypair"]
        /// `SHOW CREATE TABLE` of Magnum's tables, without the AUTO_INCREMENT counter (rows are
        /// inserted in between).
        func definitions() async throws -> [String] {
            var all: [String] = []
            for table in magnumTables {
                let rows = try await database.read { try $0.query("SHOW CREATE TABLE `\(table)`", []).rows }
                for row in rows {
                    guard case .text(let ddl)? = row.last else { continue }
                    all.append(ddl.replacing(/\sAUTO_INCREMENT=\d+/, with: ""))
                }
            }
            return all
        }
        let before = try await definitions()
        #expect(before.count == magnumTables.count)
        let revision = try await database.read { try $0.query("SELECT version_num FROM alembic_version", []).rows }
        try await exercise(store, database: database)
        #expect(try await definitions() == before)
        #expect(try await database.read { try $0.query("SELECT version_num FROM alembic_version", []).rows } == revision)
        let ours = try await database.read {
            try $0.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'capi\\_worker\\_%' ORDER BY TABLE_NAME", []).rows
        }
        #expect(ours == [[.text("capi_worker_journal")], [.text("capi_worker_lease")], [.text("capi_worker_operation")], [.text("capi_worker_schema")]])
        let columns = try await database.read {
            try $0.query("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'capi_worker_operation' ORDER BY ORDINAL_POSITION", []).rows
        }
        #expect(columns == [
            [.text("cluster_uuid"), .text("varchar(36)"), .text("NO"), .text("PRI")],
            [.text("operation"), .text("varchar(16)"), .text("NO"), .text("")],
            [.text("started_at"), .text("datetime(6)"), .text("NO"), .text("")],
        ])
        // Magnum's schema check still passes on the migrated database.
        #expect(try await SchemaManager.verifyMariaDB(database).isExpectedRevision)
        await store.close()
    }
}
