public import JSON
public import OrderedCollections

/// A reply to a call, published on the default exchange to the caller's reply queue.
///
/// oslo 18 sends one reply with `ending: true`; while a long call runs and the caller asked for a
/// call monitor, keep-alives with `ending: false` and null `result`/`failure` come first.
public struct RPCReply: Sendable, Equatable {
    public var result: JSONValue
    /// The remote exception, when the call failed.
    public var failure: RemoteFailure?
    public var ending: Bool
    public var msgID: String?
    public var uniqueID: String?
    /// Keys this code does not interpret, kept for faithful re-encoding.
    public var extraFields: JSONObject

    public init(
        result: JSONValue = .null, failure: RemoteFailure? = nil, ending: Bool = true, msgID: String?,
        uniqueID: String? = nil, extraFields: JSONObject = [:]
    ) {
        self.result = result
        self.failure = failure
        self.ending = ending
        self.msgID = msgID
        self.uniqueID = uniqueID
        self.extraFields = extraFields
    }

    /// A call-monitor keep-alive for `msgID`.
    public static func keepAlive(msgID: String, uniqueID: String?) -> RPCReply {
        RPCReply(result: .null, failure: nil, ending: false, msgID: msgID, uniqueID: uniqueID)
    }

    /// Keep-alives carry neither a result nor a failure and do not end the call.
    public var isKeepAlive: Bool { !ending && failure == nil && result.isNull }

    /// Whether a decoded message looks like a reply rather than a request or a notification.
    public static func looksLikeReply(_ message: JSONObject) -> Bool {
        message["method"] == nil && message["event_type"] == nil
            && (message["result"] != nil || message["failure"] != nil || message["ending"] != nil)
    }

    public init(message: JSONObject) throws(MessageDecodingError) {
        guard Self.looksLikeReply(message) else { throw .missingField("result") }
        result = message["result"] ?? .null
        switch message["failure"] {
        case nil, .null?: failure = nil
        case .string(let s)?:
            failure = s.isEmpty ? nil : try RemoteFailure(serialized: s)
        case .object(let o)?:
            failure = try RemoteFailure(object: o)
        case let other?: throw .wrongType(field: "failure", expected: "string", actual: other.typeName)
        }
        ending = try message.optionalBool("ending") ?? false
        msgID = try message.optionalString("_msg_id")
        uniqueID = try message.optionalString("_unique_id")
        var extra = JSONObject()
        for (key, value) in message where !["result", "failure", "ending", "_msg_id", "_unique_id"].contains(key) {
            extra[key] = value
        }
        extraFields = extra
    }

    public init(body: some Collection<UInt8>, limits: DecodingLimits = .default) throws(MessageDecodingError) {
        try self.init(message: RPCEnvelope.decode(body, limits: limits).message)
    }

    /// The reply message in oslo's key order.
    public var message: JSONObject {
        var m: JSONObject = [
            "result": result,
            "failure": failure.map { .string($0.serialized) } ?? .null,
            "ending": .bool(ending),
            "_msg_id": JSONValue(msgID),
        ]
        for (key, value) in extraFields { m[key] = value }
        if let uniqueID { m["_unique_id"] = .string(uniqueID) }
        return m
    }

    public func encodedBody() -> [UInt8] { RPCEnvelope.encode(message) }
}
