public import CapiHelmDriver
public import ClusterCertificates
public import MagnumObjects

/// The driver's `CertificatePort` on `ClusterCertificateService`: magnum-capi-helm's
/// `ca_certificates.get_certificate_string_data` — the Kubernetes, etcd and front-proxy CAs and
/// the service-account key pair from Magnum's certificate store, keys decrypted, read with the
/// caller's context (Magnum's tenant filter applies), named for their Secrets (`ca`, `etcd`,
/// `proxy`, `sa`).
public struct CertificateServicePort: CertificatePort {
    public let service: ClusterCertificateService

    public init(service: ClusterCertificateService) {
        self.service = service
    }

    public func certificates(for cluster: Cluster, context: RequestContext) async throws -> [ClusterCertificate] {
        let scope = CertificateContext(projectId: context.projectId, userId: context.userId, isAdmin: context.isAdmin)
        return try await service.certificateSecrets(of: cluster, context: scope).map {
            ClusterCertificate(name: $0.type.capiHelmSecretSuffix, certificate: $0.certificatePEM, privateKey: $0.privateKeyPEM)
        }
    }
}
