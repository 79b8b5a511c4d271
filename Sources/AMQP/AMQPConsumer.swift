import Synchronization

/// The deliveries of one consumer, in order, as an `AsyncSequence`.
///
/// The sequence survives reconnects (the consumer is registered again on the new connection
/// with the same tag). Deliveries that were received but not yet taken from the sequence when
/// the connection dropped are skipped: the broker redelivers them. The sequence ends normally
/// after `cancel()`, a channel or connection `close()`; it throws `consumerCancelled` when the
/// broker cancels the consumer (e.g. its queue was deleted) and `channelClosed` when the broker
/// closes the channel. Iterate it from one task at a time.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery
    public typealias Failure = AMQPError

    public let consumerTag: String
    /// The queue as named when consuming started (a server-named queue may be renamed by a reconnect).
    public let queue: String
    let buffer: DeliveryBuffer
    let channel: AMQPChannel

    /// Stops the broker from sending more; deliveries already received are still yielded, then the sequence ends.
    public func cancel() async throws(AMQPError) {
        do {
            _ = try await channel.core.request(.basicCancel(consumerTag: consumerTag))
        } catch {
            throw AMQPError.wrap(error)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AMQPError

        let buffer: DeliveryBuffer
        var batch: [AMQPDelivery] = []
        var index = 0
        var done = false

        public mutating func next() async throws(AMQPError) -> AMQPDelivery? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's isolation (no executor hop per delivery when iterating from an actor).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AMQPError) -> AMQPDelivery? {
            while true {
                while index < batch.count {
                    let delivery = batch[index]
                    index += 1
                    // Received under a connection or channel that is gone: the broker redelivers it.
                    if !delivery.noAck && delivery.channel.epoch.load(ordering: .relaxed) != delivery.epoch { continue }
                    return delivery
                }
                if done { return nil }
                batch.removeAll(keepingCapacity: true)
                index = 0
                switch await buffer.take(into: &batch, isolation: actor) {
                case .items: continue
                case .finished:
                    done = true
                    batch.removeAll()
                    return nil
                case .failed(let error):
                    done = true
                    batch.removeAll()
                    throw error
                case .cancelled:
                    return nil
                }
            }
        }
    }
}

/// Hands deliveries from the connection thread to the consumer task in batches: the thread
/// appends everything one read produced, the task takes the whole batch at once (two arrays
/// swap places, so neither side allocates in the steady state).
final class DeliveryBuffer: Sendable {
    enum TakeResult {
        case items
        case finished
        case failed(AMQPError)
        case cancelled
    }

    private struct State {
        var items: [AMQPDelivery] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
        var failure: AMQPError?
        var failureReported = false
    }

    private let state = Mutex(State())

    /// Called by the connection thread; leaves `batch` empty (with capacity to reuse).
    func push(_ batch: inout [AMQPDelivery]) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished else {
                batch.removeAll(keepingCapacity: true)
                return nil
            }
            if s.items.isEmpty {
                swap(&s.items, &batch)
            } else {
                s.items.append(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// No more deliveries: the sequence ends after those already buffered (with `error`, if given).
    func finish(_ error: AMQPError? = nil) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished else { return nil }
            s.finished = true
            s.failure = error
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Moves every buffered delivery into `batch` (which must be empty), waiting for some if none.
    func take(into batch: inout [AMQPDelivery], isolation: isolated (any Actor)? = #isolation) async -> TakeResult {
        while true {
            if Task.isCancelled { return .cancelled }
            let ready = state.withLock { s -> TakeResult? in
                if !s.items.isEmpty {
                    swap(&s.items, &batch)
                    return .items
                }
                if s.finished {
                    if let failure = s.failure, !s.failureReported {
                        s.failureReported = true
                        return .failed(failure)
                    }
                    return .finished
                }
                return nil
            }
            if let ready { return ready }
            await withTaskCancellationHandler {
                await withCheckedContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.items.isEmpty || s.finished || Task.isCancelled { return true }
                        s.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                    let w = s.waiter
                    s.waiter = nil
                    return w
                }
                waiter?.resume()
            }
        }
    }
}
