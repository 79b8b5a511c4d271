import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport
import Worker

enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case mariadb
    var description: String { rawValue }
}

/// A fresh Magnum database with an `IndirectionAPI` over it.
struct IndirectionFixture: Sendable {
    let store: any ClusterStore
    let database: any SQLDatabase
    let api: IndirectionAPI
    /// `[database] connection` for the Python peer (holds a password: never log it).
    let url: String

    static let logger = Logger(label: "test.indirection")

    /// Runs `body` with `count` fresh databases of the same backend (one for Swift, one for the
    /// Python handler, ...), or not at all when MariaDB is absent and not required.
    static func with(_ backend: Backend, count: Int = 1, _ name: String = #function,
                     _ body: @Sendable ([IndirectionFixture]) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            let dir = try TestEnvironment.temporaryDirectory("indirection")
            defer { try? FileManager.default.removeItem(at: dir) }
            var fixtures: [IndirectionFixture] = []
            for i in 0..<count {
                let path = dir.appendingPathComponent("magnum-\(i).sqlite").path
                let store = try await SQLiteClusterStore.open(path: path)
                fixtures.append(IndirectionFixture(store: store, database: store.database,
                                                   api: IndirectionAPI(store: store, logger: logger), url: "sqlite:///\(path)"))
            }
            try await run(fixtures, body)
        case .mariadb:
            guard TestEnvironment.mariadbEnabled else { return }
            let server = try TestEnvironment.requireMariaDB()
            try await TestEnvironment.mariadbGate.shared {
                var names: [String] = []
                defer { for n in names { server.dropDatabase(n) } }
                var fixtures: [IndirectionFixture] = []
                for _ in 0..<count {
                    let dbName = try await server.makeMagnumDatabase("ind\(String(name.prefix(12)))")
                    names.append(dbName)
                    let url = server.url(database: dbName)
                    guard case .mariadb(let options) = try DatabaseURL(url) else { fatalError("not a MySQL URL") }
                    let store = try await MariaDBClusterStore.open(options: options, pool: .init(maxConnections: 2), logger: logger)
                    fixtures.append(IndirectionFixture(store: store, database: store.database,
                                                       api: IndirectionAPI(store: store, logger: logger), url: url))
                }
                try await run(fixtures, body)
            }
        }
    }

    private static func run(_ fixtures: [IndirectionFixture], _ body: @Sendable ([IndirectionFixture]) async throws -> Void) async throws {
        do {
            try await body(fixtures)
        } catch {
            for f in fixtures { await f.store.close() }
            throw error
        }
        for f in fixtures { await f.store.close() }
    }

    /// What a failure looks like on the wire: class, module, message, kwargs.
    static func failure(of error: any Error) -> JSONValue {
        switch error {
        case let e as MagnumError:
            return ["class": .string(e.className), "module": .string(MagnumError.module), "message": .string(e.message), "kwargs": .object(e.kwargs)]
        case let e as IndirectionFailure:
            return ["class": .string(e.className), "module": .string(e.moduleName), "message": .string(e.message), "kwargs": .object(e.kwargs)]
        case let e as StoreError:
            return ["class": .string(e.pythonClassName), "module": .string(e.pythonModuleName), "message": .string(e.message), "kwargs": [:]]
        default:
            return ["class": .string("\(type(of: error))"), "module": "swift", "message": .string("\(error)"), "kwargs": [:]]
        }
    }

    /// Runs one RPC-level request (`{"context", "method", "args"}`) the way the RPC server will:
    /// `{"result": ...}` or `{"failure": {...}}`.
    func answer(_ request: JSONValue) async -> JSONValue {
        let ctx = request["context"] ?? .null
        let context = StoreContext(projectId: ctx["project_id"]?.stringValue, userId: ctx["user_id"]?.stringValue,
                                   isAdmin: ctx["is_admin"]?.boolValue ?? false, allTenants: ctx["all_tenants"]?.boolValue ?? false)
        do {
            let result = try await api.call(method: request["method"]?.stringValue ?? "", context: context,
                                            args: request["args"]?.objectValue ?? [:])
            return ["result": result]
        } catch {
            return ["failure": Self.failure(of: error)]
        }
    }
}
