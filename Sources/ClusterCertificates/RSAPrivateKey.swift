public import _CryptoExtras
import Crypto
import Foundation
import SwiftASN1

/// An RSA private key as Magnum keeps them: generated with exponent 65537, stored as an
/// encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`), opened with the passphrase
/// stored beside it.
///
/// Reads what Python's `load_pem_private_key` reads for RSA keys: encrypted PKCS#8 (PBES2 with
/// PBKDF2 and AES-CBC), plain PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), and PKCS#1 with
/// OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` AES encryption.
///
/// Its descriptions never show key material.
public struct RSAPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let key: _RSA.Signing.PrivateKey

    init(_ key: _RSA.Signing.PrivateKey) {
        self.key = key
    }

    /// Size of the modulus in bits.
    public var keySizeInBits: Int { key.keySizeInBits }

    /// The public half, for a certificate.
    public var publicKey: _RSA.Signing.PublicKey { key.publicKey }

    /// A new key with public exponent 65537, as `rsa.generate_private_key(65537, bits)`.
    /// `bits` must be a multiple of 128 from 1024 to 16384 (`X509Options` checks the configured
    /// size when it is read).
    public static func generate(bits: Int) throws(CertificateOperationError) -> RSAPrivateKey {
        guard (1024...16384).contains(bits), bits % 128 == 0 else {
            throw CertificateOperationError(.generationFailed, "RSA key size \(bits) is not supported: use a multiple of 128 bits from 1024 to 16384")
        }
        do {
            let size = _RSA.Signing.KeySize(bitCount: bits)
            return RSAPrivateKey(bits >= 2048 ? try _RSA.Signing.PrivateKey(keySize: size) : try _RSA.Signing.PrivateKey(unsafeKeySize: size))
        } catch {
            throw CertificateOperationError(.generationFailed, "RSA key generation failed: \(error)")
        }
    }

    // MARK: Reading

    /// Reads the first private key PEM block in `pem`, decrypting it with `passphrase` when it is
    /// encrypted. A passphrase given for a key that is not encrypted is ignored.
    public init(pemEncoded pem: String, passphrase: KeyPassphrase?) throws(CertificateOperationError) {
        let labels: Set<String> = ["ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "RSA PRIVATE KEY"]
        let blocks = PEMBlock.blocks(in: pem)
        guard let block = blocks.first(where: { labels.contains($0.label) || $0.label.hasSuffix("PRIVATE KEY") }) else {
            throw CertificateOperationError(.malformedPEM, "no PEM private key block found")
        }
        switch block.label {
        case "ENCRYPTED PRIVATE KEY":
            guard let passphrase else {
                throw CertificateOperationError(.passphraseRequired, "the private key is encrypted and no passphrase was given")
            }
            let info = try EncryptedPrivateKeyInfo(der: block.der)
            let plain = try info.decrypt(passphrase: passphrase)
            self = try RSAPrivateKey.fromPKCS8(plain, afterDecryption: true)
        case "PRIVATE KEY":
            self = try RSAPrivateKey.fromPKCS8(block.der, afterDecryption: false)
        case "RSA PRIVATE KEY":
            if let procType = block.headers.first(where: { $0.name == "Proc-Type" })?.value, procType.contains("ENCRYPTED") {
                guard let passphrase else {
                    throw CertificateOperationError(.passphraseRequired, "the private key is encrypted and no passphrase was given")
                }
                let plain = try LegacyPEMEncryption.decrypt(block, passphrase: passphrase)
                self = try RSAPrivateKey.fromPKCS1(plain, afterDecryption: true)
            } else {
                self = try RSAPrivateKey.fromPKCS1(block.der, afterDecryption: false)
            }
        default:
            throw CertificateOperationError(.unsupportedKeyType, "a \(block.label) is not an RSA private key")
        }
    }

    static func fromPKCS1(_ der: [UInt8], afterDecryption: Bool) throws(CertificateOperationError) -> RSAPrivateKey {
        do {
            return RSAPrivateKey(try _RSA.Signing.PrivateKey(unsafeDERRepresentation: der))
        } catch {
            if afterDecryption { throw CertificateOperationError(.incorrectPassphrase, "incorrect passphrase, could not decrypt the private key") }
            throw CertificateOperationError(.malformedKey, "the PKCS#1 RSA private key could not be parsed (RSA keys under 1024 bits are refused)")
        }
    }

    static func fromPKCS8(_ der: [UInt8], afterDecryption: Bool) throws(CertificateOperationError) -> RSAPrivateKey {
        let algorithm: ASN1ObjectIdentifier
        let keyBytes: ArraySlice<UInt8>
        do {
            (algorithm, keyBytes) = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                let algorithm = try AlgorithmIdentifierNode(derEncoded: &nodes)
                let key = try ASN1OctetString(derEncoded: &nodes)
                while nodes.next() != nil {}  // [0] attributes, [1] public key (PKCS#8 v2)
                return (algorithm.oid, key.bytes)
            }
        } catch {
            if afterDecryption { throw CertificateOperationError(.incorrectPassphrase, "incorrect passphrase, could not decrypt the private key") }
            throw CertificateOperationError(.malformedKey, "the PKCS#8 private key could not be parsed")
        }
        guard algorithm == ObjectIDs.rsaEncryption else {
            throw CertificateOperationError(.unsupportedKeyType, "the private key is not an RSA key (algorithm \(algorithm), \(OIDNames.name(algorithm.description)))")
        }
        return try fromPKCS1(Array(keyBytes), afterDecryption: false)
    }

    // MARK: Writing

    /// The unencrypted PKCS#8 `PrivateKeyInfo` DER (version 0, rsaEncryption with NULL parameters).
    var pkcs8DER: [UInt8] {
        var serializer = DER.Serializer()
        // Serialising these fixed, well-formed values cannot fail.
        try? serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ObjectIDs.rsaEncryption)
                try coder.serialize(ASN1Null())
            }
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(key.derRepresentation)))
        }
        return serializer.serializedBytes
    }

    /// The key as unencrypted PKCS#8 PEM: what Magnum's `decrypt_key` returns, and what goes into
    /// the `tls.key` of the capi-helm driver's certificate secrets. This is a secret.
    public var unencryptedPKCS8PEM: String {
        PEMBlock.encode(label: "PRIVATE KEY", der: pkcs8DER)
    }

    /// The key as encrypted PKCS#8 PEM, as Magnum stores it in `X509KeyPair.private_key`.
    public func encryptedPKCS8PEM(passphrase: KeyPassphrase, encryption: PrivateKeyEncryption = .magnum) throws(CertificateOperationError) -> String {
        let info = try EncryptedPrivateKeyInfo.encrypt(pkcs8DER, passphrase: passphrase, encryption: encryption)
        return PEMBlock.encode(label: "ENCRYPTED PRIVATE KEY", der: info)
    }

    public var description: String { "RSAPrivateKey(\(keySizeInBits) bits, <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["keySizeInBits": keySizeInBits], displayStyle: .struct) }
}

/// Object identifiers the key and certificate code needs.
enum ObjectIDs {
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
}

/// An `AlgorithmIdentifier`: an OID and its optional parameters, kept as a node.
struct AlgorithmIdentifierNode {
    let oid: ASN1ObjectIdentifier
    let parameters: ASN1Node?

    init(derEncoded nodes: inout ASN1NodeCollection.Iterator) throws {
        guard let node = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "missing AlgorithmIdentifier") }
        try self.init(node: node)
    }

    init(node: ASN1Node) throws {
        (oid, parameters) = try DER.sequence(node, identifier: .sequence) { inner in
            let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
            let parameters = inner.next()
            return (oid, parameters)
        }
    }

    /// Parameters absent or NULL.
    var hasNoParameters: Bool {
        guard let parameters else { return true }
        return parameters.identifier == .null
    }
}
