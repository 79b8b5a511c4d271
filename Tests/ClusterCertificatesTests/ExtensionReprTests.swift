import Testing
import X509
@testable import ClusterCertificates

/// Python's reprs, as Magnum's messages show them (the exact comparison with Python is in
/// CertificateIssuerSigningTests).
@Suite struct ExtensionReprTests {
    @Test func bytesLikePython() {
        #expect(PythonRepr.bytes(Array("garbage".utf8)) == "b'garbage'")
        #expect(PythonRepr.bytes(Array("it's".utf8)) == "b\"it's\"")
        #expect(PythonRepr.bytes(Array("'\"".utf8)) == "b'\\'\"'")
        #expect(PythonRepr.bytes([0x00, 0x0A, 0x5C, 0xFF]) == "b'\\x00\\n\\\\\\xff'")
    }

    @Test func ipAddressesLikePythonsIPAddress() {
        #expect(ExtensionRepr.ipAddress([10, 0, 0, 1]) == "10.0.0.1")
        #expect(ExtensionRepr.ipAddress([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(ExtensionRepr.ipAddress([UInt8](repeating: 0, count: 15) + [1]) == "::1")
        #expect(ExtensionRepr.ipAddress([UInt8](repeating: 0, count: 16)) == "::")
        // A single zero group is not compressed; the longest run wins, the first on a tie.
        #expect(ExtensionRepr.ipAddress([0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]) == "1:0:1:1:1:1:1:1")
        #expect(ExtensionRepr.ipAddress([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]) == "1::1:0:0:1:1")
    }

    @Test func decimalSerials() {
        #expect(ExtensionRepr.decimal([0x01, 0x00]) == "256")
        #expect(ExtensionRepr.decimal([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == "18446744073709551615")
        #expect(ExtensionRepr.decimal([]) == "0")
    }

    @Test func wholeExtensions() async throws {
        let bc = try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true)
        #expect(ExtensionRepr.repr(bc) == "<Extension(oid=<ObjectIdentifier(oid=2.5.29.19, name=basicConstraints)>, critical=True, value=<BasicConstraints(ca=True, path_length=None)>)>")
        let unknown = Certificate.Extension(oid: [1, 2, 3, 4], critical: false, value: [0x05, 0x00])
        #expect(ExtensionRepr.repr(unknown) == "<Extension(oid=<ObjectIdentifier(oid=1.2.3.4, name=Unknown OID)>, critical=False, value=<UnrecognizedExtension(oid=<ObjectIdentifier(oid=1.2.3.4, name=Unknown OID)>, value=b'\\x05\\x00')>)>")
        let eku = try Certificate.Extension(ExtendedKeyUsage([.clientAuth, .serverAuth]), critical: false)
        #expect(ExtensionRepr.valueRepr(eku) == "<ExtendedKeyUsage([<ObjectIdentifier(oid=1.3.6.1.5.5.7.3.2, name=clientAuth)>, <ObjectIdentifier(oid=1.3.6.1.5.5.7.3.1, name=serverAuth)>])>")
    }
}
