import Foundation
import MagnumObjects
import Testing
import ClusterCertificates

@Suite struct InMemoryX509KeyPairStoreTests {
    static func row(project: String? = "p1", user: String? = "u1", uuid: String? = nil) -> X509KeyPair {
        var row = X509KeyPair()
        row.uuid = uuid
        row.certificate = "-----BEGIN CERTIFICATE-----"
        row.privateKey = "secret key"
        row.privateKeyPassphrase = "secret pass"
        row.projectId = project
        row.userId = user
        return row
    }

    @Test func createAssignsIdUUIDAndTimestamp() async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let store = InMemoryX509KeyPairStore(clock: { now })
        let first = try await store.create(Self.row())
        let second = try await store.create(Self.row())
        #expect(first.id == 1 && second.id == 2)
        let uuid = try #require(first.uuid)
        #expect(UUID(uuidString: uuid) != nil && uuid == uuid.lowercased())
        #expect(first.uuid != second.uuid)
        #expect(first.createdAt == Timestamp(secondsSinceEpoch: 1_800_000_000))
        #expect(first.changedFields.isEmpty)
        #expect(try await store.get(uuid: uuid, context: CertificateContext(projectId: "p1", userId: "u1")) == first)
    }

    @Test func duplicateUUIDsAreRefused() async throws {
        let store = InMemoryX509KeyPairStore()
        _ = try await store.create(Self.row(uuid: "a5b1c6e2-0000-4000-8000-000000000001"))
        let error = try await #require(throws: MagnumError.self) { try await store.create(Self.row(uuid: "a5b1c6e2-0000-4000-8000-000000000001")) }
        #expect(error.className == "X509KeyPairAlreadyExists")
        #expect(error.code == 409)
    }

    @Test func readsAreFilteredLikeMagnumsTenantFilter() async throws {
        let store = InMemoryX509KeyPairStore()
        let mine = try #require(try await store.create(Self.row(project: "p1", user: "u1")).uuid)
        let userOnly = try #require(try await store.create(Self.row(project: nil, user: "u9")).uuid)
        _ = try await store.get(uuid: mine, context: CertificateContext(projectId: "p1", userId: "anyone"))
        await #expect(throws: MagnumError.self) { try await store.get(uuid: mine, context: CertificateContext(projectId: "p2", userId: "u1")) }
        _ = try await store.get(uuid: userOnly, context: CertificateContext(projectId: nil, userId: "u9"))
        await #expect(throws: MagnumError.self) { try await store.get(uuid: userOnly, context: CertificateContext(projectId: nil, userId: "u1")) }
        _ = try await store.get(uuid: mine, context: CertificateContext(projectId: "p2", userId: "x", isAdmin: true, allTenants: true))
    }

    @Test func deleteRemovesAndThenReportsNotFound() async throws {
        let store = InMemoryX509KeyPairStore()
        let uuid = try #require(try await store.create(Self.row()).uuid)
        try await store.delete(uuid: uuid)
        #expect(await store.count == 0)
        let error = try await #require(throws: MagnumError.self) { try await store.delete(uuid: uuid) }
        #expect(error.className == "X509KeyPairNotFound")
        #expect(error.message == "A key pair \(uuid) could not be found.")
    }

    @Test func rowsPrintWithoutTheirSecrets() async throws {
        let row = try await InMemoryX509KeyPairStore().create(Self.row())
        var dumped = ""
        dump(row, to: &dumped)
        for text in ["\(row)", String(reflecting: row), dumped, "\([row])"] {
            #expect(!text.contains("secret key"))
            #expect(!text.contains("secret pass"))
            #expect(text.contains("<redacted>"))
            #expect(text.contains(row.uuid ?? "?"))
        }
    }
}
