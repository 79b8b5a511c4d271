public import JSON
import Synchronization

/// What oslo.messaging's RabbitMQ driver declares, computed from `RabbitOptions`: the same
/// exchanges, queues, arguments and bindings a Python service would, so the two can share a broker.
public struct OsloTopology: Sendable {
    public var options: RabbitOptions
    /// Counter for queue-manager names (`use_queue_manager`); oslo shares it between processes
    /// through /dev/shm, here it is per topology value.
    private let queueManager = QueueNameCounter()

    public init(options: RabbitOptions = RabbitOptions()) {
        self.options = options
    }

    /// A set of declarations to apply in order (exchanges, then queues, then bindings).
    public struct Declarations: Sendable, Equatable {
        public var exchanges: [ExchangeDeclaration] = []
        public var queues: [QueueDeclaration] = []
        public var bindings: [QueueBinding] = []

        public init(exchanges: [ExchangeDeclaration] = [], queues: [QueueDeclaration] = [], bindings: [QueueBinding] = []) {
            self.exchanges = exchanges
            self.queues = queues
            self.bindings = bindings
        }

        public mutating func append(_ other: Declarations) {
            for e in other.exchanges where !exchanges.contains(where: { $0.name == e.name }) { exchanges.append(e) }
            for q in other.queues where !queues.contains(where: { $0.name == q.name }) { queues.append(q) }
            for b in other.bindings where !bindings.contains(b) { bindings.append(b) }
        }

        /// Declares everything on `transport`.
        public func apply(to transport: any MessageTransport) async throws {
            for exchange in exchanges { try await transport.declareExchange(exchange) }
            for queue in queues { try await transport.declareQueue(queue) }
            for binding in bindings { try await transport.bindQueue(binding) }
        }
    }

    // MARK: Queue arguments (`_get_queue_arguments`)

    /// Arguments in oslo's order: `x-ha-policy`, `x-queue-type`, quorum limits, `x-expires`;
    /// a stream fanout replaces them all with `x-queue-type: stream` and `x-max-age`.
    public func queueArguments(quorum: Bool, ttlSeconds: Int, stream: Bool = false) -> JSONObject {
        var args = JSONObject()
        if options.rabbitHAQueues { args["x-ha-policy"] = "all" }
        if quorum {
            args["x-queue-type"] = "quorum"
            if options.rabbitQuorumDeliveryLimit != 0 { args["x-delivery-limit"] = JSONValue(options.rabbitQuorumDeliveryLimit) }
            if options.rabbitQuorumMaxMemoryLength != 0 { args["x-max-in-memory-length"] = JSONValue(options.rabbitQuorumMaxMemoryLength) }
            if options.rabbitQuorumMaxMemoryBytes != 0 { args["x-max-in-memory-bytes"] = JSONValue(options.rabbitQuorumMaxMemoryBytes) }
        }
        if ttlSeconds > 0 { args["x-expires"] = JSONValue(ttlSeconds * 1000) }
        if stream {
            args = ["x-queue-type": "stream"]
            if ttlSeconds > 0 { args["x-max-age"] = .string("\(ttlSeconds)s") }
        }
        return args
    }

    // MARK: Exchanges

    /// The control exchange (`magnum`) as topic consumers and publishers declare it.
    public func controlExchange(_ name: String) -> ExchangeDeclaration {
        ExchangeDeclaration(name: name, type: .topic, durable: options.durable, autoDelete: options.amqpAutoDelete)
    }

    /// `<topic>_fanout`, as fanout consumers and fanout casts declare it.
    public func fanoutExchange(topic: String) -> ExchangeDeclaration {
        ExchangeDeclaration(name: "\(topic)_fanout", type: .fanout,
                            durable: options.rabbitTransientQuorumQueue || options.rabbitStreamFanout, autoDelete: true)
    }

    // MARK: Consumers

    /// A topic consumer (`declare_topic_consumer`): queue `queueName ?? routingKey` bound to the
    /// control exchange with `routingKey`. Used for `<topic>`, `<topic>.<server>` and
    /// notification listeners (`<topic>.<priority>`, or the pool name).
    public func topicConsumer(exchange: String, routingKey: String, queueName: String? = nil) -> Declarations {
        let queue = QueueDeclaration(
            name: queueName ?? routingKey, durable: options.durable, autoDelete: options.amqpAutoDelete,
            arguments: queueArguments(quorum: options.rabbitQuorumQueue, ttlSeconds: 0))
        return Declarations(
            exchanges: [controlExchange(exchange)], queues: [queue],
            bindings: [QueueBinding(queue: queue.name, exchange: exchange, routingKey: routingKey)])
    }

    /// The name of a new fanout queue: `<topic>_fanout_<uuid hex>` (or the queue-manager / stream name).
    public func fanoutQueueName(topic: String) -> String {
        if options.rabbitStreamFanout { return "\(topic)_fanout" }
        if options.useQueueManager { return "\(topic)_fanout_\(queueManagerName())" }
        return "\(topic)_fanout_\(Identifiers.uuidHex())"
    }

    /// A fanout consumer (`declare_fanout_consumer`): `queueName` bound to `<topic>_fanout` with
    /// the topic as routing key (fanout exchanges ignore it, RabbitMQ lists it).
    public func fanoutConsumer(topic: String, queueName: String) -> Declarations {
        let durable = options.rabbitTransientQuorumQueue || options.rabbitStreamFanout
        let queue = QueueDeclaration(
            name: queueName, durable: durable, autoDelete: false,
            arguments: queueArguments(quorum: options.rabbitTransientQuorumQueue, ttlSeconds: options.rabbitTransientQueuesTTL,
                                      stream: options.rabbitStreamFanout))
        let exchange = fanoutExchange(topic: topic)
        return Declarations(exchanges: [exchange], queues: [queue],
                            bindings: [QueueBinding(queue: queueName, exchange: exchange.name, routingKey: topic)])
    }

    /// The name of a new reply queue: `reply_<uuid hex>` (or `reply_<host>:<process>:<n>`).
    public func replyQueueName() -> String {
        options.useQueueManager ? "reply_\(queueManagerName())" : "reply_\(Identifiers.uuidHex())"
    }

    /// A reply queue (`declare_direct_consumer`): no binding, the default exchange routes by name.
    public func replyQueue(name: String) -> QueueDeclaration {
        QueueDeclaration(
            name: name, durable: options.rabbitTransientQuorumQueue, autoDelete: false,
            arguments: queueArguments(quorum: options.rabbitTransientQuorumQueue, ttlSeconds: options.rabbitTransientQueuesTTL))
    }

    /// What an RPC server on `topic`/`server` declares: topic queue, server queue and its fanout queue.
    public func rpcServer(exchange: String, topic: String, server: String, fanoutQueue: String) -> Declarations {
        var all = topicConsumer(exchange: exchange, routingKey: topic)
        all.append(topicConsumer(exchange: exchange, routingKey: "\(topic).\(server)"))
        all.append(fanoutConsumer(topic: topic, queueName: fanoutQueue))
        return all
    }

    /// What publishing a notification declares (`_publish_and_creates_default_queue`): the control
    /// exchange and a queue named after the routing key, so nothing is lost before a listener starts.
    public func notificationQueue(exchange: String, routingKey: String) -> Declarations {
        let exchangeDeclaration = controlExchange(exchange)
        let queue = QueueDeclaration(
            name: routingKey, durable: exchangeDeclaration.durable, autoDelete: exchangeDeclaration.autoDelete,
            arguments: queueArguments(quorum: options.rabbitQuorumQueue, ttlSeconds: 0))
        return Declarations(exchanges: [exchangeDeclaration], queues: [queue],
                            bindings: [QueueBinding(queue: routingKey, exchange: exchange, routingKey: routingKey)])
    }

    /// Consumer arguments oslo passes with `basic.consume`.
    public func consumerArguments(streamFanout: Bool = false) -> JSONObject {
        if streamFanout { return ["x-stream-offset": "last"] }
        if options.enableCancelOnFailover { return ["x-cancel-on-ha-failover": true] }
        return [:]
    }

    private func queueManagerName() -> String {
        "\(options.hostname):\(options.processname):\(queueManager.next())"
    }
}

/// A thread-safe counter starting at 1.
final class QueueNameCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
