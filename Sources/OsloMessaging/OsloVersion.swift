/// oslo.messaging's version rule (`_utils.version_is_compatible`): a requested `X.Y[.Z]` is served
/// by an implementation with the same major, a minor at least `Y` and, at equal minor, a revision
/// at least `Z`.
public enum OsloVersion {
    /// Why a version string could not be compared; the text is what Python raises, so failure
    /// replies read the same as a Python server's.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// `ValueError` or `IndexError`, the Python class oslo's dispatcher would report.
        public let pythonClass: String
        public let message: String
        public init(pythonClass: String, message: String) {
            self.pythonClass = pythonClass
            self.message = message
        }
        public var description: String { "\(pythonClass): \(message)" }
    }

    /// `true` when `implemented` serves `requested`. A `nil` implementation serves everything; a
    /// `nil` request is served by nothing else (as in oslo).
    public static func isCompatible(implemented: String?, requested: String?) -> Bool? {
        try? check(implemented: implemented, requested: requested)
    }

    /// Like `isCompatible`, but reports unparsable versions the way Python does.
    public static func check(implemented: String?, requested: String?) throws(ParseError) -> Bool {
        guard let implemented else { return true }
        guard let requested else { return false }
        // Fast path: both plain "x.y" or "x.y.z" with decimal parts, as oslo and Magnum send;
        // anything else goes the way Python does, for the same answer or error.
        if let wanted = plainVersion(requested), let have = plainVersion(implemented) {
            if wanted.major != have.major { return false }
            if wanted.minor != have.minor { return wanted.minor < have.minor }
            return wanted.revision <= have.revision
        }
        return try checkAsPython(implemented: implemented, requested: requested)
    }

    /// The rule as Python evaluates it, part by part (any form, with Python's errors).
    static func checkAsPython(implemented: String, requested: String) throws(ParseError) -> Bool {
        let wanted = requested.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let have = implemented.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // Python evaluates `version_parts[2]`, `imp_version_parts[2]` with defaults first, then the
        // major parts, then the minor parts: the same order gives the same first error.
        let rev = wanted.count > 2 ? wanted[2] : "0"
        let impRev = have.count > 2 ? have[2] : "0"
        if try pythonInt(wanted[0]) != pythonInt(have[0]) { return false }
        guard wanted.count > 1 else { throw ParseError(pythonClass: "IndexError", message: "list index out of range") }
        let minor = try pythonInt(wanted[1])
        guard have.count > 1 else { throw ParseError(pythonClass: "IndexError", message: "list index out of range") }
        let impMinor = try pythonInt(have[1])
        if minor > impMinor { return false }
        if minor == impMinor, try pythonInt(rev) > pythonInt(impRev) { return false }
        return true
    }

    /// `major.minor[.revision]` with one to nine plain ASCII digits per part, without allocating;
    /// `nil` for any other form.
    static func plainVersion(_ text: String) -> (major: Int, minor: Int, revision: Int)? {
        var parts = (0, 0, 0)
        var part = 0
        var digits = 0
        var value = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, part < 2 else { return nil }
                if part == 0 { parts.0 = value } else { parts.1 = value }
                part += 1
                digits = 0
                value = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 9 {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0, part >= 1 else { return nil }
        if part == 1 { parts.1 = value } else { parts.2 = value }
        return (parts.0, parts.1, parts.2)
    }

    /// Python's `int(str)`: optional surrounding whitespace, optional sign, decimal digits with
    /// single underscores between them.
    static func pythonInt(_ text: String) throws(ParseError) -> Int {
        // Fast path: plain ASCII digits, as every version oslo sends is.
        let utf8 = text.utf8
        if !utf8.isEmpty, utf8.count <= 18, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            var value = 0
            for b in utf8 { value = value * 10 + Int(b - UInt8(ascii: "0")) }
            return value
        }
        let trimmed = text.trimmingPythonWhitespace()
        var digits = Substring(trimmed)
        var negative = false
        if let first = digits.first, first == "+" || first == "-" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        var value = 0
        var sawDigit = false
        var lastWasUnderscore = false
        var valid = !digits.isEmpty
        for ch in digits {
            if ch == "_" {
                if !sawDigit || lastWasUnderscore { valid = false; break }
                lastWasUnderscore = true
                continue
            }
            guard let d = ch.wholeNumberValue, ch.isASCII else { valid = false; break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { valid = false; break }
            value = s
            sawDigit = true
            lastWasUnderscore = false
        }
        if lastWasUnderscore { valid = false }
        guard valid, sawDigit else {
            throw ParseError(pythonClass: "ValueError", message: "invalid literal for int() with base 10: \(pythonRepr(text))")
        }
        return negative ? -value : value
    }

    /// Python's `repr()` of a str, enough for error messages.
    static func pythonRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\\(quote)"
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }
}

extension String {
    func trimmingPythonWhitespace() -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s = s.dropFirst() }
        while let l = s.last, ws.contains(l) { s = s.dropLast() }
        return String(s)
    }

    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
