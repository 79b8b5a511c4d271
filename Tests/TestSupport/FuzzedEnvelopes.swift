import Foundation
public import JSON

/// 10,000 broken, hostile or merely wrong requests for the conductor topic, generated from a seed:
/// truncated JSON, wrong types, huge bodies (some over the 16 MiB limit), bad UTF-8, unknown
/// methods and versions, unknown envelope versions, forged reply queues (one pointing at the
/// conductor's own queue). Shared by the in-process fuzz test and the one against `serve`.
public enum FuzzedEnvelopes {
    public struct Generator: Sendable {
        public init(state: UInt64) { self.state = state }
        var state: UInt64
        public mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        public mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    }

    public static let replyQueue = "reply_fuzz"

    public static func envelope(_ message: JSONValue) -> [UInt8] {
        Array(JSONValue.object(["oslo.version": "2.0", "oslo.message": .string(message.jsonString(.python))]).jsonString(.python).utf8)
    }

    public static func call(_ method: String, msgID: String, args: JSONValue = [:], version: JSONValue? = nil,
                            replyQueue: String = FuzzedEnvelopes.replyQueue) -> JSONValue {
        var o: JSONObject = ["method": .string(method), "args": args, "_msg_id": .string(msgID), "_reply_q": .string(replyQueue),
                             "_unique_id": .string(msgID), "_context_user_id": "fuzzer", "_context_project_id": "fuzz"]
        if let version { o["version"] = version }
        return .object(o)
    }

    /// Message `i`: its body, and the msg_id a reply would carry (nil for casts and unanswerable
    /// ones). `conductorQueue` is where one kind of forged reply queue points.
    public static func message(_ i: Int, _ g: inout Generator,
                               conductorQueue: String = "magnum-conductor") -> (body: [UInt8], msgID: String?) {
        let msgID = String(format: "%032x", i)
        switch i % 11 {
        case 0:  // truncated JSON of a valid call
            let whole = envelope(call("cluster_upgrade", msgID: msgID, args: ["cluster": ["x": 1]]))
            return (Array(whole.prefix(g.int(1..<whole.count))), nil)
        case 1:  // wrong types
            let shapes: [JSONValue] = [
                ["method": 42, "args": [:], "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_update", "args": [1, 2, 3], "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_resize", "args": ["cluster": "not an object", "node_count": "three", "nodes_to_remove": 5, "nodegroup": []],
                 "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_delete", "args": ["uuid": ["nested": true]], "_context_roles": 7],
                [1, 2, 3],
                "just a string",
            ]
            let index = g.int(0..<shapes.count)
            // Shape 3 is a cast Magnum's handler fails with ClusterNotFound: logged and acked, as
            // magnum-conductor does (nothing to keep: nothing could ever apply it).
            return (envelope(shapes[index]), index == 3 ? "cast-logged" : nil)
        case 2:  // big bodies (a few over the limit)
            // One in ten of these is large (128 KiB to 1 MiB); three are over the 16 MiB limit.
            let size = i % 3300 == 2 ? 17 * 1024 * 1024 : i % 110 == 2 ? g.int(128 * 1024..<1024 * 1024) : g.int(1024..<16 * 1024)
            let filler = String(repeating: "A", count: size)
            return (envelope(call("cluster_update", msgID: msgID, args: ["cluster": .string(filler)])), nil)
        case 3:  // bad UTF-8
            var body = envelope(call("ping_conductor", msgID: msgID))
            for _ in 0..<3 { body[g.int(0..<body.count)] = [0xff, 0xc3, 0x80, 0xfe][g.int(0..<4)] }
            return (body, nil)
        case 4:  // unknown method
            return (envelope(call("cluster_explode_\(i)", msgID: msgID)), msgID)
        case 5:  // unknown or malformed versions
            let versions: [JSONValue] = ["9.0", "1.99", "x.y", "", 3]
            return (envelope(call("cluster_upgrade", msgID: msgID, version: versions[g.int(0..<versions.count)])), msgID)
        case 6:  // forged reply queues: missing, or the conductor's own queue
            let forged = i % 2 == 0 ? "reply_forged_\(i)" : conductorQueue
            return (envelope(call("cluster_explode", msgID: msgID, replyQueue: forged)), nil)
        case 7:  // unknown envelope version
            let body = JSONValue.object(["oslo.version": "3.0", "oslo.message": .string(call("ping_conductor", msgID: msgID).jsonString(.python))])
            return (Array(body.jsonString(.python).utf8), msgID)
        case 8:  // oslo.message of the wrong type or not JSON
            let inner: [JSONValue] = [42, ["method": "x"], "{not json", .null]
            return (Array(JSONValue.object(["oslo.version": "2.0", "oslo.message": inner[g.int(0..<inner.count)]]).jsonString(.python).utf8), nil)
        case 9:  // a cast whose arguments do not bind
            return (envelope(["method": "cluster_update", "args": ["bogus": 1], "_unique_id": .string(msgID)]), nil)
        default:  // random bytes
            return ((0..<g.int(1..<300)).map { _ in UInt8(truncatingIfNeeded: g.next()) }, nil)
        }
    }

    /// Forged reply queues: the answer went where the request said (a queue that does not exist:
    /// returned and dropped; the conductor's own queue: dead-lettered there as a malformed request).
    public static func answeredElsewhere(_ i: Int) -> Bool { i % 11 == 6 }
}
