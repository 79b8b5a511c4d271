import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// The database server restarts under a running store (a MariaDB upgrade, a failover): the
/// store reconnects by itself and the next calls succeed.
@Suite("MariaDB restart", .enabled(if: TestEnvironment.mariadbEnabled))
struct MariaDBRestartTests {
    @Test func theStoreReconnectsAfterTheServerRestarts() async throws {
        let server = try TestEnvironment.requireMariaDB()
        // Alone: every other MariaDB test waits while the server is down.
        try await TestEnvironment.mariadbGate.exclusive {
            let dbName = try await server.makeMagnumDatabase("restart")
            defer { server.dropDatabase(dbName) }
            guard case .mariadb(let options) = try DatabaseURL(server.url(database: dbName)) else { return }
            let store = try await MariaDBClusterStore.open(
                options: options, pool: .init(maxConnections: 3, maxReconnectAttempts: 60, reconnectInterval: .milliseconds(250)),
                logger: Logger(label: "test.restart"))
            let created = try await store.createCluster(Sample.cluster("survivor"))
            // Open all three pooled connections, so every one of them goes stale.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { _ = try await store.clusters(context: Sample.context) } }
                try await group.waitForAll()
            }

            try await server.control("restart")

            // Reads and writes work again without anyone reopening the store.
            #expect(try await store.cluster(uuid: created.uuid ?? "", context: Sample.context).name == "survivor")
            let updated = try await store.updateCluster(.uuid(created.uuid ?? ""), values: ["status": "UPDATE_COMPLETE"])
            #expect(updated.status == .updateComplete)
            _ = try await store.createCluster(Sample.cluster("after-restart"))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await store.clusterCount(context: Sample.context, filters: [:]) } }
                for try await count in group { #expect(count == 2) }
            }
            #expect(await store.database.pool.reconnects >= 1)
            await store.close()
        }
    }

    @Test func aStopIsReportedAsAConnectionErrorNotAHang() async throws {
        let server = try TestEnvironment.requireMariaDB()
        try await TestEnvironment.mariadbGate.exclusive {
            let dbName = try await server.makeMagnumDatabase("stopped")
            defer { server.dropDatabase(dbName) }
            guard case .mariadb(let options) = try DatabaseURL(server.url(database: dbName)) else { return }
            let store = try await MariaDBClusterStore.open(
                options: options, pool: .init(maxConnections: 1, maxReconnectAttempts: 2, reconnectInterval: .milliseconds(100)),
                logger: Logger(label: "test.stop"))
            _ = try await store.createCluster(Sample.cluster("x"))
            try await server.control("stop")
            do {
                let error = await #expect(throws: StoreError.self) { _ = try await store.clusters(context: Sample.context) }
                #expect(error?.kind == .connection)
                #expect(error?.pythonClassName == "DBConnectionError")
                #expect(error?.message.contains(server.password) == false)
            }
            try await server.control("restart")
            #expect(try await store.clusters(context: Sample.context).count == 1)
            await store.close()
        }
    }
}
