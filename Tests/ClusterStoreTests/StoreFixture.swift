import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// The two databases every store test runs against.
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case mariadb
    var description: String { rawValue }
}

/// A fresh, empty Magnum database for one test: an SQLite file the store creates, or a new
/// database on the run's MariaDB holding a copy of the schema `magnum-db-manage` created.
struct StoreFixture: Sendable {
    let backend: Backend
    let store: any ClusterStore
    let database: any SQLDatabase
    /// `[database] connection` for Python peers (holds the password: never log it).
    let url: String
    let cleanup: @Sendable () async -> Void

    static let logger = Logger(label: "test.clusterstore")

    /// Runs `body` with a fresh store, or returns without running it when the backend's service
    /// is absent and `tools/test` did not promise it.
    static func with(_ backend: Backend, _ name: String = #function,
                     _ body: @Sendable (StoreFixture) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            let dir = try TestEnvironment.temporaryDirectory("store")
            let path = dir.appendingPathComponent("magnum.sqlite").path
            let store = try await SQLiteClusterStore.open(path: path)
            let fixture = StoreFixture(backend: backend, store: store, database: store.database, url: "sqlite:///\(path)") {
                await store.close()
                try? FileManager.default.removeItem(at: dir)
            }
            try await run(fixture, body)
        case .mariadb:
            guard TestEnvironment.mariadbEnabled else { return }
            let server = try TestEnvironment.requireMariaDB()
            try await TestEnvironment.mariadbGate.shared {
                let dbName = try await server.makeMagnumDatabase(String(name.prefix(20)))
                let url = server.url(database: dbName)
                guard case .mariadb(let options) = try DatabaseURL(url) else { fatalError("not a MySQL URL") }
                let store = try await MariaDBClusterStore.open(options: options, pool: .init(maxConnections: 4), logger: logger)
                let fixture = StoreFixture(backend: backend, store: store, database: store.database, url: url) {
                    await store.close()
                    server.dropDatabase(dbName)
                }
                try await run(fixture, body)
            }
        }
    }

    private static func run(_ fixture: StoreFixture, _ body: @Sendable (StoreFixture) async throws -> Void) async throws {
        do {
            try await body(fixture)
        } catch {
            await fixture.cleanup()
            throw error
        }
        await fixture.cleanup()
    }

    /// Raw rows of `table` as the database holds them (text, integers, NULL), ordered by id.
    func rawRows(_ table: String, columns: [String]) async throws -> [[SQLValue]] {
        let dialect = database.dialect
        let list = columns.map { dialect.quote($0) }.joined(separator: ", ")
        return try await database.read { conn in
            try conn.query("SELECT \(list) FROM \(dialect.quote(table)) ORDER BY \(dialect.quote("id"))", []).rows
        }
    }
}

/// Builders for the rows tests create.
enum Sample {
    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let user = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let context = StoreContext(projectId: project, userId: user)

    static func cluster(_ name: String, project: String = Sample.project, user: String = Sample.user,
                        uuid: String? = nil, template: String = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11",
                        status: String = "CREATE_COMPLETE", extra: JSONObject = [:]) -> JSONObject {
        var values: JSONObject = [
            "name": .string(name), "project_id": .string(project), "user_id": .string(user),
            "cluster_template_id": .string(template), "status": .string(status),
            "labels": ["kube_tag": "v1.31.4"], "master_flavor_id": "m1.large", "flavor_id": "m1.medium",
            "create_timeout": 60,
        ]
        if let uuid { values["uuid"] = .string(uuid) }
        for (k, v) in extra { values[k] = v }
        return values
    }

    static func nodeGroup(_ name: String, cluster: String, role: String = "worker", count: Int = 1,
                          project: String = Sample.project, isDefault: Bool = false, extra: JSONObject = [:]) -> JSONObject {
        var values: JSONObject = [
            "name": .string(name), "cluster_id": .string(cluster), "project_id": .string(project), "role": .string(role),
            "node_count": .int(Int64(count)), "is_default": .bool(isDefault), "flavor_id": "m1.medium",
        ]
        for (k, v) in extra { values[k] = v }
        return values
    }

    static func template(_ name: String, project: String = Sample.project, isPublic: Bool = false, hidden: Bool = false,
                         extra: JSONObject = [:]) -> JSONObject {
        var values: JSONObject = [
            "name": .string(name), "project_id": .string(project), "user_id": .string(Sample.user), "coe": "kubernetes",
            "image_id": "ubuntu-2204-kube-v1.31.4", "public": .bool(isPublic), "hidden": .bool(hidden),
            "labels": ["kube_tag": "v1.31.4"], "driver": "k8s_capi_helm_v1",
        ]
        for (k, v) in extra { values[k] = v }
        return values
    }
}

/// `#expect(throws:)` for `MagnumError`, checking the class name.
func expectMagnumError(_ className: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () async throws -> Void) async -> MagnumError? {
    do {
        try await body()
        Issue.record("expected \(className), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MagnumError {
        #expect(error.className == className, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(className), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
