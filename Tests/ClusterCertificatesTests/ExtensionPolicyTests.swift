import Testing
import X509
@testable import ClusterCertificates

/// `validator.filter_extensions` without Python (the Python comparison is in
/// CertificateIssuerSigningTests): the rules, one by one.
@Suite struct ExtensionPolicyTests {
    static func keyUsage(_ usages: Set<KeyUsageName>, critical: Bool) -> Certificate.Extension {
        Certificate.Extension(oid: .X509ExtensionID.keyUsage, critical: critical, value: KeyUsageBits(usages).derEncoded[...])
    }

    static func basicConstraints(ca: Bool, critical: Bool) throws -> Certificate.Extension {
        try Certificate.Extension(ca ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : .notCertificateAuthority, critical: critical)
    }

    static let san = try? Certificate.Extension(SubjectAlternativeNames([.dnsName("a.example")]), critical: false)

    @Test func keyUsageKeepsOnlyAllowedUsages() async throws {
        let policy = ExtensionPolicy(options: .defaults)
        let out = try policy.filter([Self.keyUsage([.digitalSignature, .keyEncipherment, .dataEncipherment, .keyCertSign], critical: false)])
        #expect(out.count == 1)
        #expect(try KeyUsageBits(derEncoded: out[0].value).usages == [.digitalSignature, .keyEncipherment])
        #expect(out[0].critical == false)
    }

    @Test func criticalKeyUsageAskingTooMuchIsRefused() async throws {
        let error = try #require(throws: CertificateOperationError.self) {
            try ExtensionPolicy(options: .defaults).filter([Self.keyUsage([.digitalSignature, .cRLSign], critical: true)])
        }
        #expect(error.kind == .extensionNotAllowed)
        #expect(error.magnumError?.className == "CertificateValidationError")
        #expect(error.magnumError?.message.hasPrefix("Extension '<Extension(oid=<ObjectIdentifier(oid=2.5.29.15, name=keyUsage)>, critical=True, value=<KeyUsage(digital_signature=True,") == true)
    }

    @Test func allowCAOpensTheSigningUsagesOnlyWhenListed() async throws {
        let ask = Self.keyUsage([.keyCertSign, .cRLSign], critical: false)
        let withoutListing = try ExtensionPolicy(options: X509Options(allowCA: true)).filter([ask])
        #expect(try KeyUsageBits(derEncoded: withoutListing[0].value).usages.isEmpty)
        #expect(withoutListing[0].value == [0x03, 0x01, 0x00][...], "no bits is an empty BIT STRING")
        let listed = try ExtensionPolicy(options: X509Options(allowCA: true, allowedKeyUsage: [.keyCertSign, .cRLSign])).filter([ask])
        #expect(try KeyUsageBits(derEncoded: listed[0].value).usages == [.keyCertSign, .cRLSign])
        let refused = try ExtensionPolicy(options: X509Options(allowCA: false, allowedKeyUsage: [.keyCertSign, .cRLSign])).filter([ask])
        #expect(try KeyUsageBits(derEncoded: refused[0].value).usages.isEmpty)
    }

    @Test func caBasicConstraintsWithoutAllowCA() async throws {
        let policy = ExtensionPolicy(options: .defaults)
        let softened = try policy.filter([try Self.basicConstraints(ca: true, critical: false)])
        #expect(try BasicConstraints(softened[0]) == .notCertificateAuthority)
        #expect(softened[0].critical == false)
        #expect(throws: CertificateOperationError.self) { try policy.filter([try Self.basicConstraints(ca: true, critical: true)]) }
        let notCA = try Self.basicConstraints(ca: false, critical: true)
        #expect(try policy.filter([notCA]) == [notCA])
        let allowed = try ExtensionPolicy(options: X509Options(allowCA: true)).filter([try Self.basicConstraints(ca: true, critical: true)])
        #expect(try BasicConstraints(allowed[0]) == .isCertificateAuthority(maxPathLength: nil))
    }

    @Test func extensionsNotListedAreDroppedOrRefused() async throws {
        let san = try #require(Self.san)
        let onlyKeyUsage = ExtensionPolicy(options: X509Options(allowedExtensions: ["keyUsage"]))
        #expect(try onlyKeyUsage.filter([san]).isEmpty)
        var critical = san
        critical.critical = true
        let error = try #require(throws: CertificateOperationError.self) { try onlyKeyUsage.filter([critical]) }
        #expect(error.magnumError?.message.contains("name=subjectAltName") == true)
        #expect(try ExtensionPolicy(options: .defaults).filter([critical]) == [critical])
    }

    @Test func orderIsTheCSRsOrder() async throws {
        let san = try #require(Self.san)
        let bc = try Self.basicConstraints(ca: false, critical: true)
        let ku = Self.keyUsage([.digitalSignature], critical: true)
        let out = try ExtensionPolicy(options: .defaults).filter([san, bc, ku])
        #expect(out.map(\.oid) == [.X509ExtensionID.subjectAlternativeName, .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage])
    }

    @Test func malformedKeyUsageIsAnInvalidCSR() async throws {
        let bad = Certificate.Extension(oid: .X509ExtensionID.keyUsage, critical: true, value: [0x04, 0x00])
        let error = try #require(throws: CertificateOperationError.self) { try ExtensionPolicy(options: .defaults).filter([bad]) }
        #expect(error.kind == .invalidCSR)
    }

    @Test func keyUsageEncodingDropsTrailingZeroBits() {
        #expect(KeyUsageBits([.keyCertSign]).derEncoded == [0x03, 0x02, 0x02, 0x04])
        #expect(KeyUsageBits([.digitalSignature, .keyEncipherment]).derEncoded == [0x03, 0x02, 0x05, 0xA0])
        #expect(KeyUsageBits([.keyAgreement, .decipherOnly]).derEncoded == [0x03, 0x03, 0x07, 0x08, 0x80])
    }
}
