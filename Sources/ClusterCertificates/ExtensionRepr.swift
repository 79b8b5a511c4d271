import SwiftASN1
import X509

/// Python's `repr()` of a `cryptography.x509.Extension`, which is how Magnum's
/// `CertificateValidationError` names the extension it refused
/// (`Extension '<Extension(oid=..., critical=True, value=<KeyUsage(...)>)>' not allowed`).
///
/// Exact for the extensions a CSR for a cluster realistically carries (basic constraints, key
/// usage, extended key usage, subject/issuer alternative names, key identifiers, OCSP no-check,
/// inhibit-any-policy, TLS feature) and for unknown ones; other standard extensions are shown as
/// `cryptography` shows an unrecognised extension, with their raw value.
enum ExtensionRepr {
    static func repr(_ ext: Certificate.Extension) -> String {
        let oid = ext.oid.description
        return "<Extension(oid=\(PythonRepr.oid(oid)), critical=\(PythonRepr.bool(ext.critical)), value=\(valueRepr(ext)))>"
    }

    static func valueRepr(_ ext: Certificate.Extension) -> String {
        (try? knownValueRepr(ext)) ?? unrecognized(ext)
    }

    private static func unrecognized(_ ext: Certificate.Extension) -> String {
        "<UnrecognizedExtension(oid=\(PythonRepr.oid(ext.oid.description)), value=\(PythonRepr.bytes(ext.value)))>"
    }

    private static func knownValueRepr(_ ext: Certificate.Extension) throws -> String? {
        let root = try DER.parse(ext.value)
        switch ext.oid {
        case .X509ExtensionID.basicConstraints:
            let (ca, pathLength) = try BasicConstraintsValue.decode(ext.value)
            return "<BasicConstraints(ca=\(PythonRepr.bool(ca)), path_length=\(pathLength.map(String.init) ?? "None"))>"
        case .X509ExtensionID.keyUsage:
            let usage = try KeyUsageBits(derEncoded: ext.value)
            return usage.pythonRepr
        case .X509ExtensionID.extendedKeyUsage:
            let oids = try DER.sequence(of: ASN1ObjectIdentifier.self, identifier: .sequence, rootNode: root)
            return "<ExtendedKeyUsage([\(oids.map { PythonRepr.oid($0.description) }.joined(separator: ", "))])>"
        case .X509ExtensionID.subjectAlternativeName:
            let names = try DER.sequence(of: GeneralName.self, identifier: .sequence, rootNode: root)
            return "<SubjectAlternativeName(<GeneralNames([\(try names.map(generalName).joined(separator: ", "))])>)>"
        case ASN1ObjectIdentifier("2.5.29.18"):  // issuerAltName
            let names = try DER.sequence(of: GeneralName.self, identifier: .sequence, rootNode: root)
            return "<IssuerAlternativeName(<GeneralNames([\(try names.map(generalName).joined(separator: ", "))])>)>"
        case .X509ExtensionID.subjectKeyIdentifier:
            let digest = try ASN1OctetString(derEncoded: root)
            return "<SubjectKeyIdentifier(digest=\(PythonRepr.bytes(digest.bytes)))>"
        case .X509ExtensionID.authorityKeyIdentifier:
            let aki = try AuthorityKeyIdentifier(ext)
            let keyID = aki.keyIdentifier.map { PythonRepr.bytes($0) } ?? "None"
            let issuer = try aki.authorityCertIssuer.map { "[" + (try $0.map(generalName).joined(separator: ", ")) + "]" } ?? "None"
            let serial = aki.authorityCertSerialNumber.map { decimal(Array($0.bytes)) } ?? "None"
            return "<AuthorityKeyIdentifier(key_identifier=\(keyID), authority_cert_issuer=\(issuer), authority_cert_serial_number=\(serial))>"
        case ASN1ObjectIdentifier("1.3.6.1.5.5.7.48.1.5"):  // OCSPNoCheck: NULL
            _ = try ASN1Null(derEncoded: root)
            return "<OCSPNoCheck()>"
        case ASN1ObjectIdentifier("2.5.29.54"):  // inhibitAnyPolicy: INTEGER
            return "<InhibitAnyPolicy(skip_certs=\(try Int(derEncoded: root)))>"
        case ASN1ObjectIdentifier("1.3.6.1.5.5.7.1.24"):  // TLSFeature: SEQUENCE OF INTEGER
            let features = try DER.sequence(of: Int.self, identifier: .sequence, rootNode: root)
            let names = [5: "status_request", 17: "status_request_v2"]
            return "<TLSFeature(features=[\(features.map { "<TLSFeatureType.\(names[$0] ?? String($0)): \($0)>" }.joined(separator: ", "))])>"
        default:
            return nil
        }
    }

    private static func generalName(_ name: GeneralName) throws -> String {
        switch name {
        case .dnsName(let s): return "<DNSName(value=\(PythonRepr.string(s)))>"
        case .rfc822Name(let s): return "<RFC822Name(value=\(PythonRepr.string(s)))>"
        case .uniformResourceIdentifier(let s): return "<UniformResourceIdentifier(value=\(PythonRepr.string(s)))>"
        case .ipAddress(let octets): return "<IPAddress(value=\(ipAddress(Array(octets.bytes))))>"
        case .registeredID(let oid): return "<RegisteredID(value=\(PythonRepr.oid(oid.description)))>"
        case .directoryName(let dn): return "<DirectoryName(value=<Name(\(dn.description))>)>"
        case .otherName(let other):
            var serializer = DER.Serializer()
            if let value = other.value { try serializer.serialize(value) }
            return "<OtherName(type_id=\(PythonRepr.oid(other.typeID.description)), value=\(PythonRepr.bytes(serializer.serializedBytes)))>"
        case .x400Address, .ediPartyName:
            throw ASN1Error.invalidASN1Object(reason: "unsupported general name")
        }
    }

    /// `str(ipaddress.ip_address(...))` (Python's IPv6 form: lower-case hex, the longest run of
    /// two or more zero groups as `::`).
    static func ipAddress(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return PythonRepr.bytes(bytes) }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var bestStart = -1, bestLength = 0, start = -1
        for (i, g) in groups.enumerated() {
            if g == 0 {
                if start < 0 { start = i }
                if i - start + 1 > bestLength { bestStart = start; bestLength = i - start + 1 }
            } else {
                start = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength > 1 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// A non-negative big-endian integer in decimal.
    static func decimal(_ bytes: [UInt8]) -> String {
        var digits: [UInt8] = [0]  // little-endian base 10
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices {
                let v = Int(digits[i]) * 256 + carry
                digits[i] = UInt8(v % 10)
                carry = v / 10
            }
            while carry > 0 {
                digits.append(UInt8(carry % 10))
                carry /= 10
            }
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        return String(digits.reversed().map { Character(String($0)) })
    }
}

/// `BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }`.
enum BasicConstraintsValue {
    static func decode(_ value: ArraySlice<UInt8>) throws -> (ca: Bool, pathLength: Int?) {
        try DER.sequence(try DER.parse(value), identifier: .sequence) { nodes in
            let ca: Bool = try DER.decodeDefault(&nodes, defaultValue: false)
            var pathLength: Int?
            if let node = nodes.next() { pathLength = try Int(derEncoded: node) }
            return (ca, pathLength)
        }
    }
}
