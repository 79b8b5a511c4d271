public import MagnumObjects

/// The parts of an RPC request context that Magnum's certificate storage uses: who owns a new
/// key pair, and which key pairs a read may see (`_add_tenant_filters`).
public struct CertificateContext: Sendable, Equatable {
    public var projectId: String?
    public var userId: String?
    public var isAdmin: Bool
    public var allTenants: Bool

    public init(projectId: String?, userId: String?, isAdmin: Bool = false, allTenants: Bool = false) {
        self.projectId = projectId
        self.userId = userId
        self.isAdmin = isAdmin
        self.allTenants = allTenants
    }

    /// Magnum's tenant filter: an admin asking for all tenants sees every row; otherwise rows of
    /// the context's project, or of its user when it has no project.
    public func canSee(_ keyPair: X509KeyPair) -> Bool {
        if isAdmin && allTenants { return true }
        if let projectId, !projectId.isEmpty { return keyPair.projectId == projectId }
        return keyPair.userId == userId
    }
}

/// Where `X509KeyPair` rows live: Magnum's `x509keypair` table (the database module), or memory
/// in tests. Mirrors the object methods Magnum's `x509keypair` cert manager calls.
///
/// Implementations throw `MagnumError` `X509KeyPairNotFound` / `X509KeyPairAlreadyExists` for
/// those conditions, and their own errors for storage failures.
public protocol X509KeyPairStore: Sendable {
    /// `X509KeyPair.create()`: inserts the row, giving it an `id`, a `uuid` when it has none
    /// (lower-case UUID4) and `created_at`; returns it as stored, with no pending changes.
    func create(_ keyPair: X509KeyPair) async throws -> X509KeyPair

    /// `X509KeyPair.get_by_uuid(context, uuid)`: the row when `context` may see it.
    func get(uuid: String, context: CertificateContext) async throws -> X509KeyPair

    /// `X509KeyPair.destroy()`: deletes the row by uuid.
    func delete(uuid: String) async throws
}

extension MagnumError {
    /// `X509KeyPairNotFound(x509keypair=ref)`; Magnum shows a missing ref as `None`.
    public static func x509KeyPairNotFound(_ ref: String?) -> MagnumError {
        MagnumError("X509KeyPairNotFound", ["x509keypair": ref.map { .string($0) } ?? .null])
    }
}
