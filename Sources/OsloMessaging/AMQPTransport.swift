public import AMQP
import Foundation
import JSON
public import Logging
import Synchronization

/// Options of an `AMQPTransport` beyond where the broker is.
public struct AMQPTransportOptions: Sendable {
    /// Prefix of the connections' names as RabbitMQ shows them (`<name>:<pid>:listen` / `:send`),
    /// like oslo's `<processname>:<pid>:<uuid>` client property.
    public var connectionName: String
    /// Where poison messages go (see `DeadLetterOptions`).
    public var deadLetter: DeadLetterOptions
    /// Wait before consuming again after the broker cancelled a consumer or closed its channel
    /// (oslo `kombu_reconnect_delay`, 1 s).
    public var consumerRecoveryDelay: Duration
    /// How long a declaration or publish waits for the connection to come back before failing
    /// (oslo retries these until the broker is back; 60 s matches `rpc_response_timeout`).
    public var reconnectWaitLimit: Duration

    public init(connectionName: String = "magnum-capi-worker", deadLetter: DeadLetterOptions = DeadLetterOptions(),
                consumerRecoveryDelay: Duration = .seconds(1), reconnectWaitLimit: Duration = .seconds(60)) {
        self.connectionName = connectionName
        self.deadLetter = deadLetter
        self.consumerRecoveryDelay = consumerRecoveryDelay
        self.reconnectWaitLimit = reconnectWaitLimit
    }
}

/// `MessageTransport` over RabbitMQ, through the `AMQP` module (librabbitmq).
///
/// Like oslo.messaging it keeps two connections: one for listening (declarations and
/// consumers, each consumer on a channel of its own with its prefetch) and one for sending
/// (one channel in publisher-confirm mode; `publish` returns when the broker has confirmed,
/// returned or refused the message). Both reconnect by themselves (see docs/amqp.md); what was
/// declared is declared again and consumers resume on the new connection. Deliveries received
/// before a reconnect can no longer be settled: `settle` throws `TransportError.lostOwnership`
/// and sends nothing — the broker redelivers them. A consumer the broker cancels (its queue
/// was deleted) or whose channel it closes is declared and started again after
/// `consumerRecoveryDelay`, as oslo does. `.deadLetter` never drops a message: see
/// `DeadLetterOptions`.
public final class AMQPTransport: MessageTransport {
    public let configuration: AMQPConfiguration
    public let options: AMQPTransportOptions
    let listener: AMQPConnection
    let sender: AMQPConnection
    let logger: Logger
    let declareSlot: ChannelSlot
    let publishSlot: ChannelSlot
    private let state = Mutex(State())

    struct State {
        var closed = false
        /// Queues declared through this transport, for dead-lettering and consumer recovery.
        var queues: [String: QueueDeclaration] = [:]
        var exchanges: [String: ExchangeDeclaration] = [:]
        var bindings: [QueueBinding] = []
        var deadLetterDeclared = false
    }

    private init(configuration: AMQPConfiguration, options: AMQPTransportOptions, listener: AMQPConnection,
                 sender: AMQPConnection, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.listener = listener
        self.sender = sender
        self.logger = logger
        declareSlot = ChannelSlot(connection: listener, confirms: false)
        publishSlot = ChannelSlot(connection: sender, confirms: true)
        // The AMQP module logs what happens to each connection (lost, reconnect rounds,
        // restored, blocked) with the connection's name; nothing to add here.
    }

    /// Opens the listening and the sending connection (each to the first endpoint that answers).
    public static func connect(configuration: AMQPConfiguration, options: AMQPTransportOptions = AMQPTransportOptions(),
                               logger: Logger) async throws -> AMQPTransport {
        let pid = ProcessInfo.processInfo.processIdentifier
        var listen = configuration
        listen.connectionName = "\(options.connectionName):\(pid):listen"
        var send = configuration
        send.connectionName = "\(options.connectionName):\(pid):send"
        let listener = try await AMQPConnection.connect(configuration: listen, logger: logger)
        let sender: AMQPConnection
        do {
            sender = try await AMQPConnection.connect(configuration: send, logger: logger)
        } catch {
            await listener.close()
            throw error
        }
        logger.info("connected to RabbitMQ at \(listener.endpoint ?? "?") (vhost \(configuration.virtualHost))")
        return AMQPTransport(configuration: configuration, options: options, listener: listener, sender: sender, logger: logger)
    }

    /// What happens to the listening and the sending connection (reconnects, blocks), for
    /// metrics and logs.
    public func connectionEvents() -> [AsyncStream<AMQPConnectionEvent>] { [listener.events(), sender.events()] }

    /// Whether both connections are up right now.
    public var isConnected: Bool { listener.isConnected && sender.isConnected }

    /// `host:port` of the broker the listening connection is on (nil while reconnecting).
    public var endpoint: String? { listener.endpoint }

    /// Closes both connections; consumers end, unsettled deliveries go back to their queues.
    public func close() async {
        let wasClosed = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        guard !wasClosed else { return }
        await listener.close()
        await sender.close()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: Declarations

    public func declareExchange(_ exchange: ExchangeDeclaration) async throws {
        if exchange.passive {
            try await onOwnChannel("exchange.declare (passive) '\(exchange.name)'") { channel throws(AMQPError) in
                try await channel.declareExchangePassive(named: exchange.name)
            }
            return
        }
        try await onDeclareChannel("exchange.declare '\(exchange.name)'", subject: exchange.name) { channel throws(AMQPError) in
            try await channel.declareExchange(AMQPMapping.exchange(exchange))
        }
        state.withLock { $0.exchanges[exchange.name] = exchange }
    }

    public func declareQueue(_ queue: QueueDeclaration) async throws {
        if queue.passive {
            _ = try await queueStatus(queue.name)
            return
        }
        try await onDeclareChannel("queue.declare '\(queue.name)'", subject: queue.name) { channel throws(AMQPError) in
            try await channel.declareQueue(AMQPMapping.queue(queue))
        }
        state.withLock { $0.queues[queue.name] = queue }
    }

    public func bindQueue(_ binding: QueueBinding) async throws {
        try await onDeclareChannel("queue.bind '\(binding.queue)' to '\(binding.exchange)'", subject: binding.queue) {
            channel throws(AMQPError) in
            try await channel.bindQueue(binding.queue, to: binding.exchange, routingKey: binding.routingKey,
                                        arguments: AMQPMapping.fieldTable(binding.arguments))
        }
        state.withLock { s in if !s.bindings.contains(binding) { s.bindings.append(binding) } }
    }

    public func deleteQueue(named name: String) async throws {
        do {
            try await onDeclareChannel("queue.delete '\(name)'", subject: name) { channel throws(AMQPError) in
                try await channel.deleteQueue(named: name)
            }
        } catch let error as TransportError where error.kind == .notFound {
            // Already gone.
        }
        state.withLock { s in
            s.queues[name] = nil
            s.bindings.removeAll { $0.queue == name }
        }
    }

    /// Messages ready and consumers of a queue (a passive declare, on a channel of its own:
    /// the broker closes the channel when the queue does not exist, `.notFound`).
    public func queueStatus(_ name: String) async throws -> (messages: Int, consumers: Int) {
        var result: DeclaredQueue?
        try await onOwnChannel("queue.declare (passive) '\(name)'") { channel throws(AMQPError) in
            result = try await channel.declareQueuePassive(named: name)
        }
        return (Int(result?.messageCount ?? 0), Int(result?.consumerCount ?? 0))
    }

    /// Runs `body` on the shared declaration channel, waiting through a reconnect. A channel the
    /// broker closed (406 inequivalent arguments...) is replaced for the next operation; when
    /// another operation's failure closed it under this one (the broker's text does not name
    /// `subject`), this one is tried once more on a fresh channel.
    private func onDeclareChannel(_ what: String, subject: String,
                                  _ body: (AMQPChannel) async throws(AMQPError) -> Void) async throws {
        var retried = false
        while true {
            do {
                try await retryingThroughReconnect(what, connection: listener) { () throws(AMQPError) in
                    try await body(try await declareSlot.channel())
                }
                return
            } catch let error as TransportError where error.replyCode != nil && !retried && !error.message.contains("'\(subject)'") {
                retried = true
            }
        }
    }

    /// Runs `body` on a channel opened for it and closed afterwards: for operations expected to
    /// fail (passive declarations), so they never close a channel others use.
    private func onOwnChannel(_ what: String, _ body: (AMQPChannel) async throws(AMQPError) -> Void) async throws {
        try await retryingThroughReconnect(what, connection: listener) { () throws(AMQPError) in
            let channel = try await listener.openChannel()
            do throws(AMQPError) {
                try await body(channel)
            } catch {
                try? await channel.close()
                throw error
            }
            try? await channel.close()
        }
    }

    /// Retries `body` while the connection is re-established (it fails fast meanwhile), up to
    /// `reconnectWaitLimit`; other failures are returned at once as `TransportError`s.
    func retryingThroughReconnect<T>(_ what: String, connection: AMQPConnection,
                                     _ body: () async throws(AMQPError) -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + options.reconnectWaitLimit
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch {
                guard error.kind == .connectionClosed, !isClosed, clock.now < deadline else {
                    throw AMQPMapping.transportError(error, what)
                }
                if attempt == 1 { logger.info("\(what): waiting for the broker connection to come back (\(error))") }
                while !connection.isConnected && !isClosed && clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    // MARK: Publishing

    public func publish(_ message: OutgoingMessage) async throws -> PublishOutcome {
        let properties = AMQPMapping.amqpProperties(message.properties)
        let what = Self.describe(message)
        var retriedAfterChannelClose = false
        while true {
            let outcome: AMQP.PublishOutcome
            do {
                outcome = try await retryingThroughReconnect(what, connection: sender) { () throws(AMQPError) in
                    let channel = try await publishSlot.channel()
                    return try await channel.publish(message.body, exchange: message.exchange, routingKey: message.routingKey,
                                                     properties: properties, mandatory: message.mandatory)
                }
            } catch let error as TransportError where error.replyCode != nil && !retriedAfterChannelClose {
                // The shared channel was closed by the broker. If another publish caused it (its
                // exchange is missing, not ours), this one deserves a fresh channel.
                let ours = message.exchange.isEmpty || error.message.contains("'\(message.exchange)'")
                guard !ours else { throw error }
                retriedAfterChannelClose = true
                continue
            }
            return try Self.publishOutcome(outcome, what)
        }
    }

    /// How errors name a publish.
    static func describe(_ message: OutgoingMessage) -> String {
        "publish to exchange '\(message.exchange)' with routing key '\(message.routingKey)'"
    }

    /// The broker's answer to a publish, as the transport reports it: a nack is an error.
    static func publishOutcome(_ outcome: AMQP.PublishOutcome, _ what: @autoclosure () -> String) throws -> PublishOutcome {
        switch outcome {
        case .confirmed: return .accepted
        case .returned(let returned): return .returned(replyCode: Int(returned.replyCode), replyText: returned.replyText)
        case .nacked: throw TransportError(.publishRefused, "\(what()): the broker refused the message (basic.nack)")
        }
    }

    /// Hands the message to the sending connection and returns; `outcome` runs on its thread when
    /// the broker answers, so no task waits for the confirm. When the connection or the shared
    /// channel is not usable (or is lost before the answer) this falls back to the waiting
    /// `publish`, with its waits for a reconnect and its fresh channel.
    public func publish(_ message: OutgoingMessage,
                        outcome: @escaping @Sendable (Result<PublishOutcome, any Error>) -> Void) {
        guard let channel = publishSlot.openChannel, sender.isConnected, !isClosed else {
            publishInTask(message, outcome: outcome)
            return
        }
        channel.publish(message.body, exchange: message.exchange, routingKey: message.routingKey,
                        properties: AMQPMapping.amqpProperties(message.properties), mandatory: message.mandatory) {
            [self] result in
            switch result {
            case .success(let answer):
                outcome(Result { try Self.publishOutcome(answer, Self.describe(message)) })
            case .failure(let error) where (error.kind == .connectionClosed || error.kind == .channelClosed) && !isClosed:
                publishInTask(message, outcome: outcome)
            case .failure(let error):
                outcome(.failure(AMQPMapping.transportError(error, Self.describe(message))))
            }
        }
    }

    // MARK: Consuming

    public func consume(_ request: ConsumeRequest) async throws -> Subscription {
        let subscription = AMQPSubscriptionState(transport: self, request: request)
        try await subscription.start()
        return Subscription(queue: request.queue, consumerTag: subscription.consumerTag, pull: {
            AMQPDeliveryPuller(state: subscription)
        }, onCancel: {
            await subscription.cancel()
        })
    }

    /// Opens a channel for one consumer: prefetch, then `basic.consume`.
    func startConsumer(_ request: ConsumeRequest, consumerTag: String) async throws -> (AMQPChannel, AMQPConsumer) {
        try await retryingThroughReconnect("basic.consume '\(request.queue)'", connection: listener) { () throws(AMQPError) in
            let channel = try await listener.openChannel()
            do throws(AMQPError) {
                if request.prefetchCount > 0 {
                    try await channel.setPrefetch(count: UInt16(clamping: request.prefetchCount))
                }
                let consumer = try await channel.consume(
                    queue: request.queue, consumerTag: consumerTag, arguments: AMQPMapping.fieldTable(request.arguments))
                return (channel, consumer)
            } catch {
                try? await channel.close()
                throw error
            }
        }
    }

    /// Declares `queue` again (with its bindings) when it was declared through this transport:
    /// what oslo does before consuming again after a consumer cancel.
    func redeclare(queue name: String) async throws {
        let (queue, exchanges, bindings) = state.withLock { s in
            let bindings = s.bindings.filter { $0.queue == name }
            return (s.queues[name], bindings.compactMap { s.exchanges[$0.exchange] }, bindings)
        }
        guard let queue else { return }
        for exchange in exchanges { try await declareExchange(exchange) }
        try await declareQueue(queue)
        for binding in bindings { try await bindQueue(binding) }
    }

    // MARK: Dead-lettering

    /// See `DeadLetterOptions`.
    func deadLetter(_ delivery: AMQPDelivery, queue: String, reason: String?) async throws {
        let declaration = state.withLock { $0.queues[queue] }
        if options.deadLetter.strategy == .broker || declaration?.arguments["x-dead-letter-exchange"] != nil {
            do { try delivery.reject(requeue: false) } catch { throw AMQPMapping.transportError(error, "reject") }
            logger.warning("dead-lettered a message of queue \(queue) through the queue's dead-letter exchange: \(reason ?? "no reason given")")
            return
        }
        let target = options.deadLetter
        var properties = delivery.properties
        var headers = properties.headers ?? [:]
        headers[DeadLetterOptions.Header.reason] = .string(reason ?? "unspecified")
        headers[DeadLetterOptions.Header.originalQueue] = .string(queue)
        headers[DeadLetterOptions.Header.originalExchange] = .string(delivery.exchange)
        headers[DeadLetterOptions.Header.originalRoutingKey] = .string(delivery.routingKey)
        if let expiration = properties.expiration { headers[DeadLetterOptions.Header.originalExpiration] = .string(expiration) }
        headers[DeadLetterOptions.Header.deliveryCount] = .int64(
            Int64(AMQPMapping.deliveryCount(headers: delivery.properties.headers, redelivered: delivery.redelivered)))
        headers[DeadLetterOptions.Header.deadLetteredAt] = .timestamp(UInt64(max(0, Date().timeIntervalSince1970)))
        properties.headers = headers
        // A call's expiration is its caller's timeout: it must not expire in the dead-letter queue.
        properties.expiration = nil

        var failure: String?
        for attempt in 1...2 {
            do {
                try await ensureDeadLetterQueue(force: attempt > 1)
                let what = "dead-letter publish to '\(target.exchange)'"
                let outcome = try await retryingThroughReconnect(what, connection: sender) { () throws(AMQPError) in
                    try await publishSlot.channel().publish(delivery.body, exchange: target.exchange, routingKey: queue,
                                                            properties: properties, mandatory: true)
                }
                switch outcome {
                case .confirmed:
                    do { try delivery.ack() } catch { throw AMQPMapping.transportError(error, "ack after dead-lettering") }
                    logger.warning("dead-lettered a message of queue \(queue) to exchange \(target.exchange) (queue \(target.queue)): \(reason ?? "no reason given")")
                    return
                case .returned(let returned):
                    failure = "no queue is bound to \(target.exchange) (\(returned.replyCode) \(returned.replyText))"
                case .nacked:
                    failure = "the broker refused the dead-letter message (basic.nack)"
                }
            } catch let error as TransportError where error.kind == .lostOwnership {
                throw error
            } catch {
                failure = "\(error)"
            }
        }
        // Keep it: back on its queue rather than lost.
        let text = failure ?? "unknown failure"
        do { try delivery.nack(requeue: true) } catch { throw AMQPMapping.transportError(error, "requeue after a failed dead-letter") }
        throw TransportError(.other, "could not dead-letter a message of queue \(queue) to \(target.exchange): \(text); requeued it instead")
    }

    private func ensureDeadLetterQueue(force: Bool) async throws {
        if !force, state.withLock({ $0.deadLetterDeclared }) { return }
        let declarations = options.deadLetter.declarations
        do {
            try await declarations.apply(to: self)
        } catch let error as TransportError where error.kind == .preconditionFailed {
            // An operator made it with other arguments: use it as it is.
            logger.warning("dead-letter queue \(options.deadLetter.queue) exists with other properties (\(error)); using it as it is")
            try await declareExchange(ExchangeDeclaration(name: options.deadLetter.exchange, type: .topic, passive: true))
            _ = try await queueStatus(options.deadLetter.queue)
        }
        state.withLock { $0.deadLetterDeclared = true }
    }
}

/// One channel shared by many operations, opened on first use and replaced when the broker
/// closes it (channels are restored by the connection across reconnects, so only a channel
/// closed for good is replaced).
final class ChannelSlot: Sendable {
    let connection: AMQPConnection
    let confirms: Bool
    private let current = Mutex<AMQPChannel?>(nil)

    init(connection: AMQPConnection, confirms: Bool) {
        self.connection = connection
        self.confirms = confirms
    }

    /// The shared channel when it is open right now.
    var openChannel: AMQPChannel? {
        guard let channel = current.withLock({ $0 }), channel.isOpen else { return nil }
        return channel
    }

    func channel() async throws(AMQPError) -> AMQPChannel {
        if let channel = current.withLock({ $0 }), channel.closeReason == nil { return channel }
        let fresh = try await connection.openChannel()
        if confirms {
            do throws(AMQPError) {
                try await fresh.enableConfirms()
            } catch {
                try? await fresh.close()
                throw error
            }
        }
        let chosen = current.withLock { slot -> AMQPChannel in
            if let existing = slot, existing.closeReason == nil { return existing }
            slot = fresh
            return fresh
        }
        if chosen !== fresh { try? await fresh.close() }
        return chosen
    }
}
