/// An AMQP channel: declarations, consuming and publishing.
///
/// Operations on one channel are carried out in the order they are called; those the broker
/// answers wait for the answer (bounded by the RPC timeout). What is declared here is recorded
/// and declared again after a reconnect. If the broker closes the channel (e.g. 404 on a
/// passive declare of a missing queue, 406 on an inequivalent redeclaration), the operation
/// that caused it throws `channelClosed` with the broker's code and text, and so does every
/// later operation: open a new channel.
public final class AMQPChannel: Sendable {
    let core: ChannelCore
    /// The connection this channel belongs to (kept alive by the channel).
    public let connection: AMQPConnection

    init(core: ChannelCore, connection: AMQPConnection) {
        self.core = core
        self.connection = connection
    }

    /// The channel number.
    public var id: UInt16 { core.id }

    /// Whether the channel can be used (false once closed, or while the connection is down).
    public var isOpen: Bool { core.closedError == nil && core.epoch.load(ordering: .relaxed) != 0 }

    /// Why the channel closed, once it has.
    public var closeReason: AMQPError? { core.closedError }

    private func request(_ request: ChannelRequest) async throws(AMQPError) -> ChannelResponse {
        do {
            return try await core.request(request)
        } catch {
            throw AMQPError.wrap(error)
        }
    }

    // MARK: Exchanges

    public func declareExchange(_ exchange: ExchangeDeclaration) async throws(AMQPError) {
        _ = try await request(.exchangeDeclare(exchange, passive: false))
    }

    /// Checks that the exchange exists (throws `channelClosed` 404, closing the channel, if not).
    public func declareExchangePassive(named name: String) async throws(AMQPError) {
        _ = try await request(.exchangeDeclare(ExchangeDeclaration(name: name), passive: true))
    }

    public func deleteExchange(named name: String, ifUnused: Bool = false) async throws(AMQPError) {
        _ = try await request(.exchangeDelete(name: name, ifUnused: ifUnused))
    }

    /// Routes messages from exchange `source` to exchange `destination`.
    public func bindExchange(
        _ destination: String, to source: String, routingKey: String = "", arguments: AMQPFieldTable = [:]
    ) async throws(AMQPError) {
        _ = try await request(
            .exchangeBind(ExchangeBinding(destination: destination, source: source, routingKey: routingKey, arguments: arguments)))
    }

    public func unbindExchange(
        _ destination: String, from source: String, routingKey: String = "", arguments: AMQPFieldTable = [:]
    ) async throws(AMQPError) {
        _ = try await request(
            .exchangeUnbind(ExchangeBinding(destination: destination, source: source, routingKey: routingKey, arguments: arguments)))
    }

    // MARK: Queues

    @discardableResult
    public func declareQueue(_ queue: QueueDeclaration) async throws(AMQPError) -> DeclaredQueue {
        let response = try await request(.queueDeclare(queue, passive: false))
        guard case .queue(let declared) = response else { throw AMQPError(.protocolError, "queue.declare-ok carried no queue") }
        return declared
    }

    /// The queue's message and consumer counts; throws `channelClosed` 404 (closing the channel) if it does not exist.
    public func declareQueuePassive(named name: String) async throws(AMQPError) -> DeclaredQueue {
        let response = try await request(.queueDeclare(QueueDeclaration(name: name), passive: true))
        guard case .queue(let declared) = response else { throw AMQPError(.protocolError, "queue.declare-ok carried no queue") }
        return declared
    }

    /// Deletes the queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(named name: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws(AMQPError) -> UInt32 {
        guard case .messageCount(let count) = try await request(.queueDelete(name: name, ifUnused: ifUnused, ifEmpty: ifEmpty))
        else { return 0 }
        return count
    }

    /// Removes every ready message; returns how many.
    @discardableResult
    public func purgeQueue(named name: String) async throws(AMQPError) -> UInt32 {
        guard case .messageCount(let count) = try await request(.queuePurge(name: name)) else { return 0 }
        return count
    }

    public func bindQueue(
        _ queue: String, to exchange: String, routingKey: String = "", arguments: AMQPFieldTable = [:]
    ) async throws(AMQPError) {
        _ = try await request(.queueBind(QueueBinding(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)))
    }

    public func unbindQueue(
        _ queue: String, from exchange: String, routingKey: String = "", arguments: AMQPFieldTable = [:]
    ) async throws(AMQPError) {
        _ = try await request(
            .queueUnbind(QueueBinding(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)))
    }

    // MARK: Consuming

    /// At most `count` unacknowledged deliveries at a time on this channel's consumers
    /// (`global`: shared by the channel, RabbitMQ semantics); 0 means no limit.
    public func setPrefetch(count: UInt16, size: UInt32 = 0, global: Bool = false) async throws(AMQPError) {
        _ = try await request(.basicQos(Prefetch(count: count, size: size, global: global)))
    }

    /// Starts a consumer; its deliveries arrive through the returned sequence. An empty
    /// `consumerTag` lets the broker choose one (kept across reconnects).
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: AMQPFieldTable = [:]
    ) async throws(AMQPError) -> AMQPConsumer {
        let buffer = DeliveryBuffer()
        let consume = ConsumeRequest(
            queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments, buffer: buffer)
        guard case .consumerTag(let tag) = try await request(.basicConsume(consume)) else {
            throw AMQPError(.protocolError, "basic.consume-ok carried no consumer tag")
        }
        return AMQPConsumer(consumerTag: tag, queue: queue, buffer: buffer, channel: self)
    }

    // MARK: Publishing

    /// Puts the channel in publisher-confirm mode (needed by `publish`; kept across reconnects).
    public func enableConfirms() async throws(AMQPError) {
        _ = try await request(.confirmSelect)
    }

    /// Publishes and waits until the broker confirms, returns (a `mandatory` message no queue
    /// took) or refuses it. Needs `enableConfirms()`. Throws `connectionClosed` when the
    /// connection drops before the answer (the message may or may not have been routed) and
    /// `channelClosed` when the broker closes the channel (e.g. 404: no such exchange).
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws(AMQPError) -> PublishOutcome {
        if let error = core.closedError { throw error }
        let message = OutgoingMessage(
            exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                if !core.connection.submit(.publish(core, message, .task(continuation))) {
                    continuation.resume(throwing: core.unavailableError())
                }
            }
        } catch {
            throw AMQPError.wrap(error)
        }
    }

    /// Publishes without waiting: `completion` is called once with what `publish` would
    /// return or throw. It runs on the connection thread (or at once on the caller's, when the
    /// channel is closed or the connection down), so it must be quick and must not block; no task
    /// is resumed for the broker's answer. Needs `enableConfirms()`.
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false, completion: @escaping @Sendable (Result<PublishOutcome, AMQPError>) -> Void
    ) {
        if let error = core.closedError {
            completion(.failure(error))
            return
        }
        let message = OutgoingMessage(
            exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body)
        if !core.connection.submit(.publish(core, message, .callback(completion))) {
            completion(.failure(core.unavailableError()))
        }
    }

    /// Publishes without waiting for anything: the message is queued for the connection thread.
    /// Throws when the channel is closed or the connection is down right now; a later failure
    /// is only logged. Returned `mandatory` messages appear in `returnedMessages`.
    public func publishWithoutConfirm(
        _ body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) throws(AMQPError) {
        if let error = core.closedError { throw error }
        guard core.connection.connected.load(ordering: .relaxed) else { throw core.unavailableError() }
        let message = OutgoingMessage(
            exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body)
        guard core.connection.submit(.publish(core, message, .none)) else { throw core.unavailableError() }
    }

    /// `mandatory` messages the broker returned that no `publish` call is waiting for
    /// (those published with `publishWithoutConfirm`); it keeps the newest 1024 unread.
    public var returnedMessages: AsyncStream<ReturnedMessage> { core.returns }

    /// Closes the channel; its consumers' sequences end, unacknowledged deliveries go back to their queues.
    public func close() async throws(AMQPError) {
        if core.closedError != nil { return }
        _ = try await request(.channelClose)
    }
}
