import JSON

/// Where `AMQPTransport` keeps messages settled with `.deadLetter` (poison messages: bodies that
/// cannot be decoded, casts whose handler failed for good), so that none is silently dropped.
///
/// oslo.messaging declares no dead-letter exchange, and RabbitMQ drops a message rejected
/// without requeue from a queue that has none. So:
///
/// * when the queue was declared (through this transport) with `x-dead-letter-exchange`, the
///   delivery is rejected without requeue and the broker dead-letters it (with its `x-death`
///   headers) — or always, with `strategy = .broker`, for operators who set a dead-letter policy
///   on every queue;
/// * otherwise it is **republished** — body and properties unchanged except that `expiration`
///   is removed (a call's timeout would expire it) — to `exchange` (topic, durable) with the
///   original queue's name as routing key, publisher-confirmed and mandatory, and only then
///   acknowledged. `queue` (durable; quorum when `rabbit_quorum_queue` is set) is declared
///   and bound with `#`, so everything lands there unless an operator binds something else.
///   Headers added: `x-mcw-dead-letter-reason`, `x-mcw-original-queue`,
///   `x-mcw-original-exchange`, `x-mcw-original-routing-key`, `x-mcw-original-expiration`
///   (when there was one), `x-mcw-delivery-count`, `x-mcw-dead-lettered-at` (seconds since the
///   epoch). If the republish fails (not confirmed, unroutable twice, connection lost) the
///   delivery is requeued instead and the settle throws: kept, never dropped.
public struct DeadLetterOptions: Sendable, Equatable {
    public enum Strategy: String, Sendable, Equatable {
        /// Republish to `exchange` unless the queue declares its own dead-letter exchange.
        case republish
        /// Always reject without requeue: the broker's dead-letter policy must cover the queues
        /// (RabbitMQ drops the message otherwise).
        case broker
    }

    public var strategy: Strategy
    /// Exchange messages are republished to (topic, durable).
    public var exchange: String
    /// Queue declared and bound to `exchange` with `#` (durable; quorum when asked).
    public var queue: String
    /// Declare `queue` as a quorum queue (replicated); `AMQPTransport` sets it from
    /// `rabbit_quorum_queue` unless told otherwise.
    public var quorum: Bool

    public static let defaultName = "magnum-capi-worker.dead-letter"

    public init(strategy: Strategy = .republish, exchange: String = DeadLetterOptions.defaultName,
                queue: String = DeadLetterOptions.defaultName, quorum: Bool = false) {
        self.strategy = strategy
        self.exchange = exchange
        self.queue = queue
        self.quorum = quorum
    }

    /// Header names added to republished messages.
    public enum Header {
        public static let reason = "x-mcw-dead-letter-reason"
        public static let originalQueue = "x-mcw-original-queue"
        public static let originalExchange = "x-mcw-original-exchange"
        public static let originalRoutingKey = "x-mcw-original-routing-key"
        public static let originalExpiration = "x-mcw-original-expiration"
        public static let deliveryCount = "x-mcw-delivery-count"
        public static let deadLetteredAt = "x-mcw-dead-lettered-at"
    }

    /// The dead-letter exchange, queue and binding.
    var declarations: OsloTopology.Declarations {
        var arguments = JSONObject()
        if quorum { arguments["x-queue-type"] = "quorum" }
        return OsloTopology.Declarations(
            exchanges: [ExchangeDeclaration(name: exchange, type: .topic, durable: true)],
            queues: [QueueDeclaration(name: queue, durable: true, arguments: arguments)],
            bindings: [QueueBinding(queue: queue, exchange: exchange, routingKey: "#")])
    }
}
