public import JSON

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
/// plain / single-quoted / double-quoted scalars (folded over lines), comments. Anything else is
/// refused (`nil`).
enum BlockMappingReader {
    struct Line {
        let indent: Int
        let text: Substring
    }

    static func parse(_ text: String) -> JSONValue? {
        var lines: [Line] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var raw = raw
            if raw.last == "\r" { raw = raw.dropLast() }
            let indent = raw.prefix { $0 == " " }.count
            let body = raw.dropFirst(indent)
            if body.isEmpty || body.first == "#" { continue }
            if body == "---" || body == "..." { continue }
            lines.append(Line(indent: indent, text: body))
        }
        var i = 0
        guard let first = lines.first else { return .null }
        guard let mapping = parseMapping(lines, &i, indent: first.indent), i == lines.count else { return nil }
        return .object(mapping)
    }

    static func parseMapping(_ lines: [Line], _ i: inout Int, indent: Int) -> JSONObject? {
        var out = JSONObject()
        while i < lines.count, lines[i].indent == indent {
            let line = lines[i].text
            guard let (key, rest) = splitKey(line) else { return nil }
            i += 1
            let value = stripComment(rest)
            if value.isEmpty {
                if i < lines.count, lines[i].indent > indent {
                    guard let nested = parseMapping(lines, &i, indent: lines[i].indent) else { return nil }
                    out[key] = .object(nested)
                } else {
                    out[key] = .null
                }
                continue
            }
            // Continuation lines of a scalar are more indented than the key.
            var continuation: [Substring] = []
            while i < lines.count, lines[i].indent > indent {
                continuation.append(lines[i].text)
                i += 1
            }
            guard let scalar = parseScalar(value, continuation: continuation) else { return nil }
            out[key] = scalar
        }
        if i < lines.count, lines[i].indent > indent { return nil }
        return out
    }

    static func splitKey(_ line: Substring) -> (String, Substring)? {
        if line.first == "'" || line.first == "\"" {
            guard let (key, after) = quoted(line), after.first == ":" else { return nil }
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

    static func parseScalar(_ first: Substring, continuation: [Substring]) -> JSONValue? {
        if first.first == "'" || first.first == "\"" {
            let joined = ([first] + continuation).joined(separator: "\n")
            guard let (value, after) = quoted(Substring(joined)) else { return nil }
            guard stripComment(after).isEmpty else { return nil }
            return .string(value)
        }
        if let c = first.first, "[{&*!|>%@`".contains(c) { return nil }
        var parts: [String] = []
        for piece in [first] + continuation {
            var p = piece
            if let hash = p.firstRange(of: " #") { p = p[..<hash.lowerBound] }
            p = p.drop { $0 == " " }
            while p.last == " " { p = p.dropLast() }
            if !p.isEmpty { parts.append(String(p)) }
        }
        let text = parts.joined(separator: " ")
        if ["~", "null", "Null", "NULL"].contains(text) { return .null }
        return .string(text)
    }

    /// A quoted scalar at the start of `s` (line breaks folded to spaces), and what follows it.
    static func quoted(_ s: Substring) -> (String, Substring)? {
        guard let q = s.first else { return nil }
        var out = ""
        var idx = s.index(after: s.startIndex)
        var pendingFold = false
        while idx < s.endIndex {
            let c = s[idx]
            if c == "\n" {
                // Fold: trailing spaces dropped, the break becomes a space, leading spaces dropped.
                while out.last == " " { out.removeLast() }
                pendingFold = true
                idx = s.index(after: idx)
                while idx < s.endIndex, s[idx] == " " { idx = s.index(after: idx) }
                continue
            }
            if pendingFold {
                out += " "
                pendingFold = false
            }
            if q == "'" {
                if c == "'" {
                    let next = s.index(after: idx)
                    if next < s.endIndex, s[next] == "'" {
                        out.append("'")
                        idx = s.index(after: next)
                        continue
                    }
                    return (out, s[next...])
                }
                out.append(c)
                idx = s.index(after: idx)
            } else {
                if c == "\"" { return (out, s[s.index(after: idx)...]) }
                if c == "\\" {
                    let next = s.index(after: idx)
                    guard next < s.endIndex else { return nil }
                    let e = s[next]
                    idx = s.index(after: next)
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
                        // Escaped line break: joined without a space.
                        while idx < s.endIndex, s[idx] == " " { idx = s.index(after: idx) }
                    case "x", "u", "U":
                        let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        var hex = ""
                        for _ in 0..<width {
                            guard idx < s.endIndex else { return nil }
                            hex.append(s[idx])
                            idx = s.index(after: idx)
                        }
                        guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else { return nil }
                        out.unicodeScalars.append(scalar)
                    default: return nil
                    }
                    continue
                }
                out.append(c)
                idx = s.index(after: idx)
            }
        }
        return nil
    }
}
