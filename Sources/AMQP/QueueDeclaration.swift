/// A queue to declare; recorded by the connection and declared again after a reconnect.
///
/// An empty `name` asks the broker to name the queue; after a reconnect such a queue gets a new
/// name, which bindings and consumers follow and `AMQPConnectionEvent.queueRenamed` reports.
public struct QueueDeclaration: Sendable, Hashable {
    public var name: String
    public var durable: Bool
    /// Used only by this connection, deleted when it closes.
    public var exclusive: Bool
    /// Deleted when its last consumer goes away.
    public var autoDelete: Bool
    public var arguments: AMQPFieldTable

    public init(
        name: String, durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: AMQPFieldTable = [:]
    ) {
        self.name = name
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        self.arguments = arguments
    }

    // Typed access to the arguments RabbitMQ and oslo.messaging use.

    /// `x-queue-type`: `classic`, `quorum` or `stream`.
    public var queueType: String? {
        get { arguments["x-queue-type"]?.stringValue }
        set { arguments["x-queue-type"] = newValue.map { .string($0) } }
    }
    /// `x-expires`: delete the queue after it has been unused this many milliseconds.
    public var expires: Int? {
        get { arguments["x-expires"]?.intValue }
        set { arguments["x-expires"] = newValue.map { .int64(Int64($0)) } }
    }
    /// `x-message-ttl`: milliseconds a message may stay in the queue.
    public var messageTTL: Int? {
        get { arguments["x-message-ttl"]?.intValue }
        set { arguments["x-message-ttl"] = newValue.map { .int64(Int64($0)) } }
    }
    /// `x-dead-letter-exchange`: where rejected and expired messages go.
    public var deadLetterExchange: String? {
        get { arguments["x-dead-letter-exchange"]?.stringValue }
        set { arguments["x-dead-letter-exchange"] = newValue.map { .string($0) } }
    }
    /// `x-dead-letter-routing-key`: routing key for dead-lettered messages (default: their own).
    public var deadLetterRoutingKey: String? {
        get { arguments["x-dead-letter-routing-key"]?.stringValue }
        set { arguments["x-dead-letter-routing-key"] = newValue.map { .string($0) } }
    }
    /// `x-delivery-limit` (quorum queues): redeliveries before a message is dead-lettered or dropped.
    public var deliveryLimit: Int? {
        get { arguments["x-delivery-limit"]?.intValue }
        set { arguments["x-delivery-limit"] = newValue.map { .int64(Int64($0)) } }
    }
    /// `x-max-in-memory-length` (quorum queues).
    public var maxInMemoryLength: Int? {
        get { arguments["x-max-in-memory-length"]?.intValue }
        set { arguments["x-max-in-memory-length"] = newValue.map { .int64(Int64($0)) } }
    }
}

/// The broker's answer to a queue declaration.
public struct DeclaredQueue: Sendable, Hashable {
    /// The queue's name (the broker's choice when the declaration's name was empty).
    public var name: String
    /// Messages ready for delivery.
    public var messageCount: UInt32
    /// Consumers attached.
    public var consumerCount: UInt32

    public init(name: String, messageCount: UInt32, consumerCount: UInt32) {
        self.name = name
        self.messageCount = messageCount
        self.consumerCount = consumerCount
    }
}
