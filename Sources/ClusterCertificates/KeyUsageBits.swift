import SwiftASN1

/// The nine key usage bits of RFC 5280 (`KeyUsage ::= BIT STRING`), in the order Magnum's
/// `KeyUsages` enum lists them, with the names `[x509] allowed_key_usage` uses.
///
/// Encoded as DER named bit lists are (trailing zero bits dropped; no bits at all is an empty
/// BIT STRING), as Python's `cryptography` encodes `x509.KeyUsage`.
public enum KeyUsageName: String, Sendable, CaseIterable {
    case digitalSignature = "Digital Signature"
    case nonRepudiation = "Non Repudiation"
    case keyEncipherment = "Key Encipherment"
    case dataEncipherment = "Data Encipherment"
    case keyAgreement = "Key Agreement"
    case keyCertSign = "Certificate Sign"
    case cRLSign = "CRL Sign"
    case encipherOnly = "Encipher Only"
    case decipherOnly = "Decipher Only"

    /// The bit's number in the BIT STRING (0 = digitalSignature).
    var bit: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// The attribute name `cryptography.x509.KeyUsage` gives it.
    var pythonAttribute: String {
        ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"][bit]
    }
}

struct KeyUsageBits: Equatable {
    var usages: Set<KeyUsageName>

    init(_ usages: Set<KeyUsageName>) {
        self.usages = usages
    }

    init(derEncoded value: ArraySlice<UInt8>) throws {
        let bits = try ASN1BitString(derEncoded: try DER.parse(value))
        var usages: Set<KeyUsageName> = []
        for usage in KeyUsageName.allCases {
            let byteIndex = usage.bit / 8
            guard byteIndex < bits.bytes.count else { continue }
            let byte = bits.bytes[bits.bytes.startIndex + byteIndex]
            if byte & (0x80 >> UInt8(usage.bit % 8)) != 0 { usages.insert(usage) }
        }
        self.usages = usages
    }

    func contains(_ usage: KeyUsageName) -> Bool { usages.contains(usage) }

    /// What `getattr(key_usage, name)` gives in Magnum's validator: `encipher_only` and
    /// `decipher_only` raise (and count as False) unless `key_agreement` is set.
    func pythonValue(_ usage: KeyUsageName) -> Bool {
        if usage == .encipherOnly || usage == .decipherOnly, !contains(.keyAgreement) { return false }
        return contains(usage)
    }

    /// The extension value: a DER BIT STRING with trailing zero bits dropped.
    var derEncoded: [UInt8] {
        let highest = usages.map(\.bit).max()
        var bytes: [UInt8] = []
        var padding = 0
        if let highest {
            bytes = [UInt8](repeating: 0, count: highest / 8 + 1)
            for usage in usages { bytes[usage.bit / 8] |= 0x80 >> UInt8(usage.bit % 8) }
            padding = 7 - highest % 8
        }
        return [0x03, UInt8(bytes.count + 1), UInt8(padding)] + bytes
    }

    /// `repr(cryptography.x509.KeyUsage)`.
    var pythonRepr: String {
        let fields = KeyUsageName.allCases.map { "\($0.pythonAttribute)=\(PythonRepr.bool(pythonValue($0)))" }
        return "<KeyUsage(\(fields.joined(separator: ", ")))>"
    }
}
