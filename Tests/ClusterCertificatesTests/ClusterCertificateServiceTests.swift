import Crypto
import Foundation
import JSON
import Logging
import Testing
import TestSupport
import X509
@testable import ClusterCertificates
@testable import MagnumObjects

/// `cert_manager.py` and `ca_conductor.py` over the in-memory store.
typealias X509Certificate = X509.Certificate

@Suite struct ClusterCertificateServiceTests {
    static let owner = CertificateContext(projectId: "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", userId: "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b")

    static func cluster(name: String? = "prod-east", status: ClusterStatus = .createComplete) -> MagnumObjects.Cluster {
        var cluster = MagnumObjects.Cluster()
        cluster.id = 1
        cluster.uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
        cluster.name = name
        cluster.projectId = owner.projectId
        cluster.userId = owner.userId
        cluster.status = status
        cluster.caCertRef = nil
        cluster.magnumCertRef = nil
        cluster.etcdCACertRef = nil
        cluster.frontProxyCACertRef = nil
        cluster.resetChanges()
        return cluster
    }

    struct Generated: Sendable {
        let cluster: MagnumObjects.Cluster
        let rows: [X509KeyPair]
        let logs: [String]
    }

    /// One cluster's certificates, generated once for the suite (four RSA-2048 keys).
    static let generated = Task<Generated, any Error> {
        let logs = CapturedLogs()
        let store = InMemoryX509KeyPairStore()
        let service = ClusterCertificateService(store: store, options: .defaults, logger: logs.logger())
        var cluster = Self.cluster()
        try await service.generateCertificates(for: &cluster, context: owner)
        return Generated(cluster: cluster, rows: await store.all(), logs: logs.all)
    }

    /// A fresh store holding copies of the generated rows (same uuids), for tests that change it.
    static func service(logs: CapturedLogs = CapturedLogs()) async throws -> (ClusterCertificateService, InMemoryX509KeyPairStore, MagnumObjects.Cluster) {
        let generated = try await generated.value
        let store = InMemoryX509KeyPairStore()
        for row in generated.rows { _ = try await store.create(row) }
        return (ClusterCertificateService(store: store, options: .defaults, logger: logs.logger()), store, generated.cluster)
    }

    static func row(_ type: ClusterCAType, _ generated: Generated) throws -> X509KeyPair {
        let ref = try #require(type.ref(in: generated.cluster))
        return try #require(generated.rows.first { $0.uuid == ref })
    }

    static func ecCSR(commonName: String = "system:node:node-1", dnsNames: [String] = ["node-1"]) throws -> String {
        let key = P256.Signing.PrivateKey()
        let extensions = try X509Certificate.Extensions { SubjectAlternativeNames(dnsNames.map { .dnsName($0) }) }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) },
            privateKey: X509Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: extensions))]),
            signatureAlgorithm: .ecdsaWithSHA256)
        return try csr.serializeAsPEM().pemString
    }

    // MARK: generate_certificates_to_cluster

    @Test func generationSetsTheFourRefsAndStoresFourKeyPairs() async throws {
        let generated = try await Self.generated.value
        let cluster = generated.cluster
        let refs = ClusterCAType.allCases.compactMap { $0.ref(in: cluster) }
        #expect(refs.count == 4)
        #expect(Set(refs).count == 4)
        #expect(Set(cluster.changedFields) == ["ca_cert_ref", "etcd_ca_cert_ref", "front_proxy_ca_cert_ref", "magnum_cert_ref"])
        #expect(generated.rows.count == 4)
        #expect(Set(generated.rows.compactMap(\.uuid)) == Set(refs))
        var passphrases: Set<String> = []
        for row in generated.rows {
            #expect(row.projectId == Self.owner.projectId)
            #expect(row.userId == Self.owner.userId)
            #expect(row.intermediates == nil)
            let passphrase = try #require(row.privateKeyPassphrase)
            #expect(passphrase.count == 12)
            passphrases.insert(passphrase)
            #expect(row.privateKey?.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----") == true)
            _ = try RSAPrivateKey(pemEncoded: try #require(row.privateKey), passphrase: KeyPassphrase(passphrase))
        }
        #expect(passphrases.count == 4)

        let kubernetes = try X509Certificate(pemEncoded: try #require(Self.row(.kubernetes, generated).certificate))
        let etcd = try X509Certificate(pemEncoded: try #require(Self.row(.etcd, generated).certificate))
        let frontProxy = try X509Certificate(pemEncoded: try #require(Self.row(.frontProxy, generated).certificate))
        let client = try X509Certificate(pemEncoded: try #require(Self.row(.serviceAccount, generated).certificate))
        for ca in [kubernetes, etcd, frontProxy] {
            #expect(ca.subject.description == "CN=prod-east")
            #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
            #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        }
        #expect(Set([kubernetes.publicKey, etcd.publicKey, frontProxy.publicKey]).count == 3)
        #expect(client.subject.description == "O=system:masters,CN=admin")
        #expect(kubernetes.publicKey.isValidSignature(client.signature, for: client))
        #expect(!etcd.publicKey.isValidSignature(client.signature, for: client))
    }

    @Test func generationLogsNoSecrets() async throws {
        let generated = try await Self.generated.value
        #expect(generated.logs.contains { $0.contains("cert is created") })
        #expect(generated.logs.allSatisfy { $0.contains("cluster_uuid=0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02") })
        for row in generated.rows {
            let passphrase = try #require(row.privateKeyPassphrase)
            let keyLine = try #require(row.privateKey?.split(separator: "\n").dropFirst().first)
            for line in generated.logs {
                #expect(!line.contains(passphrase))
                #expect(!line.contains(keyLine))
            }
            #expect(!"\(row)".contains(passphrase))
            #expect(!"\(row)".contains(keyLine))
        }
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func magnumOpensTheStoredRowsAsItsOwn() async throws {
        let generated = try await Self.generated.value
        var ops: [JSONValue] = []
        for type in ClusterCAType.allCases {
            let row = try Self.row(type, generated)
            ops.append(["op": "decrypt_key", "key": JSONValue(row.privateKey), "password": JSONValue(row.privateKeyPassphrase)])
        }
        let kubernetes = try #require(Self.row(.kubernetes, generated).certificate)
        ops.append(["op": "verify_issued", "pem": JSONValue(try Self.row(.serviceAccount, generated).certificate), "ca_pem": .string(kubernetes)])
        let answers = try await MagnumX509Peer.run(ops)
        for (type, answer) in zip(ClusterCAType.allCases, answers) {
            let row = try Self.row(type, generated)
            let ours = try RSAPrivateKey(pemEncoded: try #require(row.privateKey), passphrase: row.privateKeyPassphrase.map(KeyPassphrase.init))
            #expect(try answer.string("pem") == ours.unencryptedPKCS8PEM, "\(type)")
        }
        #expect(answers[4]["ok"] == .bool(true))
    }

    @Test func aClusterWithoutNameIsNamedByItsUUID() {
        #expect(ClusterCertificateService.issuerName(of: Self.cluster(name: nil)) == "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02")
        #expect(ClusterCertificateService.issuerName(of: Self.cluster()) == "prod-east")
    }

    @Test func anUnusableNameFailsLikeMagnumAndStoresNothing() async throws {
        let logs = CapturedLogs()
        let store = InMemoryX509KeyPairStore()
        let service = ClusterCertificateService(store: store, options: .defaults, logger: logs.logger())
        var cluster = Self.cluster(name: String(repeating: "x", count: 65))
        let before = cluster
        let error = try await #require(throws: MagnumError.self) { try await service.generateCertificates(for: &cluster, context: Self.owner) }
        #expect(error.className == "CertificatesToClusterFailed")
        #expect(error.message == "Failed to create certificates for Cluster: 0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02")
        #expect(cluster == before)
        #expect(await store.count == 0)
        #expect(logs.all.contains { $0.hasPrefix("error") && $0.contains("64 bytes") })
    }

    @Test func aStoreFailureRemovesWhatWasStored() async throws {
        let inner = InMemoryX509KeyPairStore()
        let store = FailingStore(inner: inner, failOnCreate: 3)
        let service = ClusterCertificateService(store: store, options: .defaults, logger: CapturedLogs().logger())
        var cluster = Self.cluster()
        let error = try await #require(throws: MagnumError.self) { try await service.generateCertificates(for: &cluster, context: Self.owner) }
        #expect(error.className == "CertificatesToClusterFailed")
        #expect(await inner.count == 0)
        #expect(cluster.caCertRef == nil)
    }

    // MARK: Reading and signing

    @Test func caCertificatesFollowMagnumsTypeMapping() async throws {
        let (service, _, cluster) = try await Self.service()
        let generated = try await Self.generated.value
        let expected: [(String?, ClusterCAType)] = [
            (nil, .kubernetes), ("kubernetes", .kubernetes), ("etcd", .etcd), ("front_proxy", .frontProxy),
            ("front-proxy", .frontProxy), ("service-account", .kubernetes), ("bogus", .kubernetes),
        ]
        for (given, type) in expected {
            let pem = try await service.caCertificatePEM(of: cluster, caCertType: given, context: Self.owner)
            #expect(pem == (try Self.row(type, generated).certificate), "\(given ?? "None")")
        }
    }

    @Test func nodeCertificatesAreSignedByTheRequestedCA() async throws {
        let (service, _, cluster) = try await Self.service()
        let generated = try await Self.generated.value
        let csr = try Self.ecCSR()
        for (given, type) in [(String?.none, ClusterCAType.kubernetes), ("etcd", .etcd), ("front-proxy", .frontProxy)] {
            let pem = try await service.signNodeCertificate(cluster: cluster, csr: csr, caCertType: given, context: Self.owner)
            let cert = try X509Certificate(pemEncoded: pem)
            let ca = try X509Certificate(pemEncoded: try #require(Self.row(type, generated).certificate))
            #expect(ca.publicKey.isValidSignature(cert.signature, for: cert), "\(type)")
            #expect(cert.issuer.description == "CN=prod-east")
            #expect(cert.subject.description == "CN=system:node:node-1")
            #expect(try cert.extensions.subjectAlternativeNames == SubjectAlternativeNames([.dnsName("node-1")]))
            #expect(P256.Signing.PublicKey(cert.publicKey) != nil, "the CSR's EC key is kept")
        }
    }

    @Test func signCertificateAndGetCACertificateAnswerWithCertificateObjects() async throws {
        let (service, _, cluster) = try await Self.service()
        let generated = try await Self.generated.value
        var request = MagnumObjects.Certificate()
        request.projectId = Self.owner.projectId
        request.userId = Self.owner.userId
        request.clusterUUID = cluster.uuid
        request.csr = try Self.ecCSR()
        // ca_cert_type not set: Magnum signs with the Kubernetes CA.
        let signed = try await service.signCertificate(cluster: cluster, certificate: request, context: Self.owner)
        #expect(signed.csr == request.csr)
        #expect(signed.clusterUUID == cluster.uuid)
        let cert = try X509Certificate(pemEncoded: try #require(signed.pem))
        let kubernetes = try X509Certificate(pemEncoded: try #require(Self.row(.kubernetes, generated).certificate))
        #expect(kubernetes.publicKey.isValidSignature(cert.signature, for: cert))
        #expect(signed.changedFields.last == "pem")

        var etcdRequest = request
        etcdRequest.caCertType = "etcd"
        let etcdSigned = try await service.signCertificate(cluster: cluster, certificate: etcdRequest, context: Self.owner)
        let etcd = try X509Certificate(pemEncoded: try #require(Self.row(.etcd, generated).certificate))
        #expect(etcd.publicKey.isValidSignature(try X509Certificate(pemEncoded: try #require(etcdSigned.pem)).signature,
                                                for: try X509Certificate(pemEncoded: try #require(etcdSigned.pem))))

        let ca = try await service.getCACertificate(cluster: cluster, caCertType: "etcd", context: Self.owner)
        #expect(ca.pem == (try Self.row(.etcd, generated).certificate))
        #expect(ca.projectId == cluster.projectId && ca.userId == cluster.userId && ca.clusterUUID == cluster.uuid)
        #expect(!ca.isSet("ca_cert_type") && !ca.isSet("csr"))
        #expect(Array(ca.changedFields) == ["project_id", "user_id", "cluster_uuid", "pem"])
    }

    @Test func badCSRsAreMagnumErrors() async throws {
        let (service, _, cluster) = try await Self.service()
        let invalid = try await #require(throws: MagnumError.self) {
            try await service.signNodeCertificate(cluster: cluster, csr: "garbage", caCertType: nil, context: Self.owner)
        }
        #expect(invalid.className == "InvalidCsr")
        #expect(invalid.message == "Received invalid csr b'garbage'.")
        let missing = try await #require(throws: MagnumError.self) {
            try await service.signNodeCertificate(cluster: cluster, csr: nil, caCertType: nil, context: Self.owner)
        }
        #expect(missing.className == "InvalidCsr")
    }

    @Test func keyPairsAreScopedToTheirProject() async throws {
        let (service, _, cluster) = try await Self.service()
        let stranger = CertificateContext(projectId: "another-project", userId: "someone")
        let error = try await #require(throws: MagnumError.self) {
            try await service.caCertificatePEM(of: cluster, caCertType: nil, context: stranger)
        }
        #expect(error.className == "X509KeyPairNotFound")
        #expect(error.message == "A key pair \(cluster.caCertRef ?? "") could not be found.")
        #expect(error.code == 404)
        let admin = CertificateContext(projectId: "admin-project", userId: "admin", isAdmin: true, allTenants: true)
        _ = try await service.caCertificatePEM(of: cluster, caCertType: nil, context: admin)
        let adminWithoutAllTenants = CertificateContext(projectId: "admin-project", userId: "admin", isAdmin: true)
        await #expect(throws: MagnumError.self) { try await service.caCertificatePEM(of: cluster, caCertType: nil, context: adminWithoutAllTenants) }
    }

    @Test func aClusterWithoutCertificatesHasNoKeyPair() async throws {
        let service = ClusterCertificateService(store: InMemoryX509KeyPairStore(), options: .defaults, logger: CapturedLogs().logger())
        let error = try await #require(throws: MagnumError.self) {
            try await service.getCACertificate(cluster: Self.cluster(), caCertType: nil, context: Self.owner)
        }
        #expect(error.message == "A key pair None could not be found.")
    }

    @Test func aStoredKeyThatDoesNotOpenIsReportedWithoutItsPassphrase() async throws {
        let (service, store, cluster) = try await Self.service()
        let generated = try await Self.generated.value
        var row = try Self.row(.kubernetes, generated)
        try await store.delete(uuid: try #require(row.uuid))
        row.privateKeyPassphrase = "wrongwrong22"
        _ = try await store.create(row)
        let error = try await #require(throws: CertificateOperationError.self) {
            try await service.signNodeCertificate(cluster: cluster, csr: try Self.ecCSR(), caCertType: nil, context: Self.owner)
        }
        #expect(error.kind == .incorrectPassphrase)
        #expect(error.reason.contains(try #require(row.uuid)))
        #expect(!"\(error)".contains("wrongwrong22"))
    }

    @Test func certificateSecretsAreWhatTheCapiHelmDriverWrites() async throws {
        let (service, _, cluster) = try await Self.service()
        let secrets = try await service.certificateSecrets(of: cluster, context: Self.owner)
        #expect(secrets.map(\.type.capiHelmSecretSuffix) == ["ca", "etcd", "proxy", "sa"])
        for secret in secrets {
            #expect(secret.stringData.map(\.key) == ["tls.crt", "tls.key"])
            #expect(secret.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            let key = try RSAPrivateKey(pemEncoded: secret.privateKeyPEM, passphrase: nil)
            let cert = try X509Certificate(pemEncoded: secret.certificatePEM)
            #expect(cert.publicKey == X509Certificate.PublicKey(key.publicKey))
            let keyLine = String(secret.privateKeyPEM.split(separator: "\n")[1])
            var dumped = ""
            dump(secret, to: &dumped)
            for text in ["\(secret)", String(reflecting: secret), dumped, "\(secrets)"] { #expect(!text.contains(keyLine)) }
        }
    }

    // MARK: delete_certificates_from_cluster

    @Test func deleteRemovesAllFourKeyPairs() async throws {
        let logs = CapturedLogs()
        let (service, store, cluster) = try await Self.service(logs: logs)
        // Someone else's context cannot see them: nothing is deleted, each failure is logged.
        await service.deleteCertificates(from: cluster, context: CertificateContext(projectId: "other", userId: "x"))
        #expect(await store.count == 4)
        #expect(logs.all.filter { $0.hasPrefix("warning") }.count == 4)

        await service.deleteCertificates(from: cluster, context: Self.owner)
        #expect(await store.count == 0)
        await #expect(throws: MagnumError.self) { try await service.caCertificatePEM(of: cluster, caCertType: "etcd", context: Self.owner) }
        // Deleting again only logs.
        await service.deleteCertificates(from: cluster, context: Self.owner)
        #expect(logs.all.filter { $0.hasPrefix("warning") }.count == 8)
    }

    // MARK: rotate_ca_certificate

    @Test func rotationIsRefusedOutsideAStableStatus() async throws {
        let (service, store, _) = try await Self.service()
        let outcome = await service.rotateCACertificate(cluster: Self.cluster(status: .updateInProgress), context: Self.owner) { _ in
            Issue.record("the driver must not be called")
        }
        guard case .rejected(let error) = outcome else { Issue.record("expected a rejection, got \(outcome)"); return }
        #expect(error.className == "NotSupported")
        #expect(error.message == "Updating a cluster when status is \"UPDATE_IN_PROGRESS\" is not supported.")
        #expect(await store.count == 4)
    }

    @Test func aDriverWithoutRotationLeavesTheClusterOnItsCAs() async throws {
        let (service, store, cluster) = try await Self.service()
        let outcome = await service.rotateCACertificate(cluster: cluster, context: Self.owner) { rotated in
            #expect(rotated.caCertRef != cluster.caCertRef, "the driver sees the new refs")
            throw MagnumError("NotSupported", message: "'rotate_ca_certificate' is not supported by this driver.")
        }
        guard case .failed(let updated, let error) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect((error as? MagnumError)?.className == "NotSupported")
        #expect(updated.status == .updateFailed)
        #expect(updated.statusReason == "'rotate_ca_certificate' is not supported by this driver.")
        for type in ClusterCAType.allCases { #expect(type.ref(in: updated) == type.ref(in: cluster)) }
        #expect(await store.count == 4, "the new key pairs are deleted again")
    }

    @Test func rotationGivesTheClusterNewCAs() async throws {
        let (service, store, cluster) = try await Self.service()
        let outcome = await service.rotateCACertificate(cluster: cluster, context: Self.owner) { _ in }
        guard case .started(let updated) = outcome else { Issue.record("expected a start, got \(outcome)"); return }
        #expect(updated.status == .updateInProgress)
        #expect(updated.statusReason == nil)
        for type in ClusterCAType.allCases {
            #expect(type.ref(in: updated) != nil)
            #expect(type.ref(in: updated) != type.ref(in: cluster))
        }
        #expect(await store.count == 8)
        let pem = try await service.signNodeCertificate(cluster: updated, csr: try Self.ecCSR(), caCertType: nil, context: Self.owner)
        let newCA = try X509Certificate(pemEncoded: try await service.caCertificatePEM(of: updated, caCertType: nil, context: Self.owner))
        let cert = try X509Certificate(pemEncoded: pem)
        #expect(newCA.publicKey.isValidSignature(cert.signature, for: cert))
    }
}

/// A store whose n-th `create` fails, to check that generation cleans up after itself.
actor FailingStore: X509KeyPairStore {
    let inner: InMemoryX509KeyPairStore
    let failOnCreate: Int
    private var creates = 0

    init(inner: InMemoryX509KeyPairStore, failOnCreate: Int) {
        self.inner = inner
        self.failOnCreate = failOnCreate
    }

    struct Failure: Error {}

    func create(_ keyPair: X509KeyPair) async throws -> X509KeyPair {
        creates += 1
        if creates == failOnCreate { throw Failure() }
        return try await inner.create(keyPair)
    }

    func get(uuid: String, context: CertificateContext) async throws -> X509KeyPair { try await inner.get(uuid: uuid, context: context) }
    func delete(uuid: String) async throws { try await inner.delete(uuid: uuid) }
}
