import JSON

/// The `clouds.yaml` the cluster's OpenStack integrations read, as magnum-capi-helm writes it
/// (`yaml.safe_dump` of the clouds dictionary), and the reading back of the application
/// credential id from an existing Secret.
public enum CloudsYAML {
    /// The text of the `clouds.yaml` key of the `-cloud-credentials` Secret.
    public static func render(credential: ApplicationCredential, endpoint: CloudEndpoint, interface: String, verify: Bool) -> String {
        let document: JSONValue = [
            "clouds": [
                "openstack": [
                    "identity_api_version": 3,
                    "region_name": JSONValue(endpoint.regionName),
                    "interface": .string(interface),
                    "verify": .bool(verify),
                    "auth": [
                        "auth_url": JSONValue(endpoint.authURL),
                        "application_credential_id": .string(credential.id),
                        "application_credential_secret": .string(credential.secret),
                    ],
                    "auth_type": "v3applicationcredential",
                ],
            ],
        ]
        return PythonYAML.safeDump(document)
    }

    /// `clouds.openstack.auth.application_credential_id` of a `clouds.yaml`, or why it cannot be
    /// read (the Python driver logs the same situations and carries on without it).
    public static func applicationCredentialID(in text: String) -> Result<String?, ReadError> {
        guard let doc = BlockMappingReader.parse(text) else { return .failure(.notYAML) }
        guard case .object(let root) = doc, let clouds = root["clouds"] else { return .failure(.missingKey("clouds")) }
        guard let openstack = clouds["openstack"] else { return .failure(.missingKey("openstack")) }
        guard let auth = openstack["auth"] else { return .failure(.missingKey("auth")) }
        guard let id = auth["application_credential_id"] else { return .failure(.missingKey("application_credential_id")) }
        switch id {
        case .null: return .success(nil)
        case .string(let s): return .success(s)
        default: return .success(PythonStr.of(id))
        }
    }

    public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        case notYAML
        case missingKey(String)

        public var description: String {
            switch self {
            case .notYAML: return "clouds.yaml is not a YAML mapping this driver can read"
            case .missingKey(let k): return "'\(k)'"
            }
        }
    }
}

/// Reads the YAML subset PyYAML's `safe_dump` writes for nested mappings: block mappings,
/// plain / single-quoted / double-quoted scalars (folded over lines as YAML folds them),
/// comments. Anything else is refused (`nil`).
enum BlockMappingReader {
    struct Line {
        let indent: Int
        let text: Substring
        /// The raw line (for scalars that continue over lines).
        let raw: Substring
        var isBlank: Bool { text.isEmpty }
    }

    static func parse(_ text: String) -> JSONValue? {
        var lines: [Line] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var raw = raw
            if raw.last == "\r" { raw = raw.dropLast() }
            let indent = raw.prefix { $0 == " " }.count
            var body = raw.dropFirst(indent)
            if body.first == "#" || body == "---" || body == "..." { body = body[body.endIndex...] }
            if body.allSatisfy({ $0 == " " || $0 == "\t" }) { body = body[body.endIndex...] }
            lines.append(Line(indent: indent, text: body, raw: raw))
        }
        var i = 0
        skipBlank(lines, &i)
        guard i < lines.count else { return .null }
        guard let mapping = parseMapping(lines, &i, indent: lines[i].indent) else { return nil }
        skipBlank(lines, &i)
        return i == lines.count ? .object(mapping) : nil
    }

    static func skipBlank(_ lines: [Line], _ i: inout Int) {
        while i < lines.count, lines[i].isBlank { i += 1 }
    }

    static func parseMapping(_ lines: [Line], _ i: inout Int, indent: Int) -> JSONObject? {
        var out = JSONObject()
        while true {
            skipBlank(lines, &i)
            guard i < lines.count, lines[i].indent == indent else { break }
            guard let (key, rest) = splitKey(lines[i].text) else { return nil }
            let keyLine = i
            i += 1
            let value = stripComment(rest)
            if value.isEmpty {
                var j = i
                skipBlank(lines, &j)
                if j < lines.count, lines[j].indent > indent {
                    i = j
                    guard let nested = parseMapping(lines, &i, indent: lines[j].indent) else { return nil }
                    out[key] = .object(nested)
                } else {
                    out[key] = .null
                }
                continue
            }
            if value.first == "'" || value.first == "\"" {
                // A quoted scalar may run over the following lines, blank ones included.
                var text = String(value)
                for l in lines[i...] { text += "\n" + l.raw }
                guard let (scalar, consumed, after) = quoted(Substring(text)) else { return nil }
                guard stripComment(Substring(after.prefix { $0 != "\n" })).isEmpty else { return nil }
                i = keyLine + 1 + consumed
                out[key] = .string(scalar)
                continue
            }
            // Plain scalars continue on more indented lines, folded with spaces.
            var continuation: [Substring] = []
            while i < lines.count, lines[i].isBlank || lines[i].indent > indent {
                continuation.append(lines[i].text)
                i += 1
            }
            guard let scalar = plainScalar(value, continuation: continuation) else { return nil }
            out[key] = scalar
        }
        if i < lines.count, lines[i].indent > indent { return nil }
        return out
    }

    static func splitKey(_ line: Substring) -> (String, Substring)? {
        if line.first == "'" || line.first == "\"" {
            guard let (key, consumed, after) = quoted(line), consumed == 0, after.first == ":" else { return nil }
            return (key, after.dropFirst())
        }
        var idx = line.startIndex
        while idx < line.endIndex {
            if line[idx] == ":" {
                let next = line.index(after: idx)
                if next == line.endIndex || line[next] == " " {
                    let key = String(line[..<idx])
                    if key.isEmpty || "-?[]{}&*!|>%@`".contains(key.first ?? " ") { return nil }
                    return (key, line[next...])
                }
            }
            idx = line.index(after: idx)
        }
        return nil
    }

    static func stripComment(_ s: Substring) -> Substring {
        var t = s.drop { $0 == " " }
        if t.first == "#" { t = t[t.endIndex...] }
        return t
    }

    static func plainScalar(_ first: Substring, continuation: [Substring]) -> JSONValue? {
        if let c = first.first, "[{&*!|>%@`\"'".contains(c) { return nil }
        var text = ""
        var pendingBreaks = 0
        for (n, piece) in ([first] + continuation).enumerated() {
            var p = piece
            if let hash = p.firstRange(of: " #") { p = p[..<hash.lowerBound] }
            if p.first == "#" { p = p[p.endIndex...] }
            p = p.drop { $0 == " " }
            while p.last == " " { p = p.dropLast() }
            if p.isEmpty {
                if n > 0 { pendingBreaks += 1 }
                continue
            }
            if !text.isEmpty { text += pendingBreaks == 0 ? " " : String(repeating: "\n", count: pendingBreaks) }
            pendingBreaks = 0
            text += p
        }
        if ["~", "null", "Null", "NULL"].contains(text) { return .null }
        return .string(text)
    }

    /// A quoted scalar at the start of `s`: its value (line breaks folded as YAML folds them in
    /// flow scalars), how many line breaks it spans, and what follows the closing quote.
    static func quoted(_ s: Substring) -> (String, Int, Substring)? {
        guard let q = s.first else { return nil }
        var out = String.UnicodeScalarView()
        var trimmable = 0  // literal spaces at the end of `out` a line break would drop
        var breaks = 0
        let u = Array(s.unicodeScalars)
        var i = 1

        /// After a line break at `i`: skips the break, blank lines and leading blanks; returns
        /// how many breaks were crossed.
        func crossBreaks() -> Int {
            var n = 0
            while i < u.count, u[i] == "\n" {
                n += 1
                i += 1
                while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
            }
            return n
        }

        while i < u.count {
            let c = u[i]
            if c == "\n" {
                out.removeLast(trimmable)
                trimmable = 0
                let n = crossBreaks()
                breaks += n
                if n == 1 { out.append(" ") } else { for _ in 1..<n { out.append("\n") } }
                continue
            }
            if q == "'" {
                if c == "'" {
                    if i + 1 < u.count, u[i + 1] == "'" {
                        out.append("'")
                        trimmable = 0
                        i += 2
                        continue
                    }
                    return (String(out), breaks, Substring(String(String.UnicodeScalarView(u[(i + 1)...]))))
                }
            } else {
                if c == "\"" { return (String(out), breaks, Substring(String(String.UnicodeScalarView(u[(i + 1)...])))) }
                if c == "\\" {
                    guard i + 1 < u.count else { return nil }
                    let e = u[i + 1]
                    i += 2
                    trimmable = 0
                    switch e {
                    case "0": out.append("\0")
                    case "a": out.append("\u{07}")
                    case "b": out.append("\u{08}")
                    case "t", "\t": out.append("\t")
                    case "n": out.append("\n")
                    case "v": out.append("\u{0B}")
                    case "f": out.append("\u{0C}")
                    case "r": out.append("\r")
                    case "e": out.append("\u{1B}")
                    case " ": out.append(" ")
                    case "\"": out.append("\"")
                    case "/": out.append("/")
                    case "\\": out.append("\\")
                    case "N": out.append("\u{85}")
                    case "_": out.append("\u{A0}")
                    case "L": out.append("\u{2028}")
                    case "P": out.append("\u{2029}")
                    case "\n":
                        // Escaped line break: no space; blank lines after it still count.
                        breaks += 1
                        while i < u.count, u[i] == " " || u[i] == "\t" { i += 1 }
                        let n = crossBreaks()
                        breaks += n
                        for _ in 0..<n { out.append("\n") }
                    case "x", "u", "U":
                        let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard i + width <= u.count else { return nil }
                        let hex = String(String.UnicodeScalarView(u[i..<(i + width)]))
                        i += width
                        guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else { return nil }
                        out.append(scalar)
                    default: return nil
                    }
                    continue
                }
            }
            out.append(c)
            trimmable = (c == " " || c == "\t") ? trimmable + 1 : 0
            i += 1
        }
        return nil
    }
}
