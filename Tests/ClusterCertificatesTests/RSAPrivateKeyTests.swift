import Crypto
import Foundation
import JSON
import SwiftASN1
import Testing
import TestSupport
@testable import ClusterCertificates

@Suite struct RSAPrivateKeyTests {
    static let passphrase = KeyPassphrase("9vx4ytq2mnab")

    func key() async throws -> RSAPrivateKey { try await SharedCertificates.ca.privateKey }

    @Test func encryptedPEMRoundTrips() async throws {
        let key = try await key()
        let pem = try key.encryptedPKCS8PEM(passphrase: Self.passphrase)
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END ENCRYPTED PRIVATE KEY-----\n"))
        #expect(pem.split(separator: "\n").dropFirst().dropLast().allSatisfy { $0.count <= 64 })
        let back = try RSAPrivateKey(pemEncoded: pem, passphrase: Self.passphrase)
        #expect(back.unencryptedPKCS8PEM == key.unencryptedPKCS8PEM)
        #expect(back.keySizeInBits == 2048)
    }

    @Test func writesWhatMagnumsBestAvailableEncryptionWrites() async throws {
        let pem = try await key().encryptedPKCS8PEM(passphrase: Self.passphrase)
        let block = try #require(PEMBlock.first(in: pem, labels: ["ENCRYPTED PRIVATE KEY"]))
        let info = try EncryptedPrivateKeyInfo(der: block.der)
        #expect(info.prf == .hmacWithSHA256)
        #expect(info.cipher == .aes256CBC)
        #expect(info.iterations == 2048)
        #expect(info.salt.count == 16)
        #expect(info.iv.count == 16)
        // Two encryptions of the same key differ (fresh salt and IV).
        let again = try await key().encryptedPKCS8PEM(passphrase: Self.passphrase)
        #expect(again != pem)
    }

    @Test func everyPBES2VariantWeWriteReadsBack() async throws {
        let key = try await key()
        for prf in PrivateKeyEncryption.PRF.allCases {
            for cipher in PrivateKeyEncryption.Cipher.allCases {
                let encryption = PrivateKeyEncryption(prf: prf, cipher: cipher, iterations: 1000)
                let pem = try key.encryptedPKCS8PEM(passphrase: Self.passphrase, encryption: encryption)
                let back = try RSAPrivateKey(pemEncoded: pem, passphrase: Self.passphrase)
                #expect(back.unencryptedPKCS8PEM == key.unencryptedPKCS8PEM, "\(prf) \(cipher)")
            }
        }
    }

    @Test func wrongOrMissingPassphraseIsTypedAndSecretFree() async throws {
        let pem = try await key().encryptedPKCS8PEM(passphrase: Self.passphrase)
        let wrong = KeyPassphrase("notthepass00")
        let error = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: pem, passphrase: wrong) }
        #expect(error.kind == .incorrectPassphrase)
        #expect(error.magnumError == nil)
        for text in ["\(error)", String(reflecting: error), error.reason] {
            #expect(!text.contains(wrong.secret))
            #expect(!text.contains(Self.passphrase.secret))
            #expect(!text.contains("PRIVATE KEY"))
        }
        let missing = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: pem, passphrase: nil) }
        #expect(missing.kind == .passphraseRequired)
    }

    @Test func garbageAndForeignKeysAreTypedErrors() async throws {
        let garbage = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: "not a key at all", passphrase: nil) }
        #expect(garbage.kind == .malformedPEM)

        let badBase64 = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"
        #expect((try? RSAPrivateKey(pemEncoded: badBase64, passphrase: nil)) == nil)

        let truncated = PEMBlock.encode(label: "PRIVATE KEY", der: try await key().pkcs8DER.prefix(100))
        let malformed = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: truncated, passphrase: nil) }
        #expect(malformed.kind == .malformedKey)

        let ec = P256.Signing.PrivateKey().pemRepresentation
        let foreign = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: ec, passphrase: nil) }
        #expect(foreign.kind == .unsupportedKeyType)

        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
        #expect(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: openssh, passphrase: nil) }
    }

    @Test func pbes1IsRefusedByName() async throws {
        // EncryptedPrivateKeyInfo with pbeWithSHA1AndDES-CBC (PBES1): not something we decrypt.
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ASN1ObjectIdentifier("1.2.840.113549.1.5.10"))
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(ASN1OctetString(contentBytes: [1, 2, 3, 4, 5, 6, 7, 8]))
                    try coder.serialize(2048)
                }
            }
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(repeating: 0, count: 32)))
        }
        let pem = PEMBlock.encode(label: "ENCRYPTED PRIVATE KEY", der: serializer.serializedBytes)
        let error = try #require(throws: CertificateOperationError.self) { try RSAPrivateKey(pemEncoded: pem, passphrase: Self.passphrase) }
        #expect(error.kind == .unsupportedKeyEncryption)
        #expect(error.reason.contains("1.2.840.113549.1.5.10"))
    }

    @Test func aPassphraseForAnUnencryptedKeyIsIgnored() async throws {
        let key = try await key()
        let back = try RSAPrivateKey(pemEncoded: key.unencryptedPKCS8PEM, passphrase: Self.passphrase)
        #expect(back.unencryptedPKCS8PEM == key.unencryptedPKCS8PEM)
    }

    @Test func descriptionsNeverShowKeyMaterial() async throws {
        let key = try await key()
        let body = key.unencryptedPKCS8PEM.split(separator: "\n")[1]
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped] {
            #expect(!text.contains(body))
            #expect(text.contains("2048"))
        }
    }

    // MARK: Against Python

    /// Python (Magnum's `decrypt_key` and `cryptography`) opens what we write, and it is the
    /// same key.
    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func magnumDecryptsOurKeys() async throws {
        let key = try await key()
        let stored = try await SharedCertificates.ca
        var ops: [JSONValue] = [
            ["op": "decrypt_key", "key": .string(stored.encryptedPrivateKeyPEM), "password": .string(stored.passphrase.secret)],
            ["op": "key_info", "key": .string(stored.encryptedPrivateKeyPEM), "password": .string(stored.passphrase.secret)],
            ["op": "decrypt_key", "key": .string(stored.encryptedPrivateKeyPEM), "password": "wrong-password"],
        ]
        for prf in [PrivateKeyEncryption.PRF.hmacWithSHA1, .hmacWithSHA512] {
            let pem = try key.encryptedPKCS8PEM(passphrase: Self.passphrase, encryption: .init(prf: prf, cipher: .aes128CBC, iterations: 5000))
            ops.append(["op": "decrypt_key", "key": .string(pem), "password": .string(Self.passphrase.secret)])
        }
        let answers = try await MagnumX509Peer.run(ops)
        // decrypt_key gives unencrypted PKCS#8 PEM: byte for byte what we give.
        #expect(try answers[0].string("pem") == key.unencryptedPKCS8PEM)
        #expect(try answers[1].field("key_size").intValue == 2048)
        #expect(try answers[1].field("e").intValue == 65537)
        let modulus = try key.publicKey.getKeyPrimitives().modulus
        #expect(try answers[1].string("n") == "0x" + modulus.drop { $0 == 0 }.map { String(format: "%02x", $0) }.joined().drop { $0 == "0" })
        #expect(answers[2].peerError?.className == "ValueError")
        #expect(try answers[3].string("pem") == key.unencryptedPKCS8PEM)
        #expect(try answers[4].string("pem") == key.unencryptedPKCS8PEM)
    }

    /// We open every encrypted form Python writes (BestAvailableEncryption, PBES2 with other
    /// PRFs, ciphers and iteration counts, legacy OpenSSL PEM, plain PKCS#8 and PKCS#1), and
    /// refuse them with a wrong passphrase.
    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func weDecryptWhatPythonEncrypts() async throws {
        let key = try await key()
        let password = "py-Pass-42"
        let answers = try await MagnumX509Peer.run([["op": "encrypt_variants", "key": .string(key.unencryptedPKCS8PEM), "password": .string(password)]])
        let variants = try #require(answers[0].objectValue)
        #expect(variants.count >= 11)
        for (name, value) in variants {
            let pem = try #require(value.stringValue)
            let opened = try RSAPrivateKey(pemEncoded: pem, passphrase: KeyPassphrase(password))
            #expect(opened.unencryptedPKCS8PEM == key.unencryptedPKCS8PEM, "\(name)")
            if name.contains("unencrypted") { continue }
            let error = try #require(throws: CertificateOperationError.self, "\(name)") {
                try RSAPrivateKey(pemEncoded: pem, passphrase: KeyPassphrase("py-Pass-43"))
            }
            #expect(error.kind == .incorrectPassphrase, "\(name)")
        }
        // And the parameters of Python's BestAvailableEncryption are the ones we write.
        let best = try #require(variants["best_available_pkcs8"]?.stringValue)
        let info = try EncryptedPrivateKeyInfo(der: try #require(PEMBlock.first(in: best, labels: ["ENCRYPTED PRIVATE KEY"])).der)
        let magnum = PrivateKeyEncryption.magnum
        #expect(info.prf == magnum.prf && info.cipher == magnum.cipher && info.iterations == magnum.iterations)
        #expect(info.salt.count == magnum.saltByteCount && info.iv.count == 16)
    }
}
