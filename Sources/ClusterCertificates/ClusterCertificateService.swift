import Dispatch
public import Logging
public import MagnumObjects

/// A cluster's certificates the way magnum-conductor manages them with
/// `cert_manager_type = x509keypair`: `cert_manager.py` (generate, read, sign, delete) and the
/// certificate RPC handlers of `ca_conductor.py`, over an `X509KeyPairStore`.
///
/// Errors: `MagnumError` where Magnum raises one (`CertificatesToClusterFailed`,
/// `X509KeyPairNotFound`, `InvalidCsr`, `CertificateValidationError`, `NotSupported`), to send
/// back as the RPC failure; `CertificateOperationError` when a stored key cannot be opened (Magnum raises a
/// bare `ValueError` there); the store's own errors as they are. None of them carries a key or a
/// passphrase.
public struct ClusterCertificateService: Sendable {
    /// Subject of the admin client certificate (`magnum_cert_ref`): Kubernetes RBAC grants
    /// `system:masters` full access.
    public static let clientSubjectName = "admin"
    public static let clientOrganizationName = "system:masters"

    public let store: any X509KeyPairStore
    public let issuer: CertificateIssuer
    private let logger: Logger

    public init(store: any X509KeyPairStore, options: X509Options, logger: Logger) {
        self.store = store
        self.issuer = CertificateIssuer(options: options)
        self.logger = logger
    }

    /// `_get_issuer_name`: the cluster's name, or its uuid when it has none.
    public static func issuerName(of cluster: Cluster) -> String {
        cluster.name ?? cluster.uuid ?? ""
    }

    // MARK: generate_certificates_to_cluster

    /// Makes the cluster's Kubernetes, etcd and front-proxy CAs and the admin client certificate
    /// (signed by the Kubernetes CA), stores the four key pairs and sets `ca_cert_ref`,
    /// `etcd_ca_cert_ref`, `front_proxy_ca_cert_ref` and `magnum_cert_ref`.
    ///
    /// Any failure is `CertificatesToClusterFailed`, as in Magnum; unlike Magnum, the key pairs
    /// already stored are deleted again and the cluster is left unchanged.
    public func generateCertificates(for cluster: inout Cluster, context: CertificateContext) async throws(MagnumError) {
        let clusterUUID = cluster.uuid ?? "None"
        var logger = self.logger
        logger[metadataKey: "cluster_uuid"] = "\(clusterUUID)"
        let issuerName = Self.issuerName(of: cluster)
        logger.debug("Start to generate certificates", metadata: ["issuer": "\(issuerName)"])

        var stored: [ClusterCAType: String] = [:]
        do {
            // A name no certificate can carry fails before any key is made (Magnum finds out
            // after generating the first key).
            _ = try CertificateIssuer.name(commonName: issuerName, organization: nil)
            // The three CAs are independent: make their keys in parallel, off the cooperative pool.
            let issuer = self.issuer
            let cas = try await withThrowingTaskGroup(of: (ClusterCAType, IssuedKeyPair).self) { group in
                for type in [ClusterCAType.kubernetes, .etcd, .frontProxy] {
                    group.addTask {
                        (type, try await Self.offloaded { () throws(CertificateOperationError) in
                            try issuer.generateCACertificate(subjectName: issuerName, passphrase: .generate())
                        })
                    }
                }
                var result: [ClusterCAType: IssuedKeyPair] = [:]
                for try await (type, pair) in group { result[type] = pair }
                return result
            }
            guard let kubernetesCA = cas[.kubernetes], let etcdCA = cas[.etcd], let frontProxyCA = cas[.frontProxy] else {
                throw CertificateOperationError(.generationFailed, "a CA was not generated")
            }
            let client = try await Self.offloaded { () throws(CertificateOperationError) in
                try issuer.generateClientCertificate(issuerName: issuerName, subjectName: Self.clientSubjectName,
                                                     organizationName: Self.clientOrganizationName,
                                                     caKey: kubernetesCA.privateKey, passphrase: .generate())
            }
            for (type, pair) in [(ClusterCAType.kubernetes, kubernetesCA), (.etcd, etcdCA), (.frontProxy, frontProxyCA), (.serviceAccount, client)] {
                stored[type] = try await store(pair, context: context)
                logger.debug("\(type == .serviceAccount ? "Magnum client" : "CA") cert is created",
                             metadata: ["type": "\(type.rawValue)", "x509keypair": "\(stored[type] ?? "")"])
            }
        } catch {
            logger.error("Failed to generate certificates for Cluster", metadata: ["error": "\(error)"])
            for uuid in stored.values {
                do {
                    try await store.delete(uuid: uuid)
                } catch {
                    logger.warning("Could not delete a key pair of the failed generation", metadata: ["x509keypair": "\(uuid)", "error": "\(error)"])
                }
            }
            throw MagnumError("CertificatesToClusterFailed", ["cluster_uuid": cluster.uuid.map { .string($0) } ?? .null])
        }
        for type in ClusterCAType.allCases { type.setRef(stored[type], in: &cluster) }
    }

    private func store(_ pair: IssuedKeyPair, context: CertificateContext) async throws -> String {
        var row = X509KeyPair()
        row.certificate = pair.certificatePEM
        row.privateKey = pair.encryptedPrivateKeyPEM
        row.privateKeyPassphrase = pair.passphrase.secret
        row.intermediates = nil
        row.projectId = context.projectId
        row.userId = context.userId
        let created = try await store.create(row)
        guard let uuid = created.uuid else {
            throw CertificateOperationError(.generationFailed, "the key pair store returned a row without a uuid")
        }
        return uuid
    }

    // MARK: Reading (get_cluster_ca_certificate, get_cluster_magnum_cert)

    /// The stored key pair of one of the cluster's CAs (or of its admin client certificate for
    /// `.serviceAccount`). `X509KeyPairNotFound` when the cluster has no such ref or the context
    /// may not see it.
    public func keyPair(_ type: ClusterCAType, of cluster: Cluster, context: CertificateContext) async throws -> X509KeyPair {
        guard let ref = type.ref(in: cluster) else { throw MagnumError.x509KeyPairNotFound(nil) }
        return try await store.get(uuid: ref, context: context)
    }

    /// `get_cluster_ca_certificate(cluster, ca_cert_type)`: the CA certificate PEM, with Magnum's
    /// mapping of `ca_cert_type` (see `ClusterCAType(magnumCACertType:)`).
    public func caCertificatePEM(of cluster: Cluster, caCertType: String?, context: CertificateContext) async throws -> String {
        let pair = try await keyPair(ClusterCAType(magnumCACertType: caCertType), of: cluster, context: context)
        return pair.certificate ?? ""
    }

    /// Opens a stored key pair's private key with its stored passphrase.
    public func privateKey(of pair: X509KeyPair, what: String) throws(CertificateOperationError) -> RSAPrivateKey {
        do {
            return try RSAPrivateKey(pemEncoded: pair.privateKey ?? "", passphrase: pair.privateKeyPassphrase.map(KeyPassphrase.init))
        } catch {
            throw CertificateOperationError(error.kind, "\(what) (x509keypair \(pair.uuid ?? "None")): \(error.reason)")
        }
    }

    // MARK: sign_node_certificate

    /// Signs a CSR with one of the cluster's CAs (`ca_cert_type` mapped as Magnum maps it);
    /// returns the certificate PEM without a trailing newline.
    public func signNodeCertificate(cluster: Cluster, csr: String?, caCertType: String?, context: CertificateContext) async throws -> String {
        let type = ClusterCAType(magnumCACertType: caCertType)
        let pair = try await keyPair(type, of: cluster, context: context)
        let caKey = try privateKey(of: pair, what: "the \(type.rawValue) CA key of cluster \(cluster.uuid ?? "None")")
        guard let csr else {
            throw MagnumError("InvalidCsr", ["csr": "None"])
        }
        do {
            return try issuer.sign(csrPEM: csr, issuerName: Self.issuerName(of: cluster), caKey: caKey)
        } catch {
            if let magnumError = error.magnumError {
                logger.info("Refused to sign a CSR", metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")", "reason": "\(error.reason)"])
                throw magnumError
            }
            throw error
        }
    }

    // MARK: delete_certificates_from_cluster

    /// Deletes the cluster's key pairs. Failures are logged and skipped, as in Magnum. Magnum
    /// deletes only `ca_cert_ref` and `magnum_cert_ref` and leaves the etcd and front-proxy CAs
    /// behind; we delete all four.
    public func deleteCertificates(from cluster: Cluster, context: CertificateContext) async {
        for type in ClusterCAType.allCases {
            guard let ref = type.ref(in: cluster) else { continue }
            do {
                let pair = try await store.get(uuid: ref, context: context)
                try await store.delete(uuid: pair.uuid ?? ref)
            } catch {
                logger.warning("Deleting certs is failed for Cluster",
                               metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")", "x509keypair": "\(ref)", "error": "\(error)"])
            }
        }
    }

    // MARK: The capi-helm driver's certificate secrets

    /// What magnum-capi-helm's `get_certificate_string_data` hands to Cluster API: for the
    /// Kubernetes, etcd and front-proxy CAs and the service-account key, the certificate and the
    /// decrypted private key. The result holds secrets.
    public func certificateSecrets(of cluster: Cluster, context: CertificateContext) async throws -> [ClusterCertificateSecret] {
        var result: [ClusterCertificateSecret] = []
        for type in ClusterCAType.allCases {
            let pair = try await keyPair(type, of: cluster, context: context)
            let key = try privateKey(of: pair, what: "the \(type.rawValue) key of cluster \(cluster.uuid ?? "None")")
            result.append(ClusterCertificateSecret(type: type, certificatePEM: pair.certificate ?? "", privateKeyPEM: key.unencryptedPKCS8PEM))
        }
        return result
    }

    // MARK: ca_conductor.Handler

    /// `sign_certificate`: signs `certificate.csr` with the CA its `ca_cert_type` names (the
    /// Kubernetes CA when the field is not set) and returns the object with `pem` set.
    public func signCertificate(cluster: Cluster, certificate: MagnumObjects.Certificate, context: CertificateContext) async throws -> MagnumObjects.Certificate {
        let caCertType = certificate.isSet("ca_cert_type") ? certificate.caCertType : "kubernetes"
        var signed = certificate
        signed.pem = try await signNodeCertificate(cluster: cluster, csr: certificate.csr, caCertType: caCertType, context: context)
        return signed
    }

    /// `get_ca_certificate`: a new `Certificate` for the cluster (project, user, cluster uuid)
    /// with `pem` the CA certificate.
    public func getCACertificate(cluster: Cluster, caCertType: String?, context: CertificateContext) async throws -> MagnumObjects.Certificate {
        let pem = try await caCertificatePEM(of: cluster, caCertType: caCertType, context: context)
        var certificate = MagnumObjects.Certificate()
        certificate.projectId = cluster.projectId
        certificate.userId = cluster.userId
        certificate.clusterUUID = cluster.uuid
        certificate.pem = pem
        return certificate
    }

    /// Statuses from which `rotate_ca_certificate` may start.
    public static let rotatableStatuses: Set<ClusterStatus> = [
        .createComplete, .updateComplete, .resumeComplete, .restoreComplete, .rollbackComplete,
        .snapshotComplete, .checkComplete, .adoptComplete,
    ]

    /// `rotate_ca_certificate`: new certificates for the cluster, then `rotate` (the driver's
    /// `rotate_ca_certificate`) with the cluster carrying the new refs.
    ///
    /// The caller saves the cluster and sends notifications as the outcome says. Unlike Magnum,
    /// which saves the new refs even when the driver fails (the capi-helm driver always does:
    /// it does not support rotation), a failure restores the old refs and deletes the new key
    /// pairs, so the cluster keeps pointing at the CAs it actually runs with.
    public func rotateCACertificate(cluster: Cluster, context: CertificateContext,
                                    rotate: @Sendable (Cluster) async throws -> Void) async -> CARotation {
        guard let status = cluster.status, Self.rotatableStatuses.contains(status) else {
            let shown = cluster.status?.rawValue ?? "None"
            return .rejected(MagnumError.notSupported("Updating a cluster when status is \"\(shown)\""))
        }
        var updated = cluster
        var generated = false
        do {
            try await generateCertificates(for: &updated, context: context)
            generated = true
            try await rotate(updated)
            updated.status = .updateInProgress
            updated.statusReason = nil
            return .started(updated)
        } catch {
            if generated {
                let fresh = updated
                await deleteCertificates(from: fresh, context: context)
                for type in ClusterCAType.allCases { type.setRef(type.ref(in: cluster), in: &updated) }
            }
            updated.status = .updateFailed
            updated.statusReason = (error as? MagnumError)?.message ?? "\(error)"
            return .failed(updated, error)
        }
    }

    /// Runs CPU-heavy work (RSA key generation) on a Dispatch thread, so it does not hold a
    /// thread of Swift's cooperative pool for its whole duration.
    static func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws(CertificateOperationError) -> T) async throws(CertificateOperationError) -> T {
        let result: Result<T, CertificateOperationError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Result { () throws(CertificateOperationError) in try work() })
            }
        }
        return try result.get()
    }
}

/// How `rotate_ca_certificate` ended, and so what the caller saves, notifies and replies.
public enum CARotation: Sendable {
    /// The cluster's status does not allow it (`NotSupported`): nothing changed, nothing to
    /// save; notify the failure and reply with the error.
    case rejected(MagnumError)
    /// New certificates and the driver accepted them: save the cluster (new refs,
    /// `UPDATE_IN_PROGRESS`) and reply with it.
    case started(Cluster)
    /// Generation or the driver failed: save the cluster (old refs, `UPDATE_FAILED` with the
    /// reason), notify the failure, reply with the error.
    case failed(Cluster, any Error)
}

/// One of the capi-helm driver's certificate Secrets: a certificate and its decrypted key.
/// Prints without the key.
public struct ClusterCertificateSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let type: ClusterCAType
    public let certificatePEM: String
    /// Unencrypted PKCS#8 PEM. A secret.
    public let privateKeyPEM: String

    /// The Secret's `stringData`.
    public var stringData: [(key: String, value: String)] {
        [("tls.crt", certificatePEM), ("tls.key", privateKeyPEM)]
    }

    public var description: String { "ClusterCertificateSecret(\(type.rawValue), tls.key: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["type": type], displayStyle: .struct) }
}
