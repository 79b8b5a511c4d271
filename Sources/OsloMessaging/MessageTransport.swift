public import JSON
public import OrderedCollections

/// What oslo.messaging needs from a message broker, and no more: declare exchanges and queues,
/// bind them, consume a queue as an async sequence of deliveries that are settled explicitly,
/// and publish with "mandatory" routing reported back.
///
/// The AMQP module's client implements it over librabbitmq (`AMQPTransport`); tests use
/// `InMemoryTransport`; `RecordingTransport` wraps any of them; a replay transport feeds recorded
/// bodies through the same protocol. Shapes follow AMQP 0-9-1 so the real one is a thin mapping.
public protocol MessageTransport: Sendable {
    /// `exchange.declare`; redeclaring with different properties fails with `.preconditionFailed`.
    func declareExchange(_ exchange: ExchangeDeclaration) async throws
    /// `queue.declare`; redeclaring with different properties fails with `.preconditionFailed`.
    func declareQueue(_ queue: QueueDeclaration) async throws
    /// `queue.bind`.
    func bindQueue(_ binding: QueueBinding) async throws
    /// `queue.delete` (missing queues are not an error).
    func deleteQueue(named name: String) async throws
    /// `basic.qos` + `basic.consume`: deliveries arrive in order until the subscription is
    /// cancelled or the connection is lost (the sequence then throws).
    func consume(_ request: ConsumeRequest) async throws -> Subscription
    /// `basic.publish`. With `mandatory`, a message no queue takes is reported as `.returned`.
    func publish(_ message: OutgoingMessage) async throws -> PublishOutcome
    /// `publish` for a publisher that does not wait for the broker's answer: `outcome` is called
    /// once with what `publish` returns or throws, on whatever thread learns it, so it must be
    /// quick and must not block.
    func publish(_ message: OutgoingMessage, outcome: @escaping @Sendable (Result<PublishOutcome, any Error>) -> Void)
}

extension MessageTransport {
    /// Runs the waiting `publish` in a task of its own.
    public func publish(_ message: OutgoingMessage,
                        outcome: @escaping @Sendable (Result<PublishOutcome, any Error>) -> Void) {
        publishInTask(message, outcome: outcome)
    }

    /// The waiting `publish` in a task of its own, its result handed to `outcome`.
    func publishInTask(_ message: OutgoingMessage,
                       outcome: @escaping @Sendable (Result<PublishOutcome, any Error>) -> Void) {
        Task {
            do { outcome(.success(try await publish(message))) } catch { outcome(.failure(error)) }
        }
    }
}

/// AMQP exchange types oslo uses (`""`, the default exchange, is direct and always exists).
public enum ExchangeType: String, Sendable, Equatable, Codable {
    case direct, topic, fanout, headers
}

public struct ExchangeDeclaration: Sendable, Equatable {
    public var name: String
    public var type: ExchangeType
    public var durable: Bool
    public var autoDelete: Bool
    public var isInternal: Bool
    /// Only check that it exists (`passive`); the other properties are then ignored.
    public var passive: Bool
    public var arguments: JSONObject

    public init(name: String, type: ExchangeType, durable: Bool = false, autoDelete: Bool = false,
                isInternal: Bool = false, passive: Bool = false, arguments: JSONObject = [:]) {
        self.name = name
        self.type = type
        self.durable = durable
        self.autoDelete = autoDelete
        self.isInternal = isInternal
        self.passive = passive
        self.arguments = arguments
    }
}

public struct QueueDeclaration: Sendable, Equatable {
    public var name: String
    public var durable: Bool
    public var autoDelete: Bool
    public var exclusive: Bool
    public var passive: Bool
    /// `x-queue-type`, `x-expires`, `x-delivery-limit`, ... in declaration order; integers are
    /// AMQP long-longs, strings long strings.
    public var arguments: JSONObject

    public init(name: String, durable: Bool = false, autoDelete: Bool = false, exclusive: Bool = false,
                passive: Bool = false, arguments: JSONObject = [:]) {
        self.name = name
        self.durable = durable
        self.autoDelete = autoDelete
        self.exclusive = exclusive
        self.passive = passive
        self.arguments = arguments
    }

    /// `x-queue-type`, `classic` when not given.
    public var queueType: String { arguments["x-queue-type"]?.stringValue ?? "classic" }
}

public struct QueueBinding: Sendable, Equatable {
    public var queue: String
    public var exchange: String
    public var routingKey: String
    public var arguments: JSONObject

    public init(queue: String, exchange: String, routingKey: String, arguments: JSONObject = [:]) {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
        self.arguments = arguments
    }
}

/// AMQP basic properties oslo and this worker use. `headers` values map to AMQP field-table
/// values (integers → long-long, strings → long string, objects → tables, arrays → arrays).
public struct MessageProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: JSONObject
    /// 2 = persistent, 1 = transient.
    public var deliveryMode: Int?
    public var priority: Int?
    public var correlationID: String?
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as AMQP's short string (`"60000"`).
    public var expiration: String?
    public var messageID: String?
    /// Seconds since the epoch.
    public var timestamp: Int64?
    public var type: String?
    public var userID: String?
    public var appID: String?

    public init(contentType: String? = nil, contentEncoding: String? = nil, headers: JSONObject = [:],
                deliveryMode: Int? = nil, priority: Int? = nil, correlationID: String? = nil,
                replyTo: String? = nil, expiration: String? = nil, messageID: String? = nil,
                timestamp: Int64? = nil, type: String? = nil, userID: String? = nil, appID: String? = nil) {
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
    }

    /// What kombu sends for every oslo message: JSON, UTF-8, persistent, priority 0, no headers;
    /// calls add `expiration` (the call timeout in milliseconds).
    public static func oslo(expirationMilliseconds: Int? = nil) -> MessageProperties {
        MessageProperties(
            contentType: "application/json", contentEncoding: "utf-8", headers: [:], deliveryMode: 2,
            priority: 0, expiration: expirationMilliseconds.map(String.init))
    }

    /// The properties as RabbitMQ's firehose (and the recordings) spell them.
    public var jsonObject: JSONObject {
        var o = JSONObject()
        if let contentType { o["content_type"] = .string(contentType) }
        if let contentEncoding { o["content_encoding"] = .string(contentEncoding) }
        if let deliveryMode { o["delivery_mode"] = JSONValue(deliveryMode) }
        if let priority { o["priority"] = JSONValue(priority) }
        if let correlationID { o["correlation_id"] = .string(correlationID) }
        if let replyTo { o["reply_to"] = .string(replyTo) }
        if let expiration { o["expiration"] = .string(expiration) }
        if let messageID { o["message_id"] = .string(messageID) }
        if let timestamp { o["timestamp"] = .int(timestamp) }
        if let type { o["type"] = .string(type) }
        if let userID { o["user_id"] = .string(userID) }
        if let appID { o["app_id"] = .string(appID) }
        o["headers"] = .object(headers)
        return o
    }

    /// Reads the recordings' / firehose spelling; unknown keys are ignored.
    public init(jsonObject o: JSONObject) {
        self.init(
            contentType: o["content_type"]?.stringValue, contentEncoding: o["content_encoding"]?.stringValue,
            headers: o["headers"]?.objectValue ?? [:], deliveryMode: o["delivery_mode"]?.intValue,
            priority: o["priority"]?.intValue, correlationID: o["correlation_id"]?.stringValue,
            replyTo: o["reply_to"]?.stringValue,
            expiration: o["expiration"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) },
            messageID: o["message_id"]?.stringValue, timestamp: o["timestamp"]?.intValue.map(Int64.init),
            type: o["type"]?.stringValue, userID: o["user_id"]?.stringValue, appID: o["app_id"]?.stringValue)
    }
}

/// A message to publish.
public struct OutgoingMessage: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: MessageProperties
    /// Ask the broker to return the message when no queue takes it (oslo sets it for replies).
    public var mandatory: Bool

    public init(exchange: String, routingKey: String, body: [UInt8], properties: MessageProperties = .oslo(),
                mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// What happened to a published message, as far as the broker told.
public enum PublishOutcome: Sendable, Equatable {
    /// The broker took it (routed, or dropped unroutable when not mandatory).
    case accepted
    /// Mandatory and unroutable: the broker sent it back (`basic.return`, usually 312 NO_ROUTE).
    case returned(replyCode: Int, replyText: String)
}

/// How a delivery is finished.
public enum Settlement: String, Sendable, Equatable, Codable {
    /// `basic.ack`: done, remove it.
    case ack
    /// `basic.nack`/`reject` with requeue: deliver it again (redelivered, delivery count + 1).
    case requeue
    /// Keep it aside for an operator: `basic.reject` without requeue when the queue has a
    /// dead-letter exchange; `AMQPTransport` republishes it to its dead-letter queue (with the
    /// reason in headers) when the queue has none, so it is never silently dropped.
    case deadLetter = "dead_letter"
}

public struct ConsumeRequest: Sendable, Equatable {
    public var queue: String
    /// `basic.qos` prefetch for this consumer; 0 = unlimited (oslo's default).
    public var prefetchCount: Int
    public var consumerTag: String?
    /// Consumer arguments (`x-cancel-on-ha-failover`, `x-stream-offset`).
    public var arguments: JSONObject

    public init(queue: String, prefetchCount: Int = 0, consumerTag: String? = nil, arguments: JSONObject = [:]) {
        self.queue = queue
        self.prefetchCount = prefetchCount
        self.consumerTag = consumerTag
        self.arguments = arguments
    }
}

/// Finishes deliveries for the transport that made them.
public protocol DeliverySettling: Sendable {
    /// `reason` says why a message is dead-lettered (for the operator who finds it there); it
    /// must not contain secrets. Transports may ignore it for other settlements.
    func settle(_ delivery: Delivery, as settlement: Settlement, reason: String?) async throws
}

/// One message received from a queue. It stays unacknowledged (and counts against the prefetch)
/// until `settle` is called.
public struct Delivery: Sendable {
    public let queue: String
    public let exchange: String
    public let routingKey: String
    public let body: [UInt8]
    public let properties: MessageProperties
    /// The broker delivered it before (a requeue, a lost consumer).
    public let redelivered: Bool
    /// How many times it was delivered before this one (quorum queues' `x-delivery-count`;
    /// 0 for a first delivery, at least 1 when `redelivered`).
    public let deliveryCount: Int
    public let deliveryTag: UInt64
    public let consumerTag: String
    let settler: any DeliverySettling

    public init(queue: String, exchange: String, routingKey: String, body: [UInt8], properties: MessageProperties,
                redelivered: Bool, deliveryCount: Int, deliveryTag: UInt64, consumerTag: String,
                settler: any DeliverySettling) {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.redelivered = redelivered
        self.deliveryCount = deliveryCount
        self.deliveryTag = deliveryTag
        self.consumerTag = consumerTag
        self.settler = settler
    }

    /// A copy whose settlement goes through `settler` (wrappers such as the recorder use it).
    public func withSettler(_ settler: any DeliverySettling) -> Delivery {
        Delivery(queue: queue, exchange: exchange, routingKey: routingKey, body: body, properties: properties,
                 redelivered: redelivered, deliveryCount: deliveryCount, deliveryTag: deliveryTag,
                 consumerTag: consumerTag, settler: settler)
    }

    /// Finishes the delivery. Throws `TransportError` `.lostOwnership` when the connection or
    /// channel it came on is gone (the broker has put it back on its queue and delivers it
    /// again; nothing was sent on the new connection).
    public func settle(_ settlement: Settlement, reason: String? = nil) async throws {
        try await settler.settle(self, as: settlement, reason: reason)
    }
}

/// A running consumer: iterate it for deliveries; `cancel()` stops it (unsettled deliveries go
/// back to the queue, as with `basic.cancel` followed by a channel close).
public struct Subscription: AsyncSequence, Sendable {
    public typealias Element = Delivery
    public let queue: String
    public let consumerTag: String
    private let source: Source
    let onCancel: @Sendable () async -> Void

    enum Source: Sendable {
        case stream(AsyncThrowingStream<Delivery, any Error>)
        /// A transport's own iterator, made once per `makeAsyncIterator()` (no stream in between).
        case pull(@Sendable () -> any DeliveryPulling)
    }

    public init(queue: String, consumerTag: String, deliveries: AsyncThrowingStream<Delivery, any Error>,
                onCancel: @escaping @Sendable () async -> Void) {
        self.queue = queue
        self.consumerTag = consumerTag
        self.source = .stream(deliveries)
        self.onCancel = onCancel
    }

    init(queue: String, consumerTag: String, pull: @escaping @Sendable () -> any DeliveryPulling,
         onCancel: @escaping @Sendable () async -> Void) {
        self.queue = queue
        self.consumerTag = consumerTag
        self.source = .pull(pull)
        self.onCancel = onCancel
    }

    public func cancel() async { await onCancel() }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .stream(let stream): AsyncIterator(stream: stream.makeAsyncIterator(), puller: nil)
        case .pull(let make): AsyncIterator(stream: nil, puller: make())
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var stream: AsyncThrowingStream<Delivery, any Error>.AsyncIterator?
        let puller: (any DeliveryPulling)?

        public mutating func next() async throws -> Delivery? {
            if let puller { return try await puller.next() }
            return try await stream?.next()
        }
    }
}

/// A transport's delivery iterator (a class: one per `Subscription` iteration, used by one task).
protocol DeliveryPulling: AnyObject {
    func next() async throws -> Delivery?
}

/// A broker or connection error, with the AMQP reply code when there is one.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// 406: a redeclaration differs (`inequivalent arg 'durable'`), an unknown delivery tag.
        case preconditionFailed = "PRECONDITION_FAILED"
        /// 404: no such exchange or queue.
        case notFound = "NOT_FOUND"
        /// 405: an exclusive queue of another connection.
        case resourceLocked = "RESOURCE_LOCKED"
        /// The connection or channel is gone.
        case connectionClosed = "CONNECTION_CLOSED"
        /// 403: refused by the broker.
        case accessRefused = "ACCESS_REFUSED"
        /// A delivery from a connection or channel that is gone cannot be settled: the broker has
        /// already requeued it and delivers it again (never acknowledged on the new connection).
        case lostOwnership = "LOST_OWNERSHIP"
        /// The broker refused a published message (`basic.nack`).
        case publishRefused = "PUBLISH_REFUSED"
        case other = "OTHER"
    }

    public let kind: Kind
    public let replyCode: Int?
    public let message: String

    public init(_ kind: Kind, replyCode: Int? = nil, _ message: String) {
        self.kind = kind
        self.replyCode = replyCode
        self.message = message
    }

    public var description: String {
        "\(kind.rawValue)\(replyCode.map { " (\($0))" } ?? ""): \(message)"
    }
}
