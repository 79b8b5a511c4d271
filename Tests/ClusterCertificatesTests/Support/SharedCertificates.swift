import ClusterCertificates
import Foundation

/// Keys and certificates made once for the whole suite: RSA-2048 generation takes 0.1 to 0.8 s
/// in a debug build, so tests that only need "a CA" share these.
enum SharedCertificates {
    static let issuer = CertificateIssuer(options: .defaults)
    static let caPassphrase = KeyPassphrase("k3y5ecretpw2")

    /// A cluster CA made by us, as the service makes them.
    static let ca: Result<IssuedKeyPair, CertificateOperationError> = Result { () throws(CertificateOperationError) in
        try issuer.generateCACertificate(subjectName: "prod-east", passphrase: caPassphrase)
    }

    /// The admin client certificate signed by `ca`.
    static let client: Result<IssuedKeyPair, CertificateOperationError> = Result { () throws(CertificateOperationError) in
        try issuer.generateClientCertificate(issuerName: "prod-east", subjectName: "admin", organizationName: "system:masters",
                                             caKey: try ca.get().privateKey, passphrase: KeyPassphrase("cl1entpass77"))
    }
}
