import _CryptoExtras
import Crypto
import Foundation
import SwiftASN1

/// PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 (RFC 8018): what an `ENCRYPTED PRIVATE KEY` PEM
/// holds. Only PBES2 with PBKDF2 and AES-CBC is implemented (what `cryptography` and OpenSSL 3
/// write); PBES1 and PKCS#12 schemes are refused with the scheme named.
struct EncryptedPrivateKeyInfo {
    let prf: PrivateKeyEncryption.PRF
    let cipher: PrivateKeyEncryption.Cipher
    let salt: [UInt8]
    let iterations: Int
    let iv: [UInt8]
    let encryptedData: [UInt8]

    private static func malformed(_ what: String) -> CertificateOperationError {
        CertificateOperationError(.malformedKey, "the encrypted private key is malformed: \(what)")
    }

    init(der: [UInt8]) throws(CertificateOperationError) {
        let scheme: AlgorithmIdentifierNode
        let data: ASN1OctetString
        do {
            (scheme, data) = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                (try AlgorithmIdentifierNode(derEncoded: &nodes), try ASN1OctetString(derEncoded: &nodes))
            }
        } catch {
            throw Self.malformed("not an EncryptedPrivateKeyInfo")
        }
        guard scheme.oid == ObjectIDs.pbes2 else {
            throw CertificateOperationError(.unsupportedKeyEncryption,
                                   "private key encryption \(scheme.oid) is not supported (only PBES2 with PBKDF2 and AES-CBC)")
        }
        guard let parameters = scheme.parameters else { throw Self.malformed("PBES2 without parameters") }

        let kdf: AlgorithmIdentifierNode
        let encryption: AlgorithmIdentifierNode
        do {
            (kdf, encryption) = try DER.sequence(parameters, identifier: .sequence) { nodes in
                (try AlgorithmIdentifierNode(derEncoded: &nodes), try AlgorithmIdentifierNode(derEncoded: &nodes))
            }
        } catch {
            throw Self.malformed("bad PBES2 parameters")
        }
        guard kdf.oid == ObjectIDs.pbkdf2 else {
            throw CertificateOperationError(.unsupportedKeyEncryption, "key derivation \(kdf.oid) is not supported (only PBKDF2)")
        }
        guard let cipher = PrivateKeyEncryption.Cipher.allCases.first(where: { $0.oid == encryption.oid }) else {
            throw CertificateOperationError(.unsupportedKeyEncryption,
                                   "private key cipher \(encryption.oid) is not supported (only AES-128/192/256-CBC)")
        }
        guard let kdfParameters = kdf.parameters else { throw Self.malformed("PBKDF2 without parameters") }

        var salt: [UInt8] = []
        var iterations = 0
        var keyLength: Int?
        var prf = PrivateKeyEncryption.PRF.hmacWithSHA1  // the DEFAULT of RFC 8018
        var prfOID: ASN1ObjectIdentifier?
        do {
            try DER.sequence(kdfParameters, identifier: .sequence) { nodes in
                guard let saltNode = nodes.next(), saltNode.identifier == .octetString else {
                    throw ASN1Error.invalidASN1Object(reason: "PBKDF2 salt must be specified")
                }
                salt = Array(try ASN1OctetString(derEncoded: saltNode).bytes)
                iterations = try Int(derEncoded: &nodes)
                while let node = nodes.next() {
                    if node.identifier == .integer {
                        keyLength = try Int(derEncoded: node)
                    } else {
                        let algorithm = try AlgorithmIdentifierNode(node: node)
                        guard algorithm.hasNoParameters else { throw ASN1Error.invalidASN1Object(reason: "PRF parameters") }
                        prfOID = algorithm.oid
                    }
                }
            }
        } catch {
            throw Self.malformed("bad PBKDF2 parameters")
        }
        if let prfOID {
            guard let known = PrivateKeyEncryption.PRF.allCases.first(where: { $0.oid == prfOID }) else {
                throw CertificateOperationError(.unsupportedKeyEncryption, "PBKDF2 pseudo-random function \(prfOID) is not supported")
            }
            prf = known
        }
        guard (1...PrivateKeyEncryption.maximumIterations).contains(iterations) else {
            throw CertificateOperationError(.unsupportedKeyEncryption,
                                   "PBKDF2 iteration count \(iterations) is outside 1...\(PrivateKeyEncryption.maximumIterations)")
        }
        if let keyLength, keyLength != cipher.keyByteCount {
            throw Self.malformed("PBKDF2 key length \(keyLength) does not fit \(cipher.rawValue)")
        }
        guard let ivNode = encryption.parameters, let iv = try? ASN1OctetString(derEncoded: ivNode), iv.bytes.count == 16 else {
            throw Self.malformed("the AES-CBC IV must be 16 bytes")
        }
        self.prf = prf
        self.cipher = cipher
        self.salt = salt
        self.iterations = iterations
        self.iv = Array(iv.bytes)
        self.encryptedData = Array(data.bytes)
    }

    /// The `PrivateKeyInfo` DER inside; a wrong passphrase is reported as such (a bad padding
    /// or undecodable plaintext is what a wrong passphrase looks like).
    func decrypt(passphrase: KeyPassphrase) throws(CertificateOperationError) -> [UInt8] {
        do {
            let key = try Self.deriveKey(passphrase: passphrase, salt: salt, prf: prf, iterations: iterations, byteCount: cipher.keyByteCount)
            let plain = try AES._CBC.decrypt(encryptedData, using: key, iv: AES._CBC.IV(ivBytes: iv))
            return Array(plain)
        } catch {
            throw CertificateOperationError(.incorrectPassphrase, "incorrect passphrase, could not decrypt the private key")
        }
    }

    /// Encrypts a `PrivateKeyInfo` DER into an `EncryptedPrivateKeyInfo` DER with a fresh salt and IV.
    static func encrypt(_ plain: [UInt8], passphrase: KeyPassphrase, encryption: PrivateKeyEncryption) throws(CertificateOperationError) -> [UInt8] {
        guard (1...PrivateKeyEncryption.maximumIterations).contains(encryption.iterations), encryption.saltByteCount >= 8 else {
            throw CertificateOperationError(.generationFailed, "unusable key encryption parameters (iterations \(encryption.iterations), salt \(encryption.saltByteCount) bytes)")
        }
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<encryption.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let iv = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        do {
            let key = try deriveKey(passphrase: passphrase, salt: salt, prf: encryption.prf,
                                    iterations: encryption.iterations, byteCount: encryption.cipher.keyByteCount)
            let ciphertext = try AES._CBC.encrypt(plain, using: key, iv: AES._CBC.IV(ivBytes: iv))
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(ObjectIDs.pbes2)
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(ObjectIDs.pbkdf2)
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
                                try coder.serialize(encryption.iterations)
                                // hmacWithSHA1 is the DEFAULT and so omitted in DER.
                                if encryption.prf != .hmacWithSHA1 {
                                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                                        try coder.serialize(encryption.prf.oid)
                                        try coder.serialize(ASN1Null())
                                    }
                                }
                            }
                        }
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(encryption.cipher.oid)
                            try coder.serialize(ASN1OctetString(contentBytes: iv[...]))
                        }
                    }
                }
                try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(ciphertext)))
            }
            return serializer.serializedBytes
        } catch {
            throw CertificateOperationError(.generationFailed, "private key encryption failed")
        }
    }

    static func deriveKey(passphrase: KeyPassphrase, salt: [UInt8], prf: PrivateKeyEncryption.PRF, iterations: Int, byteCount: Int) throws -> SymmetricKey {
        let hash: KDF.Insecure.PBKDF2.HashFunction
        switch prf {
        case .hmacWithSHA1: hash = .insecureSHA1
        case .hmacWithSHA224: hash = .insecureSHA224
        case .hmacWithSHA256: hash = .sha256
        case .hmacWithSHA384: hash = .sha384
        case .hmacWithSHA512: hash = .sha512
        }
        // Magnum's iteration count (2048) is below swift-crypto's "safe" floor; we must match it.
        return try KDF.Insecure.PBKDF2.deriveKey(from: passphrase.bytes, salt: salt, using: hash,
                                                 outputByteCount: byteCount, unsafeUncheckedRounds: iterations)
    }
}

/// OpenSSL's legacy PEM encryption of a PKCS#1 key (`Proc-Type: 4,ENCRYPTED`,
/// `DEK-Info: AES-256-CBC,<iv>`): the key is `EVP_BytesToKey(MD5, salt = iv[0..<8], count 1)`.
/// Python writes it for `TraditionalOpenSSL` with `BestAvailableEncryption`; Magnum never does,
/// but operators may hand such keys over.
enum LegacyPEMEncryption {
    static func decrypt(_ block: PEMBlock, passphrase: KeyPassphrase) throws(CertificateOperationError) -> [UInt8] {
        guard let dekInfo = block.headers.first(where: { $0.name == "DEK-Info" })?.value else {
            throw CertificateOperationError(.malformedKey, "the encrypted PEM has no DEK-Info header")
        }
        let parts = dekInfo.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw CertificateOperationError(.malformedKey, "the DEK-Info header is malformed") }
        let keyByteCount: Int
        switch parts[0].uppercased() {
        case "AES-128-CBC": keyByteCount = 16
        case "AES-192-CBC": keyByteCount = 24
        case "AES-256-CBC": keyByteCount = 32
        default:
            throw CertificateOperationError(.unsupportedKeyEncryption, "legacy PEM cipher \(parts[0]) is not supported (only AES-CBC)")
        }
        guard let iv = hexBytes(parts[1]), iv.count == 16 else {
            throw CertificateOperationError(.malformedKey, "the DEK-Info IV is malformed")
        }
        var derived: [UInt8] = []
        var previous: [UInt8] = []
        while derived.count < keyByteCount {
            previous = Array(Insecure.MD5.hash(data: previous + passphrase.bytes + iv[0..<8]))
            derived += previous
        }
        do {
            let plain = try AES._CBC.decrypt(block.der, using: SymmetricKey(data: derived[0..<keyByteCount]), iv: AES._CBC.IV(ivBytes: iv))
            return Array(plain)
        } catch {
            throw CertificateOperationError(.incorrectPassphrase, "incorrect passphrase, could not decrypt the private key")
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            i += 2
        }
        return out
    }
}
