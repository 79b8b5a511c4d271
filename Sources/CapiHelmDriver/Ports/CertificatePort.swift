public import MagnumObjects

/// One of the cluster's certificate authorities as Cluster API expects it in a
/// `<release>-<name>` Secret: `ca` (Kubernetes), `etcd`, `proxy` (front proxy) and `sa` (the
/// service-account key pair, Magnum's "magnum cert").
public struct ClusterCertificate: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// PEM certificate (`tls.crt`).
    public var certificate: String
    /// PEM private key, decrypted (`tls.key`).
    public var privateKey: String

    public init(name: String, certificate: String, privateKey: String) {
        self.name = name
        self.certificate = certificate
        self.privateKey = privateKey
    }

    public var description: String { "ClusterCertificate(\(name))" }
}

/// Magnum's certificate store (`ca_certificates.get_certificate_string_data`): the cluster's CA
/// certificates and keys, in the order `ca`, `etcd`, `proxy`, `sa`.
public protocol CertificatePort: Sendable {
    func certificates(for cluster: Cluster, context: RequestContext) async throws -> [ClusterCertificate]
}
