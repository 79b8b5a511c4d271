import JSON

extension MessageDecodingError {
    /// The failure a caller gets back for a request this server could not read. An unsupported
    /// envelope is reported with oslo's own class; anything else as a Python `ValueError`, which
    /// every Python client can rebuild.
    public var remoteFailure: RemoteFailure {
        if case .unsupportedEnvelopeVersion(let fullVersion) = self {
            let version = fullVersion.abbreviated()
            let message = "Specified RPC envelope version, \(version), not supported by this endpoint."
            return RemoteFailure(
                className: "UnsupportedRpcEnvelopeVersion", moduleName: "oslo_messaging._drivers.common",
                message: message,
                traceback: ["oslo_messaging._drivers.common.UnsupportedRpcEnvelopeVersion: \(message)\n"],
                args: [.string(message)], kwargs: ["version": .string(version)])
        }
        let message = "Malformed RPC request: \(description)"
        return RemoteFailure(className: "ValueError", moduleName: "builtins", message: message,
                             traceback: ["ValueError: \(message)\n"])
    }
}

/// Finds where to answer a request that could not be decoded, so the caller gets a failure
/// instead of waiting for its timeout: from the decoded message when there is one, otherwise by
/// scanning the raw bytes for `_msg_id` / `_reply_q` (also inside the escaped envelope string).
enum MalformedRequestSalvage {
    struct ReplyTarget: Equatable {
        var msgID: String
        var replyQueue: String
    }

    static func replyTarget(message: JSONObject?, body: [UInt8]) -> ReplyTarget? {
        if let message, case .string(let msgID)? = message["_msg_id"], case .string(let queue)? = message["_reply_q"],
           isPlausibleName(msgID), isPlausibleName(queue) {
            return ReplyTarget(msgID: msgID, replyQueue: queue)
        }
        guard let msgID = scanValue(of: "_msg_id", in: body), let queue = scanValue(of: "_reply_q", in: body) else {
            return nil
        }
        return ReplyTarget(msgID: msgID, replyQueue: queue)
    }

    static func uniqueID(message: JSONObject?, body: [UInt8]) -> String? {
        if let message, case .string(let id)? = message["_unique_id"] { return id }
        return scanValue(of: "_unique_id", in: body)
    }

    static func isPlausibleName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && s.utf8.allSatisfy(isNameByte)
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
    }

    /// The string value after the first `"<key>"` (escaped or not) followed by `:`.
    static func scanValue(of key: String, in body: [UInt8]) -> String? {
        let needle = Array(key.utf8)
        guard needle.count < body.count else { return nil }
        var i = 0
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":"), space = UInt8(ascii: " ")
        while i + needle.count < body.count {
            guard body[i] == needle[0], body[i..<(i + needle.count)].elementsEqual(needle) else {
                i += 1
                continue
            }
            var j = i + needle.count
            // closing quote of the key (maybe escaped), a colon, spaces, the opening quote
            while j < body.count, body[j] == backslash { j += 1 }
            guard j < body.count, body[j] == quote else { i += 1; continue }
            j += 1
            while j < body.count, body[j] == space { j += 1 }
            guard j < body.count, body[j] == colon else { i += 1; continue }
            j += 1
            while j < body.count, body[j] == space { j += 1 }
            while j < body.count, body[j] == backslash { j += 1 }
            guard j < body.count, body[j] == quote else { i += 1; continue }
            j += 1
            let start = j
            while j < body.count, isNameByte(body[j]), j - start <= 255 { j += 1 }
            guard j > start, j < body.count, body[j] == quote || body[j] == backslash else { i += 1; continue }
            return String(decoding: body[start..<j], as: UTF8.self)
        }
        return nil
    }
}
