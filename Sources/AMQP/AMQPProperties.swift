/// The basic properties of a message (AMQP `basic` content header), every one optional as on the wire.
public struct AMQPProperties: Sendable, Hashable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: AMQPFieldTable?
    public var deliveryMode: DeliveryMode?
    public var priority: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string (RabbitMQ's convention).
    public var expiration: String?
    public var messageID: String?
    /// Seconds since the Unix epoch.
    public var timestamp: UInt64?
    public var type: String?
    public var userID: String?
    public var appID: String?
    /// Deprecated by AMQP 0-9-1 but still carried.
    public var clusterID: String?

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPFieldTable? = nil,
        deliveryMode: DeliveryMode? = nil, priority: UInt8? = nil, correlationID: String? = nil,
        replyTo: String? = nil, expiration: String? = nil, messageID: String? = nil, timestamp: UInt64? = nil,
        type: String? = nil, userID: String? = nil, appID: String? = nil, clusterID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
        self.clusterID = clusterID
    }

    /// Whether the message is written to disk by the broker (2) or kept in memory only (1).
    public struct DeliveryMode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let transient = DeliveryMode(rawValue: 1)
        public static let persistent = DeliveryMode(rawValue: 2)
        public var description: String {
            switch rawValue {
            case 1: "transient"
            case 2: "persistent"
            default: "\(rawValue)"
            }
        }
    }
}
