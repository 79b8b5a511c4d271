import ClusterCertificates
import Foundation

/// Keys and certificates made once for the whole suite: RSA-2048 generation takes 0.1 to 0.8 s
/// in a debug build, so tests that only need "a CA" share these. Tasks, so that tests waiting
/// for them suspend instead of blocking a thread.
enum SharedCertificates {
    static let issuer = CertificateIssuer(options: .defaults)
    static let caPassphrase = KeyPassphrase("k3y5ecretpw2")

    /// A cluster CA made by us, as the service makes them.
    static let caTask = Task<IssuedKeyPair, any Error> {
        try issuer.generateCACertificate(subjectName: "prod-east", passphrase: caPassphrase)
    }

    /// The admin client certificate signed by `ca`.
    static let clientTask = Task<IssuedKeyPair, any Error> {
        try issuer.generateClientCertificate(issuerName: "prod-east", subjectName: "admin", organizationName: "system:masters",
                                             caKey: try await caTask.value.privateKey, passphrase: KeyPassphrase("cl1entpass77"))
    }

    static var ca: IssuedKeyPair { get async throws { try await caTask.value } }
    static var client: IssuedKeyPair { get async throws { try await clientTask.value } }
}
