public import Foundation
public import MagnumObjects

/// An `X509KeyPairStore` in memory, with the database's behaviour (ids, generated uuids,
/// duplicate and not-found errors, tenant filtering): the test double, and a store for tools
/// that run without a database.
public actor InMemoryX509KeyPairStore: X509KeyPairStore {
    private var rows: [String: X509KeyPair] = [:]
    private var order: [String] = []
    private var nextID = 1
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    public func create(_ keyPair: X509KeyPair) throws -> X509KeyPair {
        var row = keyPair
        let uuid = row.uuid.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.lowercased()
        guard rows[uuid] == nil else {
            throw MagnumError("X509KeyPairAlreadyExists", ["uuid": .string(uuid)])
        }
        row.uuid = uuid
        row.id = nextID
        nextID += 1
        row.createdAt = Timestamp(secondsSinceEpoch: clock().timeIntervalSince1970)
        if !row.isSet("updated_at") { row.updatedAt = nil }
        row.resetChanges()
        rows[uuid] = row
        order.append(uuid)
        return row
    }

    public func get(uuid: String, context: CertificateContext) throws -> X509KeyPair {
        guard let row = rows[uuid], context.canSee(row) else { throw MagnumError.x509KeyPairNotFound(uuid) }
        return row
    }

    public func delete(uuid: String) throws {
        guard rows.removeValue(forKey: uuid) != nil else { throw MagnumError.x509KeyPairNotFound(uuid) }
        order.removeAll { $0 == uuid }
    }

    /// Every row, oldest first (for tests and tools).
    public func all() -> [X509KeyPair] { order.compactMap { rows[$0] } }

    public var count: Int { rows.count }
}
