import JSON

/// The smallest description of how two JSON documents differ: one line per differing path
/// (`/helm[0]/values/addons/monitoring/enabled: expected true, got false`), with JSON's own
/// equality (key order ignored, `1 == 1.0`). Lists of equal length are compared element by
/// element; otherwise the whole list is shown once.
enum JSONDiff {
    static func lines(expected: JSONValue, actual: JSONValue, path: String = "", limit: Int = 30) -> [String] {
        var out: [String] = []
        walk(expected, actual, path, &out, limit)
        return out
    }

    static func short(_ v: JSONValue) -> String {
        let s = v.jsonString(.compact)
        return s.count > 240 ? String(s.prefix(240)) + "…" : s
    }

    private static func walk(_ e: JSONValue, _ a: JSONValue, _ path: String, _ out: inout [String], _ limit: Int) {
        guard out.count < limit, e != a else { return }
        switch (e, a) {
        case (.object(let eo), .object(let ao)):
            for (k, ev) in eo {
                if let av = ao[k] {
                    walk(ev, av, "\(path)/\(k)", &out, limit)
                } else {
                    out.append("\(path)/\(k): expected \(short(ev)), missing")
                }
            }
            for (k, av) in ao where eo[k] == nil {
                out.append("\(path)/\(k): unexpected \(short(av))")
            }
        case (.array(let ea), .array(let aa)) where ea.count == aa.count:
            for (i, (x, y)) in zip(ea, aa).enumerated() { walk(x, y, "\(path)[\(i)]", &out, limit) }
        case (.array(let ea), .array(let aa)):
            out.append("\(path): expected \(ea.count) items \(short(e)), got \(aa.count) items \(short(a))")
        default:
            out.append("\(path.isEmpty ? "/" : path): expected \(short(e)), got \(short(a))")
        }
    }

    /// Lines joined for a test failure message.
    static func report(expected: JSONValue, actual: JSONValue) -> String {
        lines(expected: expected, actual: actual).joined(separator: "\n")
    }
}
