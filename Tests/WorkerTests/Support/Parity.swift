import Foundation
import JSON
import MagnumObjects
import OsloMessaging

/// Puts the Swift and the Python conductor's outputs in a form where only real differences
/// remain: timestamps written "now", ids the database or pycadf generated (new nodegroups' and
/// key pairs' uuids, CADF ids), key material and set-valued lists' order.
enum Parity {
    static let timestampKeys: Set<String> = ["created_at", "updated_at", "last_seen_up"]
    static let secretKeys: Set<String> = ["certificate", "private_key", "private_key_passphrase"]

    /// Uuids the database generated, mapped to names that mean the same on both sides: new
    /// nodegroups by cluster and name, new key pairs by their order.
    static func placeholders(_ rows: JSONValue) -> [String: String] {
        var map: [String: String] = [:]
        let seeded = Seed.seedUUIDs
        for row in rows["nodegroup"]?.arrayValue ?? [] {
            guard let uuid = row["uuid"]?.stringValue, !seeded.contains(uuid) else { continue }
            map[uuid] = "<nodegroup \(row["cluster_id"]?.stringValue ?? "?")/\(row["name"]?.stringValue ?? "?")>"
        }
        var n = 0
        for row in rows["x509keypair"]?.arrayValue ?? [] {
            guard let uuid = row["uuid"]?.stringValue, !seeded.contains(uuid) else { continue }
            n += 1
            map[uuid] = "<x509keypair #\(n)>"
        }
        return map
    }

    /// A timestamp from the seed stays; one written during the test becomes `<now>`.
    static func time(_ value: JSONValue) -> JSONValue {
        guard case .string(let s) = value else { return value }
        return s.hasPrefix("2026-11-25") ? value : "<now>"
    }

    static func normalise(_ value: JSONValue, _ map: [String: String]) -> JSONValue {
        switch value {
        case .string(let s):
            return map[s].map { .string($0) } ?? value
        case .array(let a):
            return .array(a.map { normalise($0, map) })
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o {
                if timestampKeys.contains(k) {
                    out[k] = time(v)
                } else if secretKeys.contains(k) {
                    out[k] = v.isNull ? .null : "<material>"
                } else if k == PrimitiveKey.changes || k == "obj_what_changed", case .array(let a) = v {
                    out[k] = .array(a.map { normalise($0, map) }.sorted { $0.jsonString() < $1.jsonString() })
                } else {
                    out[k] = normalise(v, map)
                }
            }
            return .object(out)
        default:
            return value
        }
    }

    /// A CADF payload without its generated ids and time.
    static func cadf(_ payload: JSONValue, _ map: [String: String]) -> JSONValue {
        guard case .object(var p) = payload else { return payload }
        p["id"] = "<cadf id>"
        p["eventTime"] = "<time>"
        for key in ["observer", "initiator"] {
            if case .object(var r)? = p[key] {
                r["id"] = "<cadf id>"
                p[key] = .object(r)
            }
        }
        return normalise(.object(p), map)
    }

    /// A notification as both sides can be compared: event type, priority, publisher, payload
    /// and context.
    static func notification(eventType: String, priority: String, publisher: String, payload: JSONValue, context: JSONValue,
                             _ map: [String: String]) -> JSONValue {
        ["event_type": .string(eventType), "priority": .string(priority), "publisher_id": .string(publisher),
         "payload": eventType.hasPrefix("magnum.cluster.") ? cadf(payload, map) : normalise(payload, map),
         "ctxt": normalise(context, map)]
    }

    static func notification(_ n: OsloNotification, _ map: [String: String]) -> JSONValue {
        notification(eventType: n.eventType, priority: n.priority, publisher: n.publisherID, payload: n.payload,
                     context: .object(n.context.fields), map)
    }

    /// One entry of the Python peer's `notifications` list.
    static func pythonNotification(_ n: JSONValue, _ map: [String: String]) -> JSONValue {
        let m = n["message"] ?? .null
        return notification(eventType: m["event_type"]?.stringValue ?? "", priority: m["priority"]?.stringValue ?? "",
                            publisher: m["publisher_id"]?.stringValue ?? "", payload: m["payload"] ?? .null,
                            context: n["ctxt"] ?? .null, map)
    }

    /// Rows of every table, normalised, with `ignore` columns (per table) left out.
    static func rows(_ rows: JSONValue, _ map: [String: String], ignore: [String: Set<String>] = [:]) -> JSONObject {
        var out = JSONObject()
        for (table, list) in rows.objectValue ?? [:] {
            let skipped = ignore[table] ?? []
            out[table] = .array((list.arrayValue ?? []).map { row in
                guard case .object(var o) = normalise(row, map) else { return row }
                for c in skipped { o[c] = nil }
                return .object(o)
            })
        }
        return out
    }

    /// The differences between two JSON values, as paths with both sides (empty when equal).
    static func differences(_ a: JSONValue, _ b: JSONValue, path: String = "") -> [String] {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            var out: [String] = []
            for key in Array(x.keys) + y.keys.filter({ x[$0] == nil }) {
                out += differences(x[key] ?? "<absent>", y[key] ?? "<absent>", path: path + "/" + key)
            }
            return out
        case (.array(let x), .array(let y)) where x.count == y.count:
            return zip(x, y).enumerated().flatMap { differences($1.0, $1.1, path: path + "/\($0)") }
        default:
            return a == b ? [] : ["\(path): Python \(a.jsonString(.compact)) | Swift \(b.jsonString(.compact))"]
        }
    }
}
