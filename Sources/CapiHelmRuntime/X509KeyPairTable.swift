public import ClusterCertificates
public import ClusterStore
public import MagnumObjects

/// `X509KeyPairStore` over Magnum's `x509keypair` table in a `ClusterStore`: where the
/// `x509keypair` cert manager keeps cluster certificates, so certificates Magnum's conductor
/// made are read here and the other way round.
public struct X509KeyPairTable: X509KeyPairStore {
    public let store: any ClusterStore

    public init(store: any ClusterStore) {
        self.store = store
    }

    public func create(_ keyPair: X509KeyPair) async throws -> X509KeyPair {
        try await store.create(keyPair)
    }

    /// Magnum's tenant filter is the store's (`StoreContext` has the same rules).
    public func get(uuid: String, context: CertificateContext) async throws -> X509KeyPair {
        try await store.x509KeyPair(uuid: uuid, context: StoreContext(projectId: context.projectId, userId: context.userId,
                                                                      isAdmin: context.isAdmin, allTenants: context.allTenants))
    }

    public func delete(uuid: String) async throws {
        try await store.destroyX509KeyPair(.uuid(uuid))
    }
}
