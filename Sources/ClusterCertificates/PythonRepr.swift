/// Python's `repr()` of the values Magnum puts in certificate error messages, so our
/// `CertificateValidationError` and `InvalidCsr` read exactly like the ones magnum-conductor sends.
enum PythonRepr {
    /// `repr(b'...')`.
    static func bytes(_ bytes: some Sequence<UInt8>) -> String {
        let array = Array(bytes)
        let quote: UInt8 = array.contains(UInt8(ascii: "'")) && !array.contains(UInt8(ascii: "\"")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out = "b" + String(UnicodeScalar(quote))
        for b in array {
            switch b {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\t"): out += "\\t"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case quote: out += "\\" + String(UnicodeScalar(quote))
            case 0x20..<0x7F: out += String(UnicodeScalar(b))
            default: out += "\\x" + hex2(b)
            }
        }
        return out + String(UnicodeScalar(quote))
    }

    /// `repr('...')` of a str (printable non-ASCII characters are kept as they are, as Python 3 does).
    static func string(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if Character(scalar) == quote {
                    out += "\\\(quote)"
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex2(UInt8(scalar.value))
                } else if scalar.value >= 0x80 && scalar.value < 0xA0 {
                    out += "\\x" + hex2(UInt8(scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// `repr(ObjectIdentifier)`.
    static func oid(_ dotted: String) -> String {
        "<ObjectIdentifier(oid=\(dotted), name=\(OIDNames.name(dotted)))>"
    }

    static func bool(_ b: Bool) -> String { b ? "True" : "False" }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}

extension String {
    /// The bytes Python's `str.encode('latin-1')` gives (what Magnum does to CSRs and passwords),
    /// falling back to UTF-8 for text Latin-1 cannot hold.
    var latin1OrUTF8Bytes: [UInt8] {
        if unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
            return unicodeScalars.map { UInt8($0.value) }
        }
        return Array(utf8)
    }
}
