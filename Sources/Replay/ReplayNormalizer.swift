public import JSON

/// Makes a replay's result repeatable without hiding behaviour: identifiers the worker made up
/// (uuid4s of new rows and key pairs, CADF event ids, message and reply ids, made-up credential
/// ids) become `<uuid:N>` / `<hex:N>` in order of first appearance, and PEM blocks (fresh keys
/// and certificates every run) become `<PEM CERTIFICATE>` etc. Identifiers that appear in the
/// recording or the seed are real data and stay as they are.
public struct ReplayNormalizer: Sendable {
    /// Identifiers kept verbatim (lower case).
    public let known: Set<String>

    public init(known: Set<String>) { self.known = known }

    /// Every uuid-shaped or 32-hex token in `text`.
    public static func identifiers(in text: String) -> Set<String> {
        Set(matches(in: Array(text)).map { String($0.token).lowercased() })
    }

    /// The document with made-up identifiers and PEM blocks replaced. The walk follows the
    /// order the document is written in (keys sorted), so numbering is stable.
    public func normalize(_ value: JSONValue) -> JSONValue {
        var numbering = Numbering()
        return walk(value, &numbering)
    }

    struct Numbering {
        var assigned: [String: String] = [:]
        var uuids = 0
        var hexes = 0
    }

    func walk(_ value: JSONValue, _ n: inout Numbering) -> JSONValue {
        switch value {
        case .string(let s):
            return .string(normalize(string: s, &n))
        case .array(let items):
            return .array(items.map { walk($0, &n) })
        case .object(let o):
            var out = JSONObject()
            for key in o.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                if let v = o[key] { out[key] = walk(v, &n) }
            }
            // Keep the original key order in the document (the writer sorts anyway).
            var ordered = JSONObject()
            for key in o.keys { ordered[key] = out[key] }
            return .object(ordered)
        default:
            return value
        }
    }

    func normalize(string s: String, _ n: inout Numbering) -> String {
        let text = Array(Self.replacingPEM(s))
        let found = Self.matches(in: text)
        guard !found.isEmpty else { return String(text) }
        var result = ""
        var position = 0
        for match in found {
            result += String(text[position..<match.start])
            let token = String(match.token)
            let lower = token.lowercased()
            if known.contains(lower) {
                result += token
            } else if let placeholder = n.assigned[lower] {
                result += placeholder
            } else {
                let placeholder: String
                if match.token.count == 36 {
                    n.uuids += 1
                    placeholder = "<uuid:\(n.uuids)>"
                } else {
                    n.hexes += 1
                    placeholder = "<hex:\(n.hexes)>"
                }
                n.assigned[lower] = placeholder
                result += placeholder
            }
            position = match.start + match.token.count
        }
        result += String(text[position...])
        return result
    }

    /// uuid-shaped (8-4-4-4-12) and 32-hex-digit tokens not glued to other hex digits.
    static func matches(in text: [Character]) -> [(start: Int, token: ArraySlice<Character>)] {
        var out: [(Int, ArraySlice<Character>)] = []
        var i = 0
        func hex(_ j: Int) -> Bool { j >= 0 && j < text.count && text[j].isHexDigit && text[j].isASCII }
        while i < text.count {
            guard hex(i), !hex(i - 1) else { i += 1; continue }
            if i + 36 <= text.count, !hex(i + 36), isUUID(String(text[i..<(i + 36)])) {
                out.append((i, text[i..<(i + 36)]))
                i += 36
                continue
            }
            if i + 32 <= text.count, !hex(i + 32), text[i..<(i + 32)].allSatisfy({ $0.isHexDigit && $0.isASCII }) {
                out.append((i, text[i..<(i + 32)]))
                i += 32
                continue
            }
            i += 1
        }
        return out
    }

    static func isUUID(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 5 else { return false }
        return zip(parts, [8, 4, 4, 4, 12]).allSatisfy { $0.count == $1 && $0.allSatisfy(\.isHexDigit) }
    }

    static func isHex32(_ s: String) -> Bool { s.count == 32 && s.allSatisfy(\.isHexDigit) }

    /// `-----BEGIN X-----…-----END X-----` → `<PEM X>`.
    static func replacingPEM(_ s: String) -> String {
        guard s.contains("-----BEGIN ") else { return s }
        var out = ""
        var rest = Substring(s)
        while let begin = rest.range(of: "-----BEGIN ") {
            out += rest[..<begin.lowerBound]
            let afterBegin = rest[begin.upperBound...]
            guard let labelEnd = afterBegin.range(of: "-----") else { break }
            let label = afterBegin[..<labelEnd.lowerBound]
            let endMarker = "-----END \(label)-----"
            guard let end = afterBegin.range(of: endMarker) else { break }
            out += "<PEM \(label)>"
            rest = afterBegin[end.upperBound...]
        }
        out += rest
        return out
    }
}
