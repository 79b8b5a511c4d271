import AMQP
import Logging
import Synchronization

/// One `AMQPTransport` consumer: its current AMQP channel and consumer (replaced when the broker
/// cancels the consumer or closes the channel), whether it was cancelled, and how many of its
/// deliveries are still unsettled (the channel closes after `cancel()` once none is).
final class AMQPSubscriptionState: Sendable {
    let transport: AMQPTransport
    let request: ConsumeRequest
    private let state = Mutex(State())

    struct State {
        var channel: AMQPChannel?
        var consumer: AMQPConsumer?
        var consumerTag = ""
        /// Bumped whenever the consumer is replaced, so a puller knows to pick up the new one.
        var generation = 0
        var cancelled = false
        var channelClosed = false
        var unsettled = 0
        var recovering: Task<Void, Never>?
    }

    init(transport: AMQPTransport, request: ConsumeRequest) {
        self.transport = transport
        self.request = request
    }

    var consumerTag: String { state.withLock { $0.consumerTag } }
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func start() async throws {
        let (channel, consumer) = try await transport.startConsumer(request, consumerTag: request.consumerTag ?? "")
        state.withLock { s in
            s.channel = channel
            s.consumer = consumer
            s.consumerTag = consumer.consumerTag
            s.generation += 1
        }
    }

    /// The consumer to read from, and its generation; nil once cancelled.
    func current() -> (AMQPConsumer, Int)? {
        state.withLock { s in
            guard !s.cancelled, let consumer = s.consumer else { return nil }
            return (consumer, s.generation)
        }
    }

    /// `basic.cancel`; the channel closes once every delivery handed out is settled.
    func cancel() async {
        let (consumer, closeNow, recovering) = state.withLock { s -> (AMQPConsumer?, AMQPChannel?, Task<Void, Never>?) in
            guard !s.cancelled else { return (nil, nil, nil) }
            s.cancelled = true
            return (s.consumer, s.unsettled == 0 ? takeChannel(&s) : nil, s.recovering)
        }
        recovering?.cancel()
        if let consumer {
            do { try await consumer.cancel() } catch {
                transport.logger.debug("basic.cancel on \(request.queue): \(error)")
            }
        }
        if let closeNow { try? await closeNow.close() }
    }

    private func takeChannel(_ s: inout State) -> AMQPChannel? {
        guard !s.channelClosed else { return nil }
        s.channelClosed = true
        return s.channel
    }

    func handedOut() { state.withLock { $0.unsettled += 1 } }

    func settled() {
        let close = state.withLock { s -> AMQPChannel? in
            s.unsettled -= 1
            return s.cancelled && s.unsettled <= 0 ? takeChannel(&s) : nil
        }
        if let close { Task { try? await close.close() } }
    }

    /// After the broker cancelled the consumer (queue deleted) or closed its channel: wait
    /// `consumerRecoveryDelay`, declare the queue again when this transport declared it, and
    /// consume on a new channel — until that works or the subscription is cancelled, as oslo
    /// does. Returns false when cancelled (or the transport closed).
    func recover(after error: AMQPError, generation: Int) async -> Bool {
        let task: Task<Void, Never>? = state.withLock { s in
            if s.cancelled { return nil }
            if s.generation != generation { return Task {} }  // someone already recovered
            if let running = s.recovering { return running }
            let task = Task { await self.recoverLoop(after: error) }
            s.recovering = task
            return task
        }
        guard let task else { return false }
        await task.value
        return !isCancelled && !transport.isClosed
    }

    private func recoverLoop(after error: AMQPError) async {
        let logger = transport.logger
        logger.warning("consumer on queue \(request.queue) stopped (\(error)); consuming again in \(transport.options.consumerRecoveryDelay)")
        let old = state.withLock { s -> AMQPChannel? in
            let channel = s.channel
            s.channel = nil
            s.consumer = nil
            return channel
        }
        if let old, old.closeReason == nil { try? await old.close() }
        var attempt = 0
        while !isCancelled && !transport.isClosed {
            attempt += 1
            do {
                try await Task.sleep(for: transport.options.consumerRecoveryDelay)
            } catch {
                break
            }
            do {
                try await transport.redeclare(queue: request.queue)
                let tag = state.withLock { $0.consumerTag }
                let (channel, consumer) = try await transport.startConsumer(request, consumerTag: tag)
                let keep = state.withLock { s -> Bool in
                    guard !s.cancelled else { return false }
                    s.channel = channel
                    s.consumer = consumer
                    s.consumerTag = consumer.consumerTag
                    s.channelClosed = false
                    s.generation += 1
                    return true
                }
                if !keep { try? await channel.close() }
                logger.info("consuming queue \(request.queue) again (attempt \(attempt))")
                break
            } catch {
                logger.error("could not consume queue \(request.queue) again (attempt \(attempt)): \(error)")
            }
        }
        state.withLock { $0.recovering = nil }
    }
}

/// Reads one subscription's deliveries straight from the AMQP consumer (no stream in between)
/// and wraps each in a `Delivery` whose settlement goes back to the AMQP delivery.
final class AMQPDeliveryPuller: DeliveryPulling {
    let state: AMQPSubscriptionState
    var iterator: AMQPConsumer.AsyncIterator?
    var generation = -1

    init(state: AMQPSubscriptionState) {
        self.state = state
    }

    func next() async throws -> Delivery? {
        while true {
            if iterator == nil {
                guard let (consumer, generation) = state.current() else { return nil }
                iterator = consumer.makeAsyncIterator()
                self.generation = generation
            }
            do {
                guard let delivery = try await iterator?.next() else { return nil }
                state.handedOut()
                return wrap(delivery)
            } catch {
                iterator = nil
                guard error.kind == .consumerCancelled || error.kind == .channelClosed else {
                    throw AMQPMapping.transportError(error, "consuming queue \(state.request.queue)")
                }
                guard await state.recover(after: error, generation: generation) else { return nil }
            }
        }
    }

    private func wrap(_ d: AMQPDelivery) -> Delivery {
        Delivery(
            queue: state.request.queue, exchange: d.exchange, routingKey: d.routingKey, body: d.body,
            properties: AMQPMapping.messageProperties(d.properties), redelivered: d.redelivered,
            deliveryCount: AMQPMapping.deliveryCount(headers: d.properties.headers, redelivered: d.redelivered),
            deliveryTag: d.deliveryTag, consumerTag: d.consumerTag,
            settler: AMQPDeliverySettler(delivery: d, subscription: state))
    }
}

/// Settles one AMQP delivery: ack, nack with requeue, or dead-letter (see `DeadLetterOptions`).
final class AMQPDeliverySettler: DeliverySettling {
    let delivery: AMQPDelivery
    let subscription: AMQPSubscriptionState
    private let done = Atomic(false)

    init(delivery: AMQPDelivery, subscription: AMQPSubscriptionState) {
        self.delivery = delivery
        self.subscription = subscription
    }

    func settle(_ d: Delivery, as settlement: Settlement, reason: String?) async throws {
        defer {
            if !done.exchange(true, ordering: .acquiringAndReleasing) { subscription.settled() }
        }
        switch settlement {
        case .ack:
            do { try delivery.ack() } catch { throw AMQPMapping.transportError(error, "ack") }
        case .requeue:
            do { try delivery.nack(requeue: true) } catch { throw AMQPMapping.transportError(error, "requeue") }
        case .deadLetter:
            try await subscription.transport.deadLetter(delivery, queue: subscription.request.queue, reason: reason)
        }
    }
}
