import Foundation
import JSON
import Testing
import TestSupport
import X509
@testable import ClusterCertificates

/// The CA and admin client certificates we generate are, field by field, what Magnum's
/// `generate_ca_certificate` / `generate_client_certificate` generate.
@Suite struct CertificateIssuerGenerationTests {
    @Test func caCertificateShape() async throws {
        let ca = try await SharedCertificates.ca
        let cert = ca.certificate
        #expect(cert.version == .v3)
        #expect(cert.subject == cert.issuer)
        #expect(cert.subject.description == "CN=prod-east")
        #expect(cert.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(try cert.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try cert.extensions.keyUsage == KeyUsage(keyCertSign: true))
        #expect(cert.extensions.map(\.oid) == [.X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage, .X509ExtensionID.subjectKeyIdentifier])
        #expect(cert.extensions.map(\.critical) == [true, true, false])
        #expect(cert.publicKey.isValidSignature(cert.signature, for: cert))
        #expect(!ca.certificatePEM.hasSuffix("\n"))
        #expect(ca.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        let days = cert.notValidAfter.timeIntervalSince(cert.notValidBefore) / 86_400
        #expect(days == 365 * 5 + 1)
        #expect(abs(cert.notValidBefore.timeIntervalSinceNow + 86_400) < 600)
    }

    @Test func clientCertificateIsSignedByTheCA() async throws {
        let ca = try await SharedCertificates.ca
        let client = try await SharedCertificates.client
        let cert = client.certificate
        #expect(cert.subject.description == "O=system:masters,CN=admin")
        #expect(cert.issuer == ca.certificate.subject)
        #expect(ca.certificate.publicKey.isValidSignature(cert.signature, for: cert))
        #expect(try cert.extensions.keyUsage == KeyUsage(digitalSignature: true, keyEncipherment: true))
        #expect(try cert.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(try cert.extensions.basicConstraints == .notCertificateAuthority)
        #expect(cert.extensions.map(\.critical) == [true, false, true, false])
        #expect(cert.serialNumber != ca.certificate.serialNumber)
    }

    @Test func validityAndKeySizeFollowTheOptions() async throws {
        let issuer = CertificateIssuer(options: X509Options(termOfValidity: 30, rsaKeySize: 1024))
        let now = Date(timeIntervalSince1970: 1_800_000_000.75)
        let pair = try issuer.generateCACertificate(subjectName: "short-lived", passphrase: KeyPassphrase("pw"), now: now)
        #expect(pair.certificate.notValidBefore == Date(timeIntervalSince1970: 1_800_000_000 - 86_400))
        #expect(pair.certificate.notValidAfter == Date(timeIntervalSince1970: 1_800_000_000 + 30 * 86_400))
        #expect(pair.privateKey.keySizeInBits == 1024)
        let reopened = try RSAPrivateKey(pemEncoded: pair.encryptedPrivateKeyPEM, passphrase: KeyPassphrase("pw"))
        #expect(reopened.keySizeInBits == 1024)
    }

    @Test func commonNamesMustFitX509() async throws {
        let issuer = SharedCertificates.issuer
        let key = try await SharedCertificates.ca.privateKey
        let publicKey = Certificate.PublicKey(key.publicKey)
        for name in [String(repeating: "a", count: 64), "clüster-ø-ünïcode"] {
            let cert = try issuer.issue(subject: CertificateIssuer.name(commonName: name, organization: nil), publicKey: publicKey,
                                        extensions: [], issuerName: name, signingKey: key, now: Date())
            #expect(cert.subject.description == "CN=\(name)")
        }
        for name in ["", String(repeating: "a", count: 65), String(repeating: "é", count: 33)] {
            let error = try #require(throws: CertificateOperationError.self) { try CertificateIssuer.name(commonName: name, organization: nil) }
            #expect(error.kind == .invalidName)
        }
    }

    @Test func issuedKeyPairsPrintWithoutSecrets() async throws {
        let pair = try await SharedCertificates.client
        var dumped = ""
        dump(pair, to: &dumped)
        let keyBody = String(pair.encryptedPrivateKeyPEM.split(separator: "\n")[1])
        let plainBody = String(pair.privateKey.unencryptedPKCS8PEM.split(separator: "\n")[1])
        for text in ["\(pair)", String(reflecting: pair), dumped] {
            #expect(!text.contains(pair.passphrase.secret))
            #expect(!text.contains(keyBody))
            #expect(!text.contains(plainBody))
        }
    }

    // MARK: Against Python

    /// What `describe_cert` reports, minus what differs between two generations (serial,
    /// validity instants, key identifier bytes), so two certificates can be compared field by field.
    static func comparable(_ description: JSONValue) throws -> JSONValue {
        var object = try #require(description.objectValue)
        for volatile in ["serial", "serial_bits", "not_before", "not_after"] { object[volatile] = nil }
        let extensions = try #require(object["extensions"]?.arrayValue).map { ext -> JSONValue in
            guard ext["oid"]?.stringValue == "2.5.29.14" else { return ["oid": ext["oid"] ?? .null, "critical": ext["critical"] ?? .null, "der": ext["der"] ?? .null] }
            return ["oid": ext["oid"] ?? .null, "critical": ext["critical"] ?? .null]
        }
        object["extensions"] = .array(extensions)
        return .object(object)
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sameCertificatesAsMagnum() async throws {
        let ca = try await SharedCertificates.ca
        let client = try await SharedCertificates.client
        let answers = try await MagnumX509Peer.run([
            ["op": "magnum_generate", "name": "prod-east", "ca_password": "pyCApassword", "client_password": "pyClientpass"],
            ["op": "describe_cert", "pem": .string(ca.certificatePEM)],
            ["op": "describe_cert", "pem": .string(client.certificatePEM)],
            ["op": "verify_issued", "pem": .string(client.certificatePEM), "ca_pem": .string(ca.certificatePEM)],
            ["op": "verify_issued", "pem": .string(ca.certificatePEM), "ca_pem": .string(ca.certificatePEM)],
            ["op": "decrypt_key", "key": .string(client.encryptedPrivateKeyPEM), "password": .string(client.passphrase.secret)],
            ["op": "public_key_of_cert", "pem": .string(client.certificatePEM)],
            ["op": "key_info", "key": .string(client.encryptedPrivateKeyPEM), "password": .string(client.passphrase.secret)],
        ])
        let magnum = try answers[0].field("ca")
        let magnumClient = try answers[0].field("client")
        let theirCA = try magnum.field("description")
        let theirClient = try magnumClient.field("description")
        let ourCA = answers[1], ourClient = answers[2]

        #expect(try Self.comparable(ourCA) == Self.comparable(theirCA))
        #expect(try Self.comparable(ourClient) == Self.comparable(theirClient))
        for described in [ourCA, ourClient, theirCA, theirClient] {
            #expect(described["ski_matches_key"] == .bool(true))
            let bits = try #require(described["serial_bits"]?.intValue)
            #expect((100...128).contains(bits), "a UUID4 serial number")
            let notBefore = try #require(described["not_before"]?.doubleValue)
            #expect(abs(notBefore - (Date().timeIntervalSince1970 - 86_400)) < 600)
        }
        // Spelled out, for the reader: the subjects Magnum gives them.
        #expect(ourClient["subject"] == [[["oid": "2.5.4.3", "value": "admin", "type": "UTF8String"]],
                                         [["oid": "2.5.4.10", "value": "system:masters", "type": "UTF8String"]]])
        #expect(ourClient["issuer"] == [[["oid": "2.5.4.3", "value": "prod-east", "type": "UTF8String"]]])

        #expect(answers[3]["ok"] == .bool(true), "Python verifies our client certificate against our CA")
        #expect(answers[4]["ok"] == .bool(true), "our CA is self-signed")
        #expect(try answers[5].string("pem") == client.privateKey.unencryptedPKCS8PEM)
        #expect(try answers[6].string("n") == answers[7].string("n"), "the certificate carries the stored key's public half")

        // Magnum's own stored key opens with our reader and the passphrase stored beside it.
        let theirKey = try RSAPrivateKey(pemEncoded: magnum.string("private_key"), passphrase: KeyPassphrase("pyCApassword"))
        #expect(theirKey.keySizeInBits == 2048)
        let theirCert = try Certificate(pemEncoded: magnum.string("certificate"))
        #expect(theirCert.publicKey == Certificate.PublicKey(theirKey.publicKey))
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sameNameRulesAsMagnum() async throws {
        let answers = try await MagnumX509Peer.run([
            ["op": "magnum_generate", "name": .string(String(repeating: "a", count: 65)), "ca_password": "x", "client_password": "y"],
            ["op": "magnum_generate", "name": .string(String(repeating: "é", count: 32)), "ca_password": "x", "client_password": "y"],
        ])
        #expect(answers[0].peerError?.className == "ValueError")
        let accepted = try answers[1].field("ca").field("description")
        let ours = try CertificateIssuer.name(commonName: String(repeating: "é", count: 32), organization: nil)
        #expect(accepted["subject"]?[0]?[0]?["value"]?.stringValue == ours.description.dropFirst(3).description)
    }
}
