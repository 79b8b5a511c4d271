public import JSON

/// PyYAML's `yaml.safe_dump` for documents of nested mappings and scalars (what `clouds.yaml`
/// is), byte for byte: keys sorted, block style, two-space indent, plain scalars unless the text
/// would read back as something else (then single- or double-quoted as PyYAML chooses), long
/// values folded at 80 columns the way PyYAML folds them.
public enum PythonYAML {
    public static func safeDump(_ document: JSONValue) -> String {
        var e = Emitter()
        e.emitRoot(document)
        return e.out
    }

    // MARK: - Resolver (which plain scalars would not read back as strings)

    /// Whether PyYAML's implicit resolvers turn this plain text into a non-string.
    static func resolvesToNonString(_ value: String) -> Bool {
        let u = Array(value.unicodeScalars)
        guard let first = u.first else { return true }  // '' is null
        switch first {
        case "y", "Y", "n", "N", "t", "T", "f", "F", "o", "O":
            if boolWords.contains(value) { return true }
        default: break
        }
        if "-+0123456789.".unicodeScalars.contains(first), isFloat(u) { return true }
        if "-+0123456789".unicodeScalars.contains(first), isInt(u) { return true }
        if value == "<<" || value == "=" { return true }
        if value == "~" || value == "null" || value == "Null" || value == "NULL" { return true }
        if "0123456789".unicodeScalars.contains(first), isTimestamp(u) { return true }
        return false
    }

    static let boolWords: Set<String> = ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                                          "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]

    static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }

    /// A small backtracking matcher is overkill: these are the resolver regexes written out.
    /// Python's `$` also matches before one trailing newline.
    static func trimmedForDollar(_ u: [Unicode.Scalar]) -> [Unicode.Scalar] {
        u.last == "\n" ? Array(u.dropLast()) : u
    }

    static func isInt(_ all: [Unicode.Scalar]) -> Bool {
        let u = trimmedForDollar(all)
        var i = 0
        if i < u.count, u[i] == "-" || u[i] == "+" { i += 1 }
        let rest = Array(u[i...])
        guard !rest.isEmpty else { return false }
        // 0b[0-1_]+
        if rest.count > 2, rest[0] == "0", rest[1] == "b", rest[2...].allSatisfy({ $0 == "0" || $0 == "1" || $0 == "_" }) { return true }
        // 0x[0-9a-fA-F_]+
        if rest.count > 2, rest[0] == "0", rest[1] == "x",
           rest[2...].allSatisfy({ $0.properties.isASCIIHexDigit || $0 == "_" }) { return true }
        // 0[0-7_]+
        if rest.count > 1, rest[0] == "0", rest[1...].allSatisfy({ ($0.value >= 0x30 && $0.value <= 0x37) || $0 == "_" }) { return true }
        // 0 | [1-9][0-9_]*
        if rest == ["0"] { return true }
        if rest[0] != "0", isDigit(rest[0]) {
            if rest.allSatisfy({ isDigit($0) || $0 == "_" }) { return true }
            // [1-9][0-9_]*(:[0-5]?[0-9])+  (sexagesimal)
            let groups = rest.split(separator: ":", omittingEmptySubsequences: false)
            if groups.count > 1, groups[0].allSatisfy({ isDigit($0) || $0 == "_" }),
               groups.dropFirst().allSatisfy(isSexagesimalDigits) { return true }
        }
        return false
    }

    static func isSexagesimalDigits(_ g: ArraySlice<Unicode.Scalar>) -> Bool {
        let a = Array(g)
        if a.count == 1 { return isDigit(a[0]) }
        if a.count == 2 { return a[0].value >= 0x30 && a[0].value <= 0x35 && isDigit(a[1]) }
        return false
    }

    static func isFloat(_ all: [Unicode.Scalar]) -> Bool {
        let u = trimmedForDollar(all)
        func exponentOK(_ e: ArraySlice<Unicode.Scalar>) -> Bool {
            // (?:[eE][-+][0-9]+)?
            if e.isEmpty { return true }
            let a = Array(e)
            return a.count >= 3 && (a[0] == "e" || a[0] == "E") && (a[1] == "-" || a[1] == "+") && a[2...].allSatisfy(isDigit)
        }
        var i = 0
        var signed = false
        if i < u.count, u[i] == "-" || u[i] == "+" { i += 1; signed = true }
        let rest = Array(u[i...])
        // [-+]?\.(inf|Inf|INF)   and   \.(nan|NaN|NAN)
        let word = String(String.UnicodeScalarView(rest))
        if [".inf", ".Inf", ".INF"].contains(word) { return true }
        if !signed, [".nan", ".NaN", ".NAN"].contains(word) { return true }
        // \.[0-9][0-9_]*(exp)?   (unsigned only)
        if !signed, rest.count >= 2, rest[0] == ".", isDigit(rest[1]) {
            var j = 2
            while j < rest.count, isDigit(rest[j]) || rest[j] == "_" { j += 1 }
            if exponentOK(rest[j...]) { return true }
        }
        // [0-9][0-9_]*\.[0-9_]*(exp)?
        if let f = rest.first, isDigit(f) {
            var j = 1
            while j < rest.count, isDigit(rest[j]) || rest[j] == "_" { j += 1 }
            if j < rest.count, rest[j] == "." {
                var k = j + 1
                while k < rest.count, isDigit(rest[k]) || rest[k] == "_" { k += 1 }
                if exponentOK(rest[k...]) { return true }
            }
            // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
            if let dot = rest.lastIndex(of: ".") {
                let head = rest[..<dot]
                let tail = rest[(dot + 1)...]
                let groups = head.split(separator: ":", omittingEmptySubsequences: false)
                if groups.count > 1, let g0 = groups.first, let c = g0.first, isDigit(c),
                   g0.allSatisfy({ isDigit($0) || $0 == "_" }), groups.dropFirst().allSatisfy(isSexagesimalDigits),
                   tail.allSatisfy({ isDigit($0) || $0 == "_" }) { return true }
            }
        }
        return false
    }

    static func isTimestamp(_ all: [Unicode.Scalar]) -> Bool {
        let u = trimmedForDollar(all)
        var i = 0
        func digits(_ min: Int, _ max: Int) -> Bool {
            var n = 0
            while n < max, i < u.count, isDigit(u[i]) { i += 1; n += 1 }
            return n >= min
        }
        func char(_ c: Unicode.Scalar) -> Bool {
            if i < u.count, u[i] == c { i += 1; return true }
            return false
        }
        // YYYY-MM-DD
        guard digits(4, 4), char("-") else { return false }
        let save = i
        if digits(2, 2), char("-"), digits(2, 2), i == u.count { return true }
        i = save
        guard digits(1, 2), char("-"), digits(1, 2) else { return false }
        // (?:[Tt]|[ \t]+)
        if i < u.count, u[i] == "T" || u[i] == "t" {
            i += 1
        } else {
            var n = 0
            while i < u.count, u[i] == " " || u[i] == "\t" { i += 1; n += 1 }
            guard n > 0 else { return false }
        }
        guard digits(1, 2), char(":"), digits(2, 2), char(":"), digits(2, 2) else { return false }
        if char(".") { _ = digits(0, Int.max) }
        let beforeZone = i
        while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
        if i == u.count { return true }
        if char("Z") { return i == u.count }
        if i < u.count, u[i] == "-" || u[i] == "+" {
            i += 1
            guard digits(1, 2) else { return false }
            if char(":") { guard digits(2, 2) else { return false } }
            return i == u.count
        }
        i = beforeZone
        return i == u.count
    }

    // MARK: - Emitter

    struct Analysis {
        var empty = false
        var multiline = false
        var allowBlockPlain = true
        var allowSingleQuoted = true
    }

    static func isBreak(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" }
    static func isSpaceOrBreakOrNul(_ c: Unicode.Scalar) -> Bool {
        c == "\0" || c == " " || c == "\t" || c == "\r" || c == "\n" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
    }

    /// `Emitter.analyze_scalar` with `allow_unicode=False`, for block context.
    static func analyze(_ scalar: [Unicode.Scalar]) -> Analysis {
        if scalar.isEmpty { return Analysis(empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true) }
        var blockIndicators = false
        var lineBreaks = false
        var special = false
        var leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        let text = String(String.UnicodeScalarView(scalar))
        if text.hasPrefix("---") || text.hasPrefix("...") { blockIndicators = true }
        var precededByWhitespace = true
        var followedByWhitespace = scalar.count == 1 || isSpaceOrBreakOrNul(scalar[1])
        var previousSpace = false, previousBreak = false
        for (index, ch) in scalar.enumerated() {
            if index == 0 {
                if "#,[]{}&*!|>'\"%@`".unicodeScalars.contains(ch) { blockIndicators = true }
                if ch == "?" || ch == ":" { if followedByWhitespace { blockIndicators = true } }
                if ch == "-" && followedByWhitespace { blockIndicators = true }
            } else {
                if ch == ":" && followedByWhitespace { blockIndicators = true }
                if ch == "#" && precededByWhitespace { blockIndicators = true }
            }
            if isBreak(ch) { lineBreaks = true }
            if !(ch == "\n" || (ch.value >= 0x20 && ch.value <= 0x7E)) {
                // allow_unicode is off in safe_dump: every other character needs double quotes.
                special = true
            }
            if ch == " " {
                if index == 0 { leadingSpace = true }
                if index == scalar.count - 1 { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if isBreak(ch) {
                if index == 0 { leadingBreak = true }
                if index == scalar.count - 1 { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = isSpaceOrBreakOrNul(ch)
            followedByWhitespace = index + 2 >= scalar.count || isSpaceOrBreakOrNul(scalar[index + 2])
        }
        var a = Analysis(empty: false, multiline: lineBreaks, allowBlockPlain: true, allowSingleQuoted: true)
        if leadingSpace || leadingBreak || trailingSpace || trailingBreak { a.allowBlockPlain = false }
        if breakSpace { a.allowBlockPlain = false; a.allowSingleQuoted = false }
        if spaceBreak || special { a.allowBlockPlain = false; a.allowSingleQuoted = false }
        if lineBreaks { a.allowBlockPlain = false }
        if blockIndicators { a.allowBlockPlain = false }
        return a
    }

    struct Emitter {
        var out = ""
        var column = 0
        var indent: Int?
        var indents: [Int?] = []
        var whitespace = true
        var indention = true
        let bestIndent = 2
        let bestWidth = 80

        mutating func write(_ s: String) {
            out += s
            column += s.unicodeScalars.count
        }

        mutating func writeLineBreak(_ data: String = "\n") {
            whitespace = true
            indention = true
            column = 0
            out += data
        }

        mutating func writeIndent() {
            let ind = indent ?? 0
            if !indention || column > ind || (column == ind && !whitespace) { writeLineBreak() }
            if column < ind {
                whitespace = true
                out += String(repeating: " ", count: ind - column)
                column = ind
            }
        }

        mutating func writeIndicator(_ indicator: String, needWhitespace: Bool, whitespace ws: Bool = false, indention ind: Bool = false) {
            let data = (whitespace || !needWhitespace) ? indicator : " " + indicator
            whitespace = ws
            indention = indention && ind
            write(data)
        }

        mutating func increaseIndent(flow: Bool) {
            indents.append(indent)
            if let i = indent { indent = i + bestIndent } else { indent = flow ? bestIndent : 0 }
        }

        mutating func popIndent() { indent = indents.popLast() ?? nil }

        mutating func emitRoot(_ node: JSONValue) {
            emitNode(node, simpleKey: false)
            // expect_document_end
            writeIndent()
        }

        mutating func emitNode(_ node: JSONValue, simpleKey: Bool) {
            switch node {
            case .object(let o):
                if o.isEmpty {
                    // Flow mapping `{}`.
                    writeIndicator("{", needWhitespace: true, whitespace: true)
                    writeIndicator("}", needWhitespace: false)
                    return
                }
                increaseIndent(flow: false)
                let keys = o.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
                for key in keys {
                    writeIndent()
                    emitScalar(key, plainAllowedByResolver: !PythonYAML.resolvesToNonString(key), simpleKey: true)
                    writeIndicator(":", needWhitespace: false)
                    emitNode(o[key] ?? .null, simpleKey: false)
                }
                popIndent()
            case .array(let a):
                // Not in clouds.yaml; a flow list of scalars keeps the output valid.
                writeIndicator("[", needWhitespace: true, whitespace: true)
                for (i, v) in a.enumerated() {
                    if i > 0 { writeIndicator(",", needWhitespace: false) }
                    emitNode(v, simpleKey: true)
                }
                writeIndicator("]", needWhitespace: false)
            case .string(let s):
                emitScalar(s, plainAllowedByResolver: !PythonYAML.resolvesToNonString(s), simpleKey: simpleKey)
            case .bool(let b):
                emitScalar(b ? "true" : "false", plainAllowedByResolver: true, simpleKey: simpleKey)
            case .int(let i):
                emitScalar(String(i), plainAllowedByResolver: true, simpleKey: simpleKey)
            case .double(let d):
                emitScalar(PythonFloat.repr(d), plainAllowedByResolver: true, simpleKey: simpleKey)
            case .null:
                emitScalar("null", plainAllowedByResolver: true, simpleKey: simpleKey)
            }
        }

        mutating func emitScalar(_ value: String, plainAllowedByResolver: Bool, simpleKey: Bool) {
            increaseIndent(flow: true)
            defer { popIndent() }
            let text = Array(value.unicodeScalars)
            let a = PythonYAML.analyze(text)
            let split = !simpleKey
            if plainAllowedByResolver, !(simpleKey && (a.empty || a.multiline)), a.allowBlockPlain {
                writePlain(text, split: split)
            } else if a.allowSingleQuoted, !(simpleKey && a.multiline) {
                writeSingleQuoted(text, split: split)
            } else {
                writeDoubleQuoted(text, split: split)
            }
        }

        mutating func writePlain(_ text: [Unicode.Scalar], split: Bool) {
            if text.isEmpty { return }
            if !whitespace { write(" ") }
            whitespace = false
            indention = false
            var spaces = false, breaks = false
            var start = 0, end = 0
            while end <= text.count {
                let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
                if spaces {
                    if ch != " " {
                        if start + 1 == end && column > bestWidth && split {
                            writeIndent()
                            whitespace = false
                            indention = false
                        } else {
                            write(String(String.UnicodeScalarView(text[start..<end])))
                        }
                        start = end
                    }
                } else if breaks {
                    if ch == nil || !PythonYAML.isBreak(ch!) {
                        if text[start] == "\n" { writeLineBreak() }
                        for br in text[start..<end] { writeLineBreak(br == "\n" ? "\n" : String(br)) }
                        writeIndent()
                        whitespace = false
                        indention = false
                        start = end
                    }
                } else {
                    if ch == nil || ch == " " || PythonYAML.isBreak(ch!) {
                        write(String(String.UnicodeScalarView(text[start..<end])))
                        start = end
                    }
                }
                if let ch {
                    spaces = ch == " "
                    breaks = PythonYAML.isBreak(ch)
                }
                end += 1
            }
        }

        mutating func writeSingleQuoted(_ text: [Unicode.Scalar], split: Bool) {
            writeIndicator("'", needWhitespace: true)
            var spaces = false, breaks = false
            var start = 0, end = 0
            while end <= text.count {
                let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
                if spaces {
                    if ch == nil || ch != " " {
                        if start + 1 == end && column > bestWidth && split && start != 0 && end != text.count {
                            writeIndent()
                        } else {
                            write(String(String.UnicodeScalarView(text[start..<end])))
                        }
                        start = end
                    }
                } else if breaks {
                    if ch == nil || !PythonYAML.isBreak(ch!) {
                        if text[start] == "\n" { writeLineBreak() }
                        for br in text[start..<end] { writeLineBreak(br == "\n" ? "\n" : String(br)) }
                        writeIndent()
                        start = end
                    }
                } else {
                    if ch == nil || ch == " " || PythonYAML.isBreak(ch!) || ch == "'" {
                        if start < end {
                            write(String(String.UnicodeScalarView(text[start..<end])))
                            start = end
                        }
                    }
                }
                if ch == "'" {
                    write("''")
                    start = end + 1
                }
                if let ch {
                    spaces = ch == " "
                    breaks = PythonYAML.isBreak(ch)
                }
                end += 1
            }
            writeIndicator("'", needWhitespace: false)
        }

        static let escapes: [Unicode.Scalar: String] = [
            "\0": "0", "\u{07}": "a", "\u{08}": "b", "\u{09}": "t", "\u{0A}": "n", "\u{0B}": "v", "\u{0C}": "f",
            "\u{0D}": "r", "\u{1B}": "e", "\"": "\"", "\\": "\\", "\u{85}": "N", "\u{A0}": "_", "\u{2028}": "L", "\u{2029}": "P",
        ]

        mutating func writeDoubleQuoted(_ text: [Unicode.Scalar], split: Bool) {
            writeIndicator("\"", needWhitespace: true)
            var start = 0, end = 0
            while end <= text.count {
                let ch: Unicode.Scalar? = end < text.count ? text[end] : nil
                let needsEscape: Bool = {
                    guard let ch else { return true }
                    if ch == "\"" || ch == "\\" || ch == "\u{85}" || ch == "\u{2028}" || ch == "\u{2029}" || ch == "\u{FEFF}" { return true }
                    return !(ch.value >= 0x20 && ch.value <= 0x7E)
                }()
                if needsEscape {
                    if start < end {
                        write(String(String.UnicodeScalarView(text[start..<end])))
                        start = end
                    }
                    if let ch {
                        let data: String
                        if let e = Self.escapes[ch] {
                            data = "\\" + e
                        } else if ch.value <= 0xFF {
                            data = "\\x" + Self.hex(ch.value, 2)
                        } else if ch.value <= 0xFFFF {
                            data = "\\u" + Self.hex(ch.value, 4)
                        } else {
                            data = "\\U" + Self.hex(ch.value, 8)
                        }
                        write(data)
                        start = end + 1
                    }
                }
                if 0 < end && end < text.count - 1 && (ch == " " || start >= end) && column + (end - start) > bestWidth && split {
                    var data = String(String.UnicodeScalarView(text[start..<max(start, end)])) + "\\"
                    if start < end { start = end }
                    if data.isEmpty { data = "\\" }
                    write(data)
                    writeIndent()
                    whitespace = false
                    indention = false
                    if text[start] == " " { write("\\") }
                }
                end += 1
            }
            writeIndicator("\"", needWhitespace: false)
        }

        static func hex(_ v: UInt32, _ width: Int) -> String {
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
    }
}

/// Python's `repr(float)` for the values that can reach YAML here.
enum PythonFloat {
    static func repr(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return JSONValue.double(d).jsonString()
    }
}
