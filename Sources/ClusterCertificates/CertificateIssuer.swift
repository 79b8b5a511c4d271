public import Foundation
import SwiftASN1
public import X509

/// A certificate and its new private key, as Magnum's `generate_ca_certificate` /
/// `generate_client_certificate` return them, with the passphrase the key is encrypted with.
/// Its descriptions show the certificate's subject, never the key or the passphrase.
public struct IssuedKeyPair: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// PEM, without a trailing newline (Magnum strips it).
    public let certificatePEM: String
    /// Encrypted PKCS#8 PEM, as stored in `X509KeyPair.private_key`. A secret.
    public let encryptedPrivateKeyPEM: String
    public let passphrase: KeyPassphrase
    public let privateKey: RSAPrivateKey
    public let certificate: Certificate

    public var description: String {
        "IssuedKeyPair(subject: \(certificate.subject), serial: \(certificate.serialNumber), private key: <redacted>)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["certificatePEM": certificatePEM], displayStyle: .struct) }
}

/// Makes certificates exactly as Magnum's `magnum.common.x509.operations` does.
///
/// Every certificate is X.509 v3, signed with SHA-256 and RSA (PKCS#1 v1.5), serial number a
/// random UUID4 as an integer, valid from one day before now for `[x509] term_of_validity`
/// days, issuer `CN=<issuer name>` only, and ends with a non-critical subject key identifier
/// (SHA-1 of the public key). Keys are RSA with exponent 65537 and `[x509] rsa_key_size` bits,
/// stored as PKCS#8 encrypted with a fresh `short_id` passphrase.
///
/// Python takes "now" from the local clock (`datetime.today()`); we use UTC, which is the same
/// on the usual UTC-configured hosts and right on the others.
public struct CertificateIssuer: Sendable {
    public let options: X509Options

    public init(options: X509Options) {
        self.options = options
    }

    // MARK: Generation (operations.generate_ca_certificate / generate_client_certificate)

    /// A self-signed CA: subject and issuer `CN=<subjectName>`, basic constraints CA with path
    /// length 0 (critical), key usage certificate signing only (critical).
    public func generateCACertificate(subjectName: String, passphrase: KeyPassphrase, now: Date = Date()) throws(CertificateOperationError) -> IssuedKeyPair {
        let key = try RSAPrivateKey.generate(bits: options.rsaKeySize)
        let extensions = [
            try Self.basicConstraints(isCA: true, pathLength: 0, critical: true),
            Certificate.Extension(oid: .X509ExtensionID.keyUsage, critical: true, value: KeyUsageBits([.keyCertSign]).derEncoded[...]),
        ]
        let subject = try Self.name(commonName: subjectName, organization: nil)
        let certificate = try issue(subject: subject, publicKey: Certificate.PublicKey(key.publicKey), extensions: extensions,
                                    issuerName: subjectName, signingKey: key, now: now)
        return try Self.keyPair(certificate, key: key, passphrase: passphrase)
    }

    /// A client certificate signed by the CA: subject `CN=<subjectName>, O=<organizationName>`,
    /// key usage digital signature and key encipherment (critical), extended key usage client
    /// auth, basic constraints not a CA (critical).
    public func generateClientCertificate(issuerName: String, subjectName: String, organizationName: String?,
                                          caKey: RSAPrivateKey, passphrase: KeyPassphrase, now: Date = Date()) throws(CertificateOperationError) -> IssuedKeyPair {
        let key = try RSAPrivateKey.generate(bits: options.rsaKeySize)
        let extensions = [
            Certificate.Extension(oid: .X509ExtensionID.keyUsage, critical: true,
                                  value: KeyUsageBits([.digitalSignature, .keyEncipherment]).derEncoded[...]),
            try Self.extendedKeyUsageClientAuth(),
            try Self.basicConstraints(isCA: false, pathLength: nil, critical: true),
        ]
        let subject = try Self.name(commonName: subjectName, organization: organizationName)
        let certificate = try issue(subject: subject, publicKey: Certificate.PublicKey(key.publicKey), extensions: extensions,
                                    issuerName: issuerName, signingKey: caKey, now: now)
        return try Self.keyPair(certificate, key: key, passphrase: passphrase)
    }

    // MARK: Signing a CSR (operations.sign)

    /// Signs a user's PEM CSR with the CA key: the CSR's subject and public key, its extensions
    /// filtered by the `[x509]` options (`ExtensionPolicy`), issuer `CN=<issuerName>`.
    ///
    /// Returns the PEM without a trailing newline. Throws `.invalidCSR` (Magnum's `InvalidCsr`)
    /// for a CSR that does not parse, and — unlike Magnum, which signs it — for one whose
    /// signature does not verify; `.extensionNotAllowed` (`CertificateValidationError`) as
    /// Magnum's validator does.
    public func sign(csrPEM: String, issuerName: String, caKey: RSAPrivateKey, now: Date = Date()) throws(CertificateOperationError) -> String {
        let request: CertificateSigningRequest
        let requested: [Certificate.Extension]
        do {
            guard let block = PEMBlock.first(in: csrPEM, labels: ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]) else {
                throw CertificateOperationError.invalidCSR(csrPEM, detail: "no PEM CERTIFICATE REQUEST block")
            }
            do {
                request = try CertificateSigningRequest(derEncoded: block.der)
                requested = Array(try request.attributes.extensionRequest?.extensions ?? Certificate.Extensions())
            } catch {
                throw CertificateOperationError.invalidCSR(csrPEM, detail: "the CSR does not parse: \(error)")
            }
            guard request.publicKey.isValidSignature(request.signature, for: request) else {
                throw CertificateOperationError.invalidCSR(csrPEM, detail: "the CSR's signature does not verify with its public key")
            }
        } catch let error as CertificateOperationError {
            throw error
        } catch {
            throw CertificateOperationError.invalidCSR(csrPEM, detail: "\(error)")
        }
        var extensions: [Certificate.Extension]
        do {
            extensions = try ExtensionPolicy(options: options).filter(requested)
        } catch where error.kind == .invalidCSR && error.magnumError == nil {
            throw CertificateOperationError.invalidCSR(csrPEM, detail: error.reason)
        }
        if let ski = extensions.first(where: { $0.oid == .X509ExtensionID.subjectKeyIdentifier }) {
            // Magnum adds its own subject key identifier after the CSR's; cryptography then
            // refuses the duplicate with a bare ValueError. We refuse it as not allowed.
            throw .extensionNotAllowed(ski, detail: "the CSR carries a subject key identifier; the signer sets its own")
        }
        let certificate = try issue(subject: request.subject, publicKey: request.publicKey, extensions: extensions,
                                    issuerName: issuerName, signingKey: caKey, now: now)
        return try Self.pem(certificate)
    }

    // MARK: The common part (operations._generate_certificate + sign)

    func issue(subject: DistinguishedName, publicKey: Certificate.PublicKey, extensions: [Certificate.Extension],
               issuerName: String, signingKey: RSAPrivateKey, now: Date) throws(CertificateOperationError) -> Certificate {
        let issuer = try Self.name(commonName: issuerName, organization: nil)
        // cryptography drops sub-second precision.
        let second = Date(timeIntervalSince1970: (now.timeIntervalSince1970).rounded(.down))
        let day: TimeInterval = 86_400
        do {
            var all = try Certificate.Extensions(extensions)
            try all.append(Certificate.Extension(SubjectKeyIdentifier(hash: publicKey), critical: false))
            return try Certificate(
                version: .v3,
                serialNumber: Self.uuid4SerialNumber(),
                publicKey: publicKey,
                notValidBefore: second - day,
                notValidAfter: second + Double(options.termOfValidity) * day,
                issuer: issuer,
                subject: subject,
                signatureAlgorithm: .sha256WithRSAEncryption,
                extensions: all,
                issuerPrivateKey: Certificate.PrivateKey(signingKey.key))
        } catch {
            throw CertificateOperationError(.generationFailed, "the certificate could not be built or signed: \(error)")
        }
    }

    /// `int(uuid.uuid4())` as a serial number: 122 random bits, DER-encoded as a positive integer.
    static func uuid4SerialNumber() -> Certificate.SerialNumber {
        let u = UUID().uuid
        return Certificate.SerialNumber(bytes: [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])
    }

    /// `x509.Name([CN, O])`: each attribute its own RDN, as UTF8String. Like cryptography, a
    /// common name must be 1 to 64 bytes of UTF-8.
    static func name(commonName: String, organization: String?) throws(CertificateOperationError) -> DistinguishedName {
        let length = commonName.utf8.count
        guard (1...64).contains(length) else {
            throw CertificateOperationError(.invalidName, "a certificate common name must be 1 to 64 bytes of UTF-8, \(commonName.debugDescription) is \(length)")
        }
        var rdns = [RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: commonName))]
        if let organization, !organization.isEmpty {
            rdns.append(RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: organization)))
        }
        return DistinguishedName(rdns)
    }

    static func basicConstraints(isCA: Bool, pathLength: Int?, critical: Bool) throws(CertificateOperationError) -> Certificate.Extension {
        do {
            let value: BasicConstraints = isCA ? .isCertificateAuthority(maxPathLength: pathLength) : .notCertificateAuthority
            return try Certificate.Extension(value, critical: critical)
        } catch {
            throw CertificateOperationError(.generationFailed, "basic constraints: \(error)")
        }
    }

    static func extendedKeyUsageClientAuth() throws(CertificateOperationError) -> Certificate.Extension {
        do {
            return try Certificate.Extension(ExtendedKeyUsage([.clientAuth]), critical: false)
        } catch {
            throw CertificateOperationError(.generationFailed, "extended key usage: \(error)")
        }
    }

    /// PEM of a certificate without the trailing newline, as Magnum's `.strip()` leaves it.
    static func pem(_ certificate: Certificate) throws(CertificateOperationError) -> String {
        var serializer = DER.Serializer()
        do {
            try serializer.serialize(certificate)
        } catch {
            throw CertificateOperationError(.generationFailed, "the certificate could not be serialised: \(error)")
        }
        var pem = PEMBlock.encode(label: "CERTIFICATE", der: serializer.serializedBytes)
        while pem.last == "\n" { pem.removeLast() }
        return pem
    }

    static func keyPair(_ certificate: Certificate, key: RSAPrivateKey, passphrase: KeyPassphrase) throws(CertificateOperationError) -> IssuedKeyPair {
        IssuedKeyPair(certificatePEM: try pem(certificate),
                      encryptedPrivateKeyPEM: try key.encryptedPKCS8PEM(passphrase: passphrase),
                      passphrase: passphrase, privateKey: key, certificate: certificate)
    }
}
