/// The handful of Python and oslo text functions the capi-helm driver's behaviour rests on,
/// reproduced exactly so labels, names and numbers come out as magnum-capi-helm 1.4.0 makes them.
enum PythonText {
    /// `re.sub(pattern, "", text)` for a pattern of the form `[^<allowed>]+`: keeps only the
    /// characters `allowed` accepts (Python's `re` works on code points, so `[a-z]` is ASCII only).
    @inline(__always)
    static func keep(_ text: String, _ allowed: (Unicode.Scalar) -> Bool) -> String {
        // Fast path for ASCII text (labels almost always are): bytes are code points.
        var ascii = true
        var clean = true
        for b in text.utf8 {
            if b >= 0x80 { ascii = false; break }
            if clean, !allowed(Unicode.Scalar(b)) { clean = false }
        }
        if ascii {
            if clean { return text }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.utf8.count)
            for b in text.utf8 where allowed(Unicode.Scalar(b)) { bytes.append(b) }
            return String(decoding: bytes, as: UTF8.self)
        }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars where allowed(s) { out.append(s) }
        return String(out)
    }

    @inline(__always)
    static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    /// Label values: `[^a-zA-Z0-9\.\-\/ _]+` removed.
    static func sanitizeLabel(_ text: String) -> String {
        keep(text) { isASCIIAlnum($0) || $0 == "." || $0 == "-" || $0 == "/" || $0 == " " || $0 == "_" }
    }

    /// Entries of comma-separated labels: `[^a-zA-Z0-9\.\-\/\:]+` removed.
    static func sanitizeListEntry(_ text: String) -> String {
        keep(text) { isASCIIAlnum($0) || $0 == "." || $0 == "-" || $0 == "/" || $0 == ":" }
    }

    /// Chart versions: `[^a-z0-9\.\-\+]+` removed (lower case only).
    static func sanitizeChartVersion(_ text: String) -> String {
        keep(text) {
            switch $0.value {
            case 0x30...0x39, 0x61...0x7A: return true
            default: return $0 == "." || $0 == "-" || $0 == "+"
            }
        }
    }

    /// Kubernetes versions: `[^0-9\.]+` removed.
    static func sanitizeKubeVersion(_ text: String) -> String {
        keep(text) { ($0.value >= 0x30 && $0.value <= 0x39) || $0 == "." }
    }

    /// Image `os_distro`: `[^a-zA-Z0-9\.\-\/ ]+` removed.
    static func sanitizeOSDistro(_ text: String) -> String {
        keep(text) { isASCIIAlnum($0) || $0 == "." || $0 == "-" || $0 == "/" || $0 == " " }
    }

    /// Network drivers: `[^a-zA-Z0-9\.\-_]+` removed.
    static func sanitizeNetworkDriver(_ text: String) -> String {
        keep(text) { isASCIIAlnum($0) || $0 == "." || $0 == "-" || $0 == "_" }
    }

    /// `str.strip()` for the whitespace that can survive the label sanitiser, and the rest of
    /// ASCII whitespace Python strips.
    static func strip(_ text: Substring) -> Substring {
        func isSpace(_ c: Character) -> Bool {
            c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
        }
        var s = text
        while let f = s.first, isSpace(f) { s = s.dropFirst() }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        return s
    }

    /// Python's `int(text)` for a base-10 string: surrounding whitespace, an optional sign, digits
    /// with single underscores between them. `nil` where Python raises `ValueError` (and for values
    /// beyond 64 bits, which no label here can sensibly hold).
    static func int(_ text: String) -> Int? {
        var s = strip(Substring(text))
        var negative = false
        if let f = s.first, f == "+" || f == "-" {
            negative = f == "-"
            s = s.dropFirst()
        }
        guard let first = s.first, first.isASCII, first.isNumber else { return nil }
        var value = 0
        var previousUnderscore = false
        for c in s {
            if c == "_" {
                if previousUnderscore { return nil }
                previousUnderscore = true
                continue
            }
            guard let d = c.asciiDigit else { return nil }
            previousUnderscore = false
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = a
        }
        if previousUnderscore { return nil }
        return negative ? -value : value
    }

    static let trueStrings: Set<String> = ["1", "t", "true", "on", "y", "yes"]
    static let falseStrings: Set<String> = ["0", "f", "false", "off", "n", "no"]

    /// oslo's `strutils.bool_from_string(subject, default=default)` for a string subject.
    static func boolFromString(_ subject: String, default defaultValue: Bool) -> Bool {
        if subject.isEmpty { return defaultValue }
        let lowered = strip(Substring(subject)).lowercased()
        if trueStrings.contains(lowered) { return true }
        if falseStrings.contains(lowered) { return false }
        return defaultValue
    }

    /// oslo's `strutils.split_by_commas`: comma-separated words of printable ASCII, or
    /// double-quoted strings with backslash escapes; whitespace around items is skipped.
    /// `nil` where oslo raises `ValueError("Invalid value: ...")`.
    static func splitByCommas(_ value: String) -> [String]? {
        let chars = Array(value.unicodeScalars)
        var i = 0
        var items: [String] = []
        func skipWhitespace() {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" { i += 1 }
        }
        func isPrintable(_ s: Unicode.Scalar) -> Bool { s.value >= 33 && s.value <= 126 }
        while true {
            skipWhitespace()
            guard i < chars.count else { return nil }
            if chars[i] == "\"" {
                // QuotedString('"', escChar='\\'): ends at the first unescaped quote on the line.
                var item = String.UnicodeScalarView()
                i += 1
                var closed = false
                while i < chars.count {
                    let c = chars[i]
                    if c == "\\", i + 1 < chars.count {
                        item.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    if c == "\"" {
                        closed = true
                        i += 1
                        break
                    }
                    if c == "\n" { return nil }
                    item.append(c)
                    i += 1
                }
                guard closed else { return nil }
                items.append(String(item))
            } else {
                var item = String.UnicodeScalarView()
                while i < chars.count, isPrintable(chars[i]), chars[i] != "\"", chars[i] != "," {
                    item.append(chars[i])
                    i += 1
                }
                guard !item.isEmpty else { return nil }
                items.append(String(item))
            }
            skipWhitespace()
            if i == chars.count { return items }
            guard chars[i] == "," else { return nil }
            i += 1
        }
    }

    /// oslo's `uuidutils.is_uuid_like`: after dropping `urn:`/`uuid:`, surrounding braces and
    /// dashes, exactly 32 hexadecimal digits.
    static func isUUIDLike(_ value: String) -> Bool {
        var s = value.replacing("urn:", with: "").replacing("uuid:", with: "")
        while s.first == "{" || s.first == "}" { s.removeFirst() }
        while s.last == "{" || s.last == "}" { s.removeLast() }
        var count = 0
        for c in s.unicodeScalars where c != "-" {
            guard c.properties.isASCIIHexDigit else { return false }
            count += 1
        }
        return count == 32
    }

    /// `driver_utils.sanitized_name(name, suffix)`: lower case, runs of anything but `[a-z0-9]`
    /// become `-`, dashes trimmed; `nil` for an empty or missing name.
    static func sanitizedName(_ name: String?, suffix: String? = nil) -> String? {
        guard let name, !name.isEmpty else { return nil }
        let full: String
        if let suffix, !suffix.isEmpty { full = "\(name)-\(suffix)" } else { full = name }
        // ASCII fast path: lower-casing is byte-wise.
        if full.utf8.allSatisfy({ $0 < 0x80 }) {
            var out: [UInt8] = []
            out.reserveCapacity(full.utf8.count)
            var pendingDash = false
            for var b in full.utf8 {
                if b >= 0x41 && b <= 0x5A { b += 0x20 }
                if (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) {
                    if pendingDash, !out.isEmpty { out.append(0x2D) }
                    pendingDash = false
                    out.append(b)
                } else {
                    pendingDash = true
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var out = String.UnicodeScalarView()
        var pendingDash = false
        for s in full.lowercased().unicodeScalars {
            if (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x61 && s.value <= 0x7A) {
                if pendingDash, !out.isEmpty { out.append("-") }
                pendingDash = false
                out.append(s)
            } else {
                pendingDash = true
            }
        }
        return String(out)
    }
}

extension Character {
    var asciiDigit: Int? {
        guard let a = asciiValue, a >= 48, a <= 57 else { return nil }
        return Int(a - 48)
    }
}
