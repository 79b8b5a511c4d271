import JSON
import DequeModule

/// A RabbitMQ stand-in that lives in the process: exchanges (default, direct, topic, fanout),
/// queues, bindings, consumers with prefetch, acknowledgements, requeue with redelivery counts,
/// dead-lettering (queue arguments or operator policies), per-message TTL, quorum-queue delivery
/// limits, mandatory returns, and RabbitMQ's redeclaration equivalence checks
/// (`PRECONDITION_FAILED`), so topology mistakes show up in unit tests.
///
/// Connect any number of `InMemoryTransport`s to one broker to run servers and clients together.
public actor InMemoryBroker {
    /// A dead-letter rule applied to queues by name, like `rabbitmqctl set_policy ... dead-letter-exchange`.
    public struct DeadLetterPolicy: Sendable {
        public var appliesTo: @Sendable (String) -> Bool
        public var exchange: String
        public var routingKey: String?

        public init(exchange: String, routingKey: String? = nil, appliesTo: @escaping @Sendable (String) -> Bool) {
            self.exchange = exchange
            self.routingKey = routingKey
            self.appliesTo = appliesTo
        }
    }

    /// A message the broker let go of without delivering it to anyone.
    public struct DroppedMessage: Sendable, Equatable {
        public enum Reason: String, Sendable, Equatable {
            /// Published without `mandatory` to where no queue listens.
            case unroutable
            /// Rejected without requeue from a queue with no dead-letter exchange.
            case rejected
            /// Its `expiration` passed while queued.
            case expired
            /// A quorum queue's `x-delivery-limit` was exceeded.
            case deliveryLimit = "delivery_limit"
            /// Its queue was deleted.
            case queueDeleted = "queue_deleted"
        }
        public let reason: Reason
        public let queue: String?
        public let exchange: String
        public let routingKey: String
        public let body: [UInt8]
    }

    struct StoredMessage: Sendable {
        var exchange: String
        var routingKey: String
        var body: [UInt8]
        var properties: MessageProperties
        var deliveryCount: Int = 0
        var redelivered: Bool = false
        var enqueuedAt: ContinuousClock.Instant
    }

    struct QueueState {
        var declaration: QueueDeclaration
        var messages: Deque<StoredMessage> = []
        var consumerTags: [String] = []
        var nextConsumer = 0
        var owner: Int?
        var hadConsumers = false
    }

    struct ExchangeState {
        var declaration: ExchangeDeclaration
        var bindings: [QueueBinding] = []
    }

    struct ConsumerState {
        let tag: String
        let queue: String
        let prefetch: Int
        let connection: Int
        let continuation: AsyncThrowingStream<Delivery, any Error>.Continuation
        var unacked: [UInt64: StoredMessage] = [:]
        var cancelled = false
    }

    private var exchanges: [String: ExchangeState] = [:]
    private var queues: [String: QueueState] = [:]
    private var consumers: [String: ConsumerState] = [:]
    private var tagOwner: [UInt64: String] = [:]
    /// Delivery tags of connections that were closed before they were settled.
    private var lostTags: Set<UInt64> = []
    private var nextDeliveryTag: UInt64 = 1
    private var nextConsumerNumber = 1
    private var nextConnection = 1
    private var policies: [DeadLetterPolicy] = []
    public private(set) var dropped: [DroppedMessage] = []
    public let vhost: String

    public init(vhost: String = "/") {
        self.vhost = vhost
    }

    /// A new connection to this broker.
    public func connect() -> InMemoryTransport {
        defer { nextConnection += 1 }
        return InMemoryTransport(broker: self, connection: nextConnection)
    }

    public func addPolicy(_ policy: DeadLetterPolicy) { policies.append(policy) }

    // MARK: Inspection (tests, tools)

    public var exchangeDeclarations: [ExchangeDeclaration] {
        exchanges.values.map(\.declaration).sorted { $0.name < $1.name }
    }

    public var queueDeclarations: [QueueDeclaration] {
        queues.values.map(\.declaration).sorted { $0.name < $1.name }
    }

    public var bindings: [QueueBinding] {
        exchanges.values.flatMap(\.bindings).sorted { ($0.exchange, $0.queue, $0.routingKey) < ($1.exchange, $1.queue, $1.routingKey) }
    }

    /// Messages ready in `queue` (not counting unacknowledged ones); `nil` when it does not exist.
    public func readyCount(_ queue: String) -> Int? { queues[queue]?.messages.count }

    /// Deliveries of `queue` not settled yet.
    public func unackedCount(_ queue: String) -> Int {
        consumers.values.filter { $0.queue == queue }.reduce(0) { $0 + $1.unacked.count }
    }

    /// Bodies ready in `queue`, in order (without consuming them).
    public func readyBodies(_ queue: String) -> [[UInt8]] { queues[queue]?.messages.map(\.body) ?? [] }

    /// Ready messages of `queue` with their headers (dead-letter queues carry `x-death`).
    public func readyMessages(_ queue: String) -> [(body: [UInt8], properties: MessageProperties, routingKey: String)] {
        queues[queue]?.messages.map { ($0.body, $0.properties, $0.routingKey) } ?? []
    }

    public func consumerCount(_ queue: String) -> Int { queues[queue]?.consumerTags.count ?? 0 }

    // MARK: Declarations

    func declareExchange(_ d: ExchangeDeclaration) throws(TransportError) {
        if d.passive {
            guard d.name.isEmpty || exchanges[d.name] != nil else {
                throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no exchange '\(d.name)' in vhost '\(vhost)'")
            }
            return
        }
        guard !d.name.isEmpty else {
            throw TransportError(.accessRefused, replyCode: 403, "ACCESS_REFUSED - operation not permitted on the default exchange")
        }
        if let existing = exchanges[d.name]?.declaration {
            func check(_ what: String, _ received: String, _ current: String) throws(TransportError) {
                guard received == current else {
                    throw TransportError(
                        .preconditionFailed, replyCode: 406,
                        "PRECONDITION_FAILED - inequivalent arg '\(what)' for exchange '\(d.name)' in vhost '\(vhost)': received '\(received)' but current is '\(current)'")
                }
            }
            try check("type", d.type.rawValue, existing.type.rawValue)
            try check("durable", "\(d.durable)", "\(existing.durable)")
            try check("auto_delete", "\(d.autoDelete)", "\(existing.autoDelete)")
            try check("internal", "\(d.isInternal)", "\(existing.isInternal)")
            return
        }
        exchanges[d.name] = ExchangeState(declaration: d)
    }

    /// Queue arguments RabbitMQ compares on redeclaration.
    static let equivalenceArguments: [String] = [
        "x-queue-type", "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
        "x-max-length", "x-max-length-bytes", "x-max-in-memory-length", "x-max-in-memory-bytes",
        "x-max-priority", "x-overflow", "x-delivery-limit", "x-single-active-consumer", "x-max-age",
    ]

    func declareQueue(_ d: QueueDeclaration, connection: Int) throws(TransportError) {
        if d.passive {
            guard queues[d.name] != nil else {
                throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no queue '\(d.name)' in vhost '\(vhost)'")
            }
            return
        }
        guard !d.name.isEmpty else {
            throw TransportError(.other, "server-named queues are not supported by the in-memory broker")
        }
        if let existing = queues[d.name] {
            if let owner = existing.owner, owner != connection {
                throw TransportError(.resourceLocked, replyCode: 405, "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '\(d.name)' in vhost '\(vhost)'")
            }
            let e = existing.declaration
            func check(_ what: String, _ received: String, _ current: String) throws(TransportError) {
                guard received == current else {
                    throw TransportError(
                        .preconditionFailed, replyCode: 406,
                        "PRECONDITION_FAILED - inequivalent arg '\(what)' for queue '\(d.name)' in vhost '\(vhost)': received \(received) but current is \(current)")
                }
            }
            try check("durable", "'\(d.durable)'", "'\(e.durable)'")
            try check("auto_delete", "'\(d.autoDelete)'", "'\(e.autoDelete)'")
            try check("exclusive", "'\(d.exclusive)'", "'\(e.exclusive)'")
            for key in Self.equivalenceArguments {
                let received = key == "x-queue-type" ? .string(d.queueType) : d.arguments[key]
                let current = key == "x-queue-type" ? .string(e.queueType) : e.arguments[key]
                if received != current {
                    try check(key, received.map { "the value '\($0.jsonString(.compact))'" } ?? "none",
                              current.map { "the value '\($0.jsonString(.compact))'" } ?? "none")
                }
            }
            return
        }
        if d.queueType == "quorum" || d.queueType == "stream" {
            if !d.durable {
                throw TransportError(.preconditionFailed, replyCode: 406, "PRECONDITION_FAILED - invalid property 'non-durable' for queue '\(d.name)' in vhost '\(vhost)'")
            }
            if d.autoDelete {
                throw TransportError(.preconditionFailed, replyCode: 406, "PRECONDITION_FAILED - invalid property 'auto-delete' for queue '\(d.name)' in vhost '\(vhost)'")
            }
            if d.exclusive {
                throw TransportError(.preconditionFailed, replyCode: 406, "PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue '\(d.name)' in vhost '\(vhost)'")
            }
        }
        queues[d.name] = QueueState(declaration: d, owner: d.exclusive ? connection : nil)
    }

    func bindQueue(_ b: QueueBinding) throws(TransportError) {
        guard !b.exchange.isEmpty else {
            throw TransportError(.accessRefused, replyCode: 403, "ACCESS_REFUSED - operation not permitted on the default exchange")
        }
        guard exchanges[b.exchange] != nil else {
            throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no exchange '\(b.exchange)' in vhost '\(vhost)'")
        }
        guard queues[b.queue] != nil else {
            throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no queue '\(b.queue)' in vhost '\(vhost)'")
        }
        if exchanges[b.exchange]?.bindings.contains(where: { $0.queue == b.queue && $0.routingKey == b.routingKey }) == true {
            return
        }
        exchanges[b.exchange]?.bindings.append(b)
    }

    func deleteQueue(_ name: String) {
        guard let state = queues.removeValue(forKey: name) else { return }
        for message in state.messages {
            dropped.append(DroppedMessage(reason: .queueDeleted, queue: name, exchange: message.exchange,
                                          routingKey: message.routingKey, body: message.body))
        }
        for tag in state.consumerTags {
            if let consumer = consumers.removeValue(forKey: tag) {
                for deliveryTag in consumer.unacked.keys { tagOwner[deliveryTag] = nil }
                consumer.continuation.finish(throwing: TransportError(.notFound, replyCode: 404, "queue '\(name)' was deleted"))
            }
        }
        for exchangeName in Array(exchanges.keys) {
            guard var exchange = exchanges[exchangeName] else { continue }
            let before = exchange.bindings.count
            exchange.bindings.removeAll { $0.queue == name }
            if exchange.bindings.isEmpty, before > 0, exchange.declaration.autoDelete {
                exchanges[exchangeName] = nil
            } else {
                exchanges[exchangeName] = exchange
            }
        }
    }

    // MARK: Publishing and routing

    /// AMQP topic matching: `*` is one word, `#` zero or more.
    public static func topicMatches(pattern: String, key: String) -> Bool {
        let p = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let k = key.split(separator: ".", omittingEmptySubsequences: false)
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == k.count }
            if p[i] == "#" {
                var jj = j
                while jj <= k.count {
                    if match(i + 1, jj) { return true }
                    jj += 1
                }
                return false
            }
            guard j < k.count else { return false }
            return (p[i] == "*" || p[i] == k[j]) && match(i + 1, j + 1)
        }
        return match(0, 0)
    }

    private func route(exchange: String, routingKey: String) throws(TransportError) -> [String] {
        if exchange.isEmpty { return queues[routingKey] != nil ? [routingKey] : [] }
        guard let state = exchanges[exchange] else {
            throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no exchange '\(exchange)' in vhost '\(vhost)'")
        }
        var targets: [String] = []
        for binding in state.bindings {
            let matches: Bool
            switch state.declaration.type {
            case .fanout: matches = true
            case .direct: matches = binding.routingKey == routingKey
            case .topic: matches = Self.topicMatches(pattern: binding.routingKey, key: routingKey)
            case .headers: matches = false
            }
            if matches, !targets.contains(binding.queue) { targets.append(binding.queue) }
        }
        return targets
    }

    func publish(_ message: OutgoingMessage) throws(TransportError) -> PublishOutcome {
        let targets = try route(exchange: message.exchange, routingKey: message.routingKey)
        if targets.isEmpty {
            if message.mandatory { return .returned(replyCode: 312, replyText: "NO_ROUTE") }
            dropped.append(DroppedMessage(reason: .unroutable, queue: nil, exchange: message.exchange,
                                          routingKey: message.routingKey, body: message.body))
            return .accepted
        }
        let stored = StoredMessage(exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                                   properties: message.properties, enqueuedAt: .now)
        for queue in targets {
            queues[queue]?.messages.append(stored)
            dispatch(queue)
        }
        return .accepted
    }

    // MARK: Consuming

    func consume(_ request: ConsumeRequest, connection: Int) throws(TransportError) -> Subscription {
        guard var queue = queues[request.queue] else {
            throw TransportError(.notFound, replyCode: 404, "NOT_FOUND - no queue '\(request.queue)' in vhost '\(vhost)'")
        }
        if let owner = queue.owner, owner != connection {
            throw TransportError(.resourceLocked, replyCode: 405, "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '\(request.queue)' in vhost '\(vhost)'")
        }
        let tag = request.consumerTag ?? "amq.ctag-mem-\(nextConsumerNumber)"
        nextConsumerNumber += 1
        guard consumers[tag] == nil else {
            throw TransportError(.other, replyCode: 530, "NOT_ALLOWED - attempt to reuse consumer tag '\(tag)'")
        }
        let (stream, continuation) = AsyncThrowingStream<Delivery, any Error>.makeStream()
        consumers[tag] = ConsumerState(tag: tag, queue: request.queue, prefetch: max(0, request.prefetchCount),
                                       connection: connection, continuation: continuation)
        queue.consumerTags.append(tag)
        queue.hadConsumers = true
        queues[request.queue] = queue
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination, let self else { return }
            Task { await self.cancelConsumer(tag) }
        }
        dispatch(request.queue)
        return Subscription(queue: request.queue, consumerTag: tag, deliveries: stream) { [weak self] in
            await self?.cancelConsumer(tag)
        }
    }

    /// `basic.cancel`: no more deliveries; the ones already handed out stay settleable until the
    /// connection closes.
    func cancelConsumer(_ tag: String) {
        guard var consumer = consumers[tag], !consumer.cancelled else { return }
        consumer.cancelled = true
        consumer.continuation.finish()
        if consumer.unacked.isEmpty { consumers[tag] = nil } else { consumers[tag] = consumer }
        let queueName = consumer.queue
        guard var queue = queues[queueName] else { return }
        queue.consumerTags.removeAll { $0 == tag }
        queue.nextConsumer = 0
        queues[queueName] = queue
        if queue.consumerTags.isEmpty, queue.hadConsumers, queue.declaration.autoDelete {
            deleteQueue(queueName)
        } else {
            dispatch(queueName)
        }
    }

    /// A lost connection: its consumers stop and every delivery they had not settled goes back to
    /// the front of its queue, oldest first, marked redelivered.
    func closeConnection(_ connection: Int) {
        for tag in consumers.values.filter({ $0.connection == connection }).map(\.tag) {
            cancelConsumer(tag)
            guard let consumer = consumers.removeValue(forKey: tag) else { continue }
            for deliveryTag in consumer.unacked.keys.sorted().reversed() {
                tagOwner[deliveryTag] = nil
                lostTags.insert(deliveryTag)
                if let message = consumer.unacked[deliveryTag] { returnToQueue(message, queue: consumer.queue) }
            }
            dispatch(consumer.queue)
        }
        for (name, queue) in queues where queue.owner == connection {
            deleteQueue(name)
        }
    }

    private func returnToQueue(_ message: StoredMessage, queue queueName: String) {
        guard queues[queueName] != nil else { return }
        var again = message
        again.redelivered = true
        again.deliveryCount += 1
        if let state = queues[queueName], state.declaration.queueType == "quorum",
           let limit = state.declaration.arguments["x-delivery-limit"]?.intValue, limit >= 0, again.deliveryCount > limit {
            deadLetter(again, from: queueName, reason: .deliveryLimit)
            return
        }
        queues[queueName]?.messages.prepend(again)
    }

    private func deadLetter(_ message: StoredMessage, from queueName: String, reason: DroppedMessage.Reason) {
        let declaration = queues[queueName]?.declaration
        var dlx = declaration?.arguments["x-dead-letter-exchange"]?.stringValue
        var dlk = declaration?.arguments["x-dead-letter-routing-key"]?.stringValue
        if dlx == nil, let policy = policies.first(where: { $0.appliesTo(queueName) }) {
            dlx = policy.exchange
            dlk = policy.routingKey
        }
        guard let dlx else {
            dropped.append(DroppedMessage(reason: reason, queue: queueName, exchange: message.exchange,
                                          routingKey: message.routingKey, body: message.body))
            return
        }
        var properties = message.properties
        let amqpReason: String
        switch reason {
        case .expired: amqpReason = "expired"
        case .deliveryLimit: amqpReason = "delivery_limit"
        default: amqpReason = "rejected"
        }
        var deaths = properties.headers["x-death"]?.arrayValue ?? []
        deaths.insert([
            "count": 1, "reason": .string(amqpReason), "queue": .string(queueName),
            "exchange": .string(message.exchange), "routing-keys": [.string(message.routingKey)],
        ], at: 0)
        properties.headers["x-death"] = .array(deaths)
        if properties.headers["x-first-death-reason"] == nil {
            properties.headers["x-first-death-reason"] = .string(amqpReason)
            properties.headers["x-first-death-queue"] = .string(queueName)
            properties.headers["x-first-death-exchange"] = .string(message.exchange)
        }
        if reason == .expired { properties.expiration = nil }
        let key = dlk ?? message.routingKey
        let targets = (try? route(exchange: dlx, routingKey: key)) ?? []
        if targets.isEmpty {
            dropped.append(DroppedMessage(reason: reason, queue: queueName, exchange: message.exchange,
                                          routingKey: message.routingKey, body: message.body))
            return
        }
        let stored = StoredMessage(exchange: dlx, routingKey: key, body: message.body, properties: properties,
                                   enqueuedAt: .now)
        for target in targets {
            queues[target]?.messages.append(stored)
            dispatch(target)
        }
    }

    private func isExpired(_ message: StoredMessage) -> Bool {
        guard let text = message.properties.expiration, let ms = Int(text) else { return false }
        return ContinuousClock.now - message.enqueuedAt >= .milliseconds(ms)
    }

    private func dispatch(_ queueName: String) {
        while var queue = queues[queueName], !queue.messages.isEmpty, !queue.consumerTags.isEmpty {
            // Next consumer (round-robin) with room under its prefetch.
            var chosen: String?
            for offset in 0..<queue.consumerTags.count {
                let index = (queue.nextConsumer + offset) % queue.consumerTags.count
                let tag = queue.consumerTags[index]
                if let c = consumers[tag], c.prefetch == 0 || c.unacked.count < c.prefetch {
                    chosen = tag
                    queue.nextConsumer = (index + 1) % queue.consumerTags.count
                    break
                }
            }
            guard let tag = chosen, var consumer = consumers[tag] else { return }
            guard let message = queue.messages.popFirst() else { return }
            queues[queueName] = queue
            if isExpired(message) {
                deadLetter(message, from: queueName, reason: .expired)
                continue
            }
            let deliveryTag = nextDeliveryTag
            nextDeliveryTag += 1
            var properties = message.properties
            if queue.declaration.queueType == "quorum", message.deliveryCount > 0 {
                properties.headers["x-delivery-count"] = .int(Int64(message.deliveryCount))
            }
            let delivery = Delivery(
                queue: queueName, exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                properties: properties, redelivered: message.redelivered, deliveryCount: message.deliveryCount,
                deliveryTag: deliveryTag, consumerTag: tag, settler: InMemorySettler(broker: self))
            consumer.unacked[deliveryTag] = message
            consumers[tag] = consumer
            tagOwner[deliveryTag] = tag
            if case .terminated = consumer.continuation.yield(delivery) {
                // Nobody will ever see it: give it back at once.
                consumers[tag]?.unacked[deliveryTag] = nil
                tagOwner[deliveryTag] = nil
                returnToQueue(message, queue: queueName)
                cancelConsumer(tag)
                return
            }
        }
    }

    func settle(deliveryTag: UInt64, as settlement: Settlement) throws(TransportError) {
        if lostTags.remove(deliveryTag) != nil {
            throw TransportError(.lostOwnership, "delivery \(deliveryTag) came on a connection that was closed; it was requeued")
        }
        guard let tag = tagOwner.removeValue(forKey: deliveryTag), var consumer = consumers[tag],
              let message = consumer.unacked.removeValue(forKey: deliveryTag) else {
            throw TransportError(.preconditionFailed, replyCode: 406, "PRECONDITION_FAILED - unknown delivery tag \(deliveryTag)")
        }
        consumers[tag] = consumer.cancelled && consumer.unacked.isEmpty ? nil : consumer
        switch settlement {
        case .ack: break
        case .requeue: returnToQueue(message, queue: consumer.queue)
        case .deadLetter: deadLetter(message, from: consumer.queue, reason: .rejected)
        }
        dispatch(consumer.queue)
    }
}

struct InMemorySettler: DeliverySettling {
    let broker: InMemoryBroker
    func settle(_ delivery: Delivery, as settlement: Settlement, reason: String?) async throws {
        try await broker.settle(deliveryTag: delivery.deliveryTag, as: settlement)
    }
}

/// One connection to an `InMemoryBroker`. `close()` behaves like a dropped AMQP connection:
/// its consumers stop and their unsettled deliveries are redelivered to others.
public struct InMemoryTransport: MessageTransport {
    public let broker: InMemoryBroker
    let connection: Int

    init(broker: InMemoryBroker, connection: Int) {
        self.broker = broker
        self.connection = connection
    }

    public func declareExchange(_ exchange: ExchangeDeclaration) async throws {
        try await broker.declareExchange(exchange)
    }

    public func declareQueue(_ queue: QueueDeclaration) async throws {
        try await broker.declareQueue(queue, connection: connection)
    }

    public func bindQueue(_ binding: QueueBinding) async throws {
        try await broker.bindQueue(binding)
    }

    public func deleteQueue(named name: String) async throws {
        await broker.deleteQueue(name)
    }

    public func consume(_ request: ConsumeRequest) async throws -> Subscription {
        try await broker.consume(request, connection: connection)
    }

    public func publish(_ message: OutgoingMessage) async throws -> PublishOutcome {
        try await broker.publish(message)
    }

    public func close() async {
        await broker.closeConnection(connection)
    }
}
