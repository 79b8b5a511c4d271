public import JSON

/// Notification priorities oslo.messaging knows (`notify/dispatcher.py`); the wire carries the
/// upper-case form and the routing key the lower-case one.
public enum NotificationPriority: String, Sendable, CaseIterable, Codable {
    case audit, debug, info, warn, error, critical, sample

    /// `INFO`, `ERROR`, ... as in the message's `priority`.
    public var wireValue: String { rawValue.uppercased() }

    /// Reads `INFO`, `info`, and oslo's alias `WARNING`.
    public init?(wireValue: String) {
        let lower = wireValue.lowercased()
        self.init(rawValue: lower == "warning" ? "warn" : lower)
    }
}

/// A notification as oslo's `messagingv2` driver sends it: `message_id`, `publisher_id`,
/// `event_type`, `priority`, `payload`, `timestamp` (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), plus
/// `_unique_id` and the flattened (redacted) context.
public struct OsloNotification: Sendable, Equatable {
    public var messageID: String
    public var publisherID: String
    public var eventType: String
    /// The wire text (`INFO`); see `priorityLevel` for the typed form.
    public var priority: String
    public var payload: JSONValue
    public var timestamp: String
    public var uniqueID: String?
    public var context: RequestContext
    public var extraFields: JSONObject

    public init(
        messageID: String, publisherID: String, eventType: String, priority: NotificationPriority,
        payload: JSONValue, timestamp: String, uniqueID: String? = nil, context: RequestContext = RequestContext()
    ) {
        self.messageID = messageID
        self.publisherID = publisherID
        self.eventType = eventType
        self.priority = priority.wireValue
        self.payload = payload
        self.timestamp = timestamp
        self.uniqueID = uniqueID
        self.context = context
        self.extraFields = [:]
    }

    public var priorityLevel: NotificationPriority? { NotificationPriority(wireValue: priority) }

    public static func looksLikeNotification(_ message: JSONObject) -> Bool {
        message["event_type"] != nil && message["publisher_id"] != nil && message["method"] == nil
    }

    /// The top-level keys read into properties, in the order `init(message:)` checks them.
    static let interpretedKeys = ["message_id", "publisher_id", "event_type", "priority", "payload", "timestamp", "_unique_id"]

    public init(message: JSONObject) throws(MessageDecodingError) {
        let (context, fields, extra) = RequestContext.partition(message, interpreting: Self.interpretedKeys)
        let names = Self.interpretedKeys
        messageID = try fields.optionalString(0, names: names) ?? ""
        publisherID = try fields.requiredString(1, names: names)
        eventType = try fields.requiredString(2, names: names)
        priority = try fields.requiredString(3, names: names)
        payload = fields[4] ?? .null
        timestamp = try fields.optionalString(5, names: names) ?? ""
        uniqueID = try fields.optionalString(6, names: names)
        self.context = context
        extraFields = extra
    }

    public init(body: some Collection<UInt8>, limits: DecodingLimits = .default) throws(MessageDecodingError) {
        try self.init(message: RPCEnvelope.decode(body, limits: limits).message)
    }

    /// The message in oslo's order: the notifier's dict, then `_unique_id`, then the context.
    public var message: JSONObject {
        var m: JSONObject = [
            "message_id": .string(messageID), "publisher_id": .string(publisherID),
            "event_type": .string(eventType), "priority": .string(priority), "payload": payload,
            "timestamp": .string(timestamp),
        ]
        for (key, value) in extraFields { m[key] = value }
        if let uniqueID { m["_unique_id"] = .string(uniqueID) }
        context.pack(into: &m)
        return m
    }

    public func encodedBody() -> [UInt8] { RPCEnvelope.encode(message) }
}
