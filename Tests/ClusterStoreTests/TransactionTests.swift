import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite("Transactions roll back on failure, on both backends")
struct TransactionTests {
    struct Boom: Error {}

    @Test(arguments: Backend.allCases)
    func aFailedWriteLeavesNothingBehind(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let dialect = f.database.dialect
            await #expect(throws: Boom.self) {
                try await f.database.write { conn in
                    try conn.execute("INSERT INTO \(dialect.quote("quotas")) (project_id, resource, hard_limit) VALUES (?, ?, ?)",
                                     [.text("p"), .text("Cluster"), .integer(1)])
                    throw Boom()
                }
            }
            #expect(try await f.store.quotas(filters: [:], options: .all).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRefusedUpdateChangesNothing(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let template = try await f.store.createClusterTemplate(Sample.template("t"))
            _ = try await f.store.createCluster(Sample.cluster("c", template: template.uuid ?? ""))
            // Two keys, one of them a rename: refused as a whole, the name is not changed either.
            _ = await expectMagnumError("ClusterTemplateReferenced") {
                _ = try await f.store.updateClusterTemplate(.id(template.id ?? 0), values: ["name": "new", "image_id": "x"])
            }
            let after = try await f.store.clusterTemplate(id: template.id ?? 0, context: Sample.context)
            #expect(after.name == "t")
            #expect(after.updatedAt == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func aDuplicateInsertDoesNotPoisonTheConnection(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
            _ = try await f.store.createCluster(Sample.cluster("a", uuid: uuid))
            for _ in 0..<3 {
                _ = await expectMagnumError("ClusterAlreadyExists") { _ = try await f.store.createCluster(Sample.cluster("b", uuid: uuid)) }
            }
            _ = try await f.store.createCluster(Sample.cluster("c"))
            #expect(try await f.store.clusterCount(context: .allProjects, filters: [:]) == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritersDoNotLoseUpdates(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let service = try await f.store.createMagnumService(["host": "h", "binary": "magnum-conductor"])
            let id = service.id ?? 0
            let database = f.database
            let dialect = database.dialect
            // Read-modify-write under the row lock, from many tasks at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try await database.write { conn in
                            let q = "SELECT report_count FROM \(dialect.quote("magnum_service")) WHERE id = ?" + (dialect == .mariadb ? " FOR UPDATE" : "")
                            guard case .integer(let n) = try conn.query(q, [.integer(Int64(id))]).rows[0][0] else { return }
                            try conn.execute("UPDATE \(dialect.quote("magnum_service")) SET report_count = ? WHERE id = ?", [.integer(n + 1), .integer(Int64(id))])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await f.store.magnumService(host: "h", binary: "magnum-conductor")?.reportCount == 20)
        }
    }
}
