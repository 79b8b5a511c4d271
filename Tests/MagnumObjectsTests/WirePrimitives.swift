import Foundation
import JSON
import TestSupport

/// Every versioned-object primitive found in the recorded traffic (requests and replies).
enum WirePrimitives {
    struct Found {
        let file: String
        let path: String
        let primitive: JSONValue
    }

    static func all() throws -> [Found] {
        let dir = TestEnvironment.fixturesDirectory.appendingPathComponent("wire")
        var found: [Found] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where file.hasSuffix(".jsonl") {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            for (n, line) in text.split(separator: "\n").enumerated() {
                let record = try JSONValue(parsing: String(line))
                guard let body = record["body"]?.stringValue else { continue }
                var message = try JSONValue(parsing: body)
                if let inner = message["oslo.message"]?.stringValue { message = try JSONValue(parsing: inner) }
                collect(message, path: "\(file)#\(n)", into: &found, file: file)
            }
        }
        return found
    }

    private static func collect(_ value: JSONValue, path: String, into found: inout [Found], file: String) {
        switch value {
        case .object(let o):
            if o["magnum_object.name"] != nil {
                found.append(Found(file: file, path: path, primitive: value))
                return  // nested objects are checked through their parent
            }
            for (k, v) in o { collect(v, path: path + "." + k, into: &found, file: file) }
        case .array(let a):
            for (i, v) in a.enumerated() { collect(v, path: path + "[\(i)]", into: &found, file: file) }
        case .string(let s) where s.hasPrefix("{") || s.hasPrefix("["):
            // Replies carry failures as JSON strings; results are plain JSON.
            if let inner = try? JSONValue(parsing: s) { collect(inner, path: path + "<json>", into: &found, file: file) }
        default: break
        }
    }

    /// The primitive with `magnum_object.changes` (an unordered set in Python) sorted, recursively.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var o):
            for (k, v) in o { o[k] = normalized(v) }
            if case .array(let changes)? = o["magnum_object.changes"] {
                o["magnum_object.changes"] = .array(changes.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") })
            }
            return .object(o)
        case .array(let a): return .array(a.map(normalized))
        default: return value
        }
    }
}
