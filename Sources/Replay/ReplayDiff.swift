public import JSON

/// A readable difference between two replay results: one line per path that differs,
/// `- path: expected` then `+ path: actual`, at most `limit` lines.
public enum ReplayDiff {
    public struct Difference: Sendable, Equatable {
        public var path: String
        public var expected: JSONValue?
        public var actual: JSONValue?
    }

    public static func differences(expected: JSONValue, actual: JSONValue) -> [Difference] {
        var out: [Difference] = []
        compare(expected, actual, path: "$", into: &out)
        return out
    }

    static func compare(_ a: JSONValue, _ b: JSONValue, path: String, into out: inout [Difference]) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in x.keys where y[key] == nil { out.append(Difference(path: "\(path).\(key)", expected: x[key], actual: nil)) }
            for key in x.keys { if let v = x[key], let w = y[key] { compare(v, w, path: "\(path).\(key)", into: &out) } }
            for key in y.keys where x[key] == nil { out.append(Difference(path: "\(path).\(key)", expected: nil, actual: y[key])) }
        case (.array(let x), .array(let y)):
            for i in 0..<min(x.count, y.count) { compare(x[i], y[i], path: "\(path)[\(i)]", into: &out) }
            if x.count > y.count { for i in y.count..<x.count { out.append(Difference(path: "\(path)[\(i)]", expected: x[i], actual: nil)) } }
            if y.count > x.count { for i in x.count..<y.count { out.append(Difference(path: "\(path)[\(i)]", expected: nil, actual: y[i])) } }
        default:
            if a != b { out.append(Difference(path: path, expected: a, actual: b)) }
        }
    }

    /// The differences as text (empty when the documents are equal).
    public static func render(expected: JSONValue, actual: JSONValue, limit: Int = 60) -> String {
        let found = differences(expected: expected, actual: actual)
        guard !found.isEmpty else { return "" }
        var lines: [String] = ["\(found.count) difference\(found.count == 1 ? "" : "s") (- expected, + actual):"]
        func short(_ v: JSONValue) -> String {
            let text = v.jsonString(.compact)
            return text.count > 200 ? String(text.prefix(200)) + "…" : text
        }
        for d in found {
            if lines.count >= limit {
                lines.append("… and \(found.count - (lines.count - 1) / 2) more")
                break
            }
            lines.append("- \(d.path): \(d.expected.map(short) ?? "(absent)")")
            lines.append("+ \(d.path): \(d.actual.map(short) ?? "(absent)")")
        }
        return lines.joined(separator: "\n")
    }
}
