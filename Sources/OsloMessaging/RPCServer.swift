import JSON
public import Logging
import Synchronization

/// Options of an RPC server beyond its topology.
public struct RPCServerOptions: Sendable {
    public var rabbit: RabbitOptions
    /// When deliveries are acknowledged (oslo: before dispatch).
    public var settlement: SettlementPolicy
    /// Handlers running at once, across the server's queues (oslo: `executor_thread_pool_size`, 64).
    public var maxConcurrentHandlers: Int
    public var limits: DecodingLimits
    /// `_unique_id`s remembered for duplicate detection (oslo: 16).
    public var duplicateWindow: Int
    /// Told about every request once it is settled (metrics); must return quickly.
    public var observer: (@Sendable (RPCRequestObservation) -> Void)?

    public init(rabbit: RabbitOptions = RabbitOptions(), settlement: SettlementPolicy = .ackBeforeDispatch,
                maxConcurrentHandlers: Int = 64, limits: DecodingLimits = .default,
                duplicateWindow: Int = DuplicateFilter.osloWindowSize) {
        self.rabbit = rabbit
        self.settlement = settlement
        self.maxConcurrentHandlers = maxConcurrentHandlers
        self.limits = limits
        self.duplicateWindow = duplicateWindow
    }
}

/// What an RPC server did with one request, for metrics.
public struct RPCRequestObservation: Sendable {
    public enum Outcome: String, Sendable {
        /// The handler returned.
        case success
        /// The handler failed (an oslo failure was replied for a call).
        case failure
        /// Not handled: malformed, or dropped as a duplicate.
        case rejected
    }

    /// The method, `nil` when the request could not be decoded.
    public let method: String?
    public let isCall: Bool
    public let outcome: Outcome
    public let settlement: Settlement
    /// Decoding to settlement (reply sent for calls); zero for rejected requests.
    public let duration: Duration

    public init(method: String?, isCall: Bool, outcome: Outcome, settlement: Settlement, duration: Duration) {
        self.method = method
        self.isCall = isCall
        self.outcome = outcome
        self.settlement = settlement
        self.duration = duration
    }
}

/// Counters of what a server did, for metrics and tests.
public struct RPCServerStatistics: Sendable, Equatable {
    public var received = 0
    public var dispatched = 0
    public var handlerFailures = 0
    public var duplicates = 0
    public var malformed = 0
    public var repliesSent = 0
    public var repliesReturned = 0
    public var keepAlivesSent = 0
    public var acked = 0
    public var requeued = 0
    public var deadLettered = 0
    /// Settlements refused because the delivery came on a connection that is gone (the broker
    /// redelivers those messages).
    public var lostOwnership = 0
    public init() {}
}

/// An oslo.messaging RPC server over any `MessageTransport`: it declares what a Python server
/// declares for `target` (topic queue, `<topic>.<server>` queue, fanout queue), consumes the three
/// queues, decodes requests, drops duplicates, dispatches through an `RPCDispatcher` with bounded
/// concurrency, replies to calls (with call-monitor keep-alives while a call runs) and settles
/// each delivery according to its `SettlementPolicy`.
///
/// A body that cannot be decoded never stops the server: it is logged with its ids, a call gets a
/// failure reply when its reply queue can be found, and the delivery is dead-lettered.
public actor RPCServer {
    public nonisolated let target: RPCTarget
    public nonisolated let fanoutQueue: String
    let processor: RPCRequestProcessor
    let transport: any MessageTransport
    let topology: OsloTopology
    let logger: Logger
    private var subscriptions: [Subscription] = []
    private var runner: Task<Void, Never>?
    private var consumerFailure: (any Error)?
    private var stopped = false

    /// `target.server` names this server (oslo: the host); the exchange is the control exchange.
    public init(transport: any MessageTransport, target: RPCTarget, dispatcher: RPCDispatcher,
                options: RPCServerOptions = RPCServerOptions(), logger: Logger) {
        self.target = target
        self.transport = transport
        self.topology = OsloTopology(options: options.rabbit)
        self.fanoutQueue = topology.fanoutQueueName(topic: target.topic)
        self.logger = logger
        self.processor = RPCRequestProcessor(
            transport: transport, dispatcher: dispatcher, options: options,
            duplicates: DuplicateFilter(capacity: options.duplicateWindow), logger: logger)
    }

    /// The three queues this server consumes.
    public nonisolated var queues: [String] {
        [target.topic, "\(target.topic).\(target.server ?? "")", fanoutQueue]
    }

    public nonisolated var statistics: RPCServerStatistics { processor.stats.value.withLock { $0 } }

    /// Declares the topology and starts consuming; returns once consumers are running.
    public func start() async throws {
        guard runner == nil else { return }
        try processor.options.rabbit.validate()
        guard let server = target.server, !server.isEmpty else {
            throw RabbitOptions.ConfigurationError(description: "an RPC server needs a server name (target.server)")
        }
        let declarations = topology.rpcServer(exchange: target.exchange, topic: target.topic, server: server,
                                              fanoutQueue: fanoutQueue)
        try await declarations.apply(to: transport)
        let prefetch = processor.options.rabbit.rabbitQosPrefetchCount
        var subs: [Subscription] = []
        do {
            for queue in queues {
                let stream = processor.options.rabbit.rabbitStreamFanout && queue == fanoutQueue
                subs.append(try await transport.consume(ConsumeRequest(
                    queue: queue, prefetchCount: prefetch, arguments: topology.consumerArguments(streamFanout: stream))))
            }
        } catch {
            for sub in subs { await sub.cancel() }
            throw error
        }
        subscriptions = subs
        logger.info("RPC server consuming", metadata: [
            "topic": .string(target.topic), "server": .string(server), "exchange": .string(target.exchange),
            "queues": .array(queues.map { .string($0) }),
        ])
        let processor = self.processor
        let semaphore = AsyncSemaphore(value: processor.options.maxConcurrentHandlers)
        runner = Task { [subs] in
            let failure = await withTaskGroup(of: (any Error)?.self) { group -> (any Error)? in
                for sub in subs {
                    group.addTask {
                        // Running handlers are never cancelled: a lost consumer lets them finish.
                        await withDiscardingTaskGroup { handlers -> (any Error)? in
                            do {
                                // Take a permit per delivery: a queue without traffic holds none.
                                for try await delivery in sub {
                                    await semaphore.acquire()
                                    handlers.addTask {
                                        await processor.process(delivery)
                                        semaphore.release()
                                    }
                                }
                                return nil
                            } catch {
                                return error
                            }
                        }
                    }
                }
                var first: (any Error)?
                for await result in group where first == nil { first = result }
                return first
            }
            self.finished(failure: failure)
        }
    }

    private func finished(failure: (any Error)?) {
        if let failure, !stopped {
            consumerFailure = failure
            logger.error("RPC server consumer stopped: \(failure)", metadata: ["topic": .string(target.topic)])
        }
    }

    /// Stops consuming, lets running handlers finish, and deletes the fanout queue (as oslo does
    /// when its connection closes).
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for sub in subscriptions { await sub.cancel() }
        await runner?.value
        // Replies handed over without waiting: let the broker answer them (bounded) before the
        // caller closes the transport under them.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while processor.pendingReplies.count.load(ordering: .acquiring) > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        subscriptions = []
        let opts = processor.options.rabbit
        if !opts.rabbitStreamFanout && !opts.useQueueManager {
            do { try await transport.deleteQueue(named: fanoutQueue) } catch {
                logger.warning("could not delete fanout queue \(fanoutQueue): \(error)")
            }
        }
        logger.info("RPC server stopped", metadata: ["topic": .string(target.topic)])
    }

    /// Waits until the server stops; throws when a consumer failed (e.g. the connection was lost).
    public func waitUntilStopped() async throws {
        await runner?.value
        if let consumerFailure { throw consumerFailure }
    }
}

/// Handles one delivery; shared by the server's consumer loops.
struct RPCRequestProcessor: Sendable {
    let transport: any MessageTransport
    let dispatcher: RPCDispatcher
    let options: RPCServerOptions
    let duplicates: DuplicateFilter
    let logger: Logger
    let stats = StatisticsBox()
    let inFlight = InFlightRequests()
    /// Replies handed over without waiting whose broker answer has not come yet.
    let pendingReplies = PendingReplies()

    func count(_ update: (inout RPCServerStatistics) -> Void) { stats.value.withLock { update(&$0) } }

    func process(_ delivery: Delivery) async {
        count { $0.received += 1 }
        // Metadata is set once, after decoding: a log handler may rebuild its rendering of the
        // metadata on every change, and that showed in the cost of every cast.
        var log = logger
        var metadata: Logger.Metadata = [
            "queue": .string(delivery.queue), "delivery_tag": .stringConvertible(delivery.deliveryTag),
        ]
        if delivery.redelivered { metadata["redelivered"] = .stringConvertible(delivery.deliveryCount) }

        // 1. Decode.
        var decoded: RPCEnvelope.Decoded?
        let request: RPCRequest
        do {
            let d = try RPCEnvelope.decode(delivery.body, limits: options.limits)
            decoded = d
            request = try RPCRequest(message: d.message)
        } catch {
            log.handler.metadata.merge(metadata) { $1 }
            await rejectMalformed(delivery, error: error, message: decoded?.message, logger: log)
            return
        }
        metadata["method"] = .string(request.method)
        if let msgID = request.msgID { metadata["msg_id"] = .string(msgID) }
        if let uniqueID = request.uniqueID { metadata["unique_id"] = .string(uniqueID) }
        if let requestID = request.context.requestID { metadata["request_id"] = .string(requestID) }
        log.handler.metadata.merge(metadata) { $1 }

        // 2. Duplicates. With settlement after the outcome, a redelivery of a request this server
        // is still handling (its connection was lost, so the first delivery can no longer be
        // settled) is held and finished with that handler's outcome; a redelivery of one whose
        // settlement was lost gets the outcome it had — the handler does not run twice.
        let policy = options.settlement
        if let uniqueID = request.uniqueID, duplicates.checkAndRecord(uniqueID) {
            count { $0.duplicates += 1 }
            if policy.timing == .afterOutcome {
                if inFlight.attachRedelivery(uniqueID, delivery) {
                    log.warning("redelivered while still being handled (the first delivery's connection was lost); it will be settled with the handler's outcome")
                    return
                }
                if let (settlement, reason) = inFlight.lostOutcome(uniqueID) {
                    log.warning("redelivered after its settlement was lost with the connection; settling it as \(settlement.rawValue)")
                    await settle(delivery, settlement, log, reason: reason)
                    return
                }
            }
            log.warning("ignoring duplicate message")
            await settle(delivery, .ack, log)
            return
        }
        if policy.timing == .afterOutcome, let uniqueID = request.uniqueID { inFlight.begin(uniqueID) }

        // 3. Settle first when the policy is oslo's.
        if policy.timing == .beforeDispatch {
            do {
                try await delivery.settle(.ack)
                count { $0.acked += 1 }
            } catch {
                if let error = error as? TransportError, error.kind == .lostOwnership {
                    count { $0.lostOwnership += 1 }
                    log.warning("not handling RPC request: it arrived on a connection that was lost, so it cannot be acknowledged; the broker delivers it again")
                } else {
                    log.warning("discarding RPC request: acknowledge failed: \(error)")
                }
                if let uniqueID = request.uniqueID { duplicates.forget(uniqueID) }
                return
            }
        }

        // 4. Dispatch, with call-monitor keep-alives.
        let started = ContinuousClock.now
        log.debug("received \(request)")
        let monitor = request.isCall ? startCallMonitor(request, logger: log) : nil
        var result: JSONValue = .null
        var failure: (any Error)?
        do {
            result = try await dispatcher.dispatch(request, redelivered: delivery.redelivered, logger: log)
            count { $0.dispatched += 1 }
        } catch {
            failure = error
            count { $0.handlerFailures += 1 }
            if error is NoSuchMethod, request.method.hasSuffix("_ignore_errors") {
                log.debug("method not found: \(error)")
            } else if let remote = error as? any RemoteExceptionConvertible {
                log.info("request failed: \(remote.remoteModuleName).\(remote.remoteClassName): \(remote.remoteMessage)")
            } else {
                log.error("exception during message handling: \(error)")
            }
        }
        monitor?.cancel()
        await monitor?.value

        // 5. Decide, reply, settle.
        var settlement: Settlement = .ack
        if policy.timing == .afterOutcome {
            settlement = policy.decide(HandlerOutcome(
                method: request.method, isCall: request.isCall, msgID: request.msgID, uniqueID: request.uniqueID,
                error: failure, redelivered: delivery.redelivered, deliveryCount: delivery.deliveryCount))
        }
        let observer = options.observer
        let observe = { @Sendable [method = request.method, isCall = request.isCall, outcome = failure == nil, settlement] in
            observer?(RPCRequestObservation(method: method, isCall: isCall, outcome: outcome ? .success : .failure,
                                            settlement: settlement, duration: ContinuousClock.now - started))
        }
        if request.isCall, settlement != .requeue, let msgID = request.msgID, let replyQueue = request.replyQueue {
            let reply = RPCReply(result: failure == nil ? result : .null, failure: failure.map(RemoteFailure.init(error:)),
                                 ending: true, msgID: msgID, uniqueID: Identifiers.uuidHex())
            if policy.timing == .beforeDispatch {
                // Settled already: nothing here depends on the broker's answer to the reply, so the
                // handler is done once the reply is handed over (no task waits for its confirm);
                // the answer is counted and logged, and the request observed, when it comes.
                sendReply(reply, to: replyQueue, logger: log) { _ in observe() }
                return
            }
            await sendReply(reply, to: replyQueue, logger: log)
        } else if !request.isCall, request.msgID != nil {
            log.warning("request has _msg_id but no _reply_q; no reply sent")
        }
        if policy.timing == .afterOutcome {
            if settlement == .requeue, let uniqueID = request.uniqueID { duplicates.forget(uniqueID) }
            var reason: String?
            if settlement == .deadLetter {
                log.error("dead-lettering request after handler failure")
                reason = "\(request.isCall ? "call" : "cast") \(request.method) failed: "
                    + (failure.map { RemoteFailure(error: $0) }.map { "\($0.moduleName).\($0.className): \($0.message)" } ?? "no error")
            }
            let lost = await settle(delivery, settlement, log, reason: reason)
            if let uniqueID = request.uniqueID {
                // Redeliveries that arrived meanwhile: the live copies when this one was lost.
                for redelivery in inFlight.finish(uniqueID, settlement: settlement, reason: reason, lost: lost) {
                    await settle(redelivery, lost ? settlement : .ack, log, reason: reason)
                }
            }
        }
        observe()
    }

    /// Returns true when the delivery could not be settled because its connection was lost.
    @discardableResult
    private func settle(_ delivery: Delivery, _ settlement: Settlement, _ log: Logger, reason: String? = nil) async -> Bool {
        do {
            try await delivery.settle(settlement, reason: reason)
            count {
                switch settlement {
                case .ack: $0.acked += 1
                case .requeue: $0.requeued += 1
                case .deadLetter: $0.deadLettered += 1
                }
            }
            return false
        } catch let error as TransportError where error.kind == .lostOwnership {
            count { $0.lostOwnership += 1 }
            log.warning("could not \(settlement.rawValue) delivery: it arrived on a connection that was lost; the broker delivers it again (\(error))")
            return true
        } catch {
            log.warning("could not \(settlement.rawValue) delivery: \(error)")
            return false
        }
    }

    private func rejectMalformed(_ delivery: Delivery, error: any Error, message: JSONObject?, logger: Logger) async {
        count { $0.malformed += 1 }
        var log = logger
        let decodingError = error as? MessageDecodingError ?? .invalidValue(field: "body", reason: String(describing: error))
        let replyTarget = MalformedRequestSalvage.replyTarget(message: message, body: delivery.body)
        if let uniqueID = MalformedRequestSalvage.uniqueID(message: message, body: delivery.body) {
            log[metadataKey: "unique_id"] = .string(uniqueID)
        }
        if let replyTarget { log[metadataKey: "msg_id"] = .string(replyTarget.msgID) }
        log.error("malformed RPC request (\(delivery.body.count) bytes, routing key \(delivery.routingKey)): \(decodingError); dead-lettering it\(replyTarget == nil ? "" : " and replying with a failure")")
        if let replyTarget {
            let reply = RPCReply(failure: decodingError.remoteFailure, ending: true, msgID: replyTarget.msgID,
                                 uniqueID: Identifiers.uuidHex())
            await sendReply(reply, to: replyTarget.replyQueue, logger: log)
        }
        await settle(delivery, .deadLetter, log, reason: "malformed RPC request: \(decodingError)")
        options.observer?(RPCRequestObservation(method: nil, isCall: replyTarget != nil, outcome: .rejected,
                                                settlement: .deadLetter, duration: .zero))
    }

    /// Publishes a reply (or keep-alive); a returned reply is logged and dropped. Returns whether
    /// the broker took it.
    @discardableResult
    func sendReply(_ reply: RPCReply, to replyQueue: String, logger: Logger) async -> Bool {
        let message = replyMessage(reply, to: replyQueue)
        do {
            return settled(reply, to: replyQueue, .success(try await transport.publish(message)), logger: logger)
        } catch {
            return settled(reply, to: replyQueue, .failure(error), logger: logger)
        }
    }

    /// Publishes a reply without waiting for the broker's answer; `then` gets what the waiting
    /// form would return, on whatever thread learns it.
    func sendReply(_ reply: RPCReply, to replyQueue: String, logger: Logger,
                   then: @escaping @Sendable (Bool) -> Void) {
        pendingReplies.count.wrappingAdd(1, ordering: .relaxed)
        transport.publish(replyMessage(reply, to: replyQueue)) { [self] result in
            then(settled(reply, to: replyQueue, result, logger: logger))
            pendingReplies.count.wrappingSubtract(1, ordering: .releasing)
        }
    }

    private func replyMessage(_ reply: RPCReply, to replyQueue: String) -> OutgoingMessage {
        OutgoingMessage(exchange: "", routingKey: replyQueue, body: reply.encodedBody(), properties: .oslo(),
                        mandatory: options.rabbit.directMandatoryFlag)
    }

    /// Counts and logs what became of a reply; whether the broker took it.
    private func settled(_ reply: RPCReply, to replyQueue: String, _ result: Result<PublishOutcome, any Error>,
                         logger: Logger) -> Bool {
        switch result {
        case .success(.accepted):
            count { reply.ending ? ($0.repliesSent += 1) : ($0.keepAlivesSent += 1) }
            return true
        case .success(.returned(let code, let text)):
            count { $0.repliesReturned += 1 }
            logger.error("reply queue \(replyQueue) does not exist (\(code) \(text)); dropping the \(reply.ending ? "reply" : "keep-alive")")
            return false
        case .failure(let error):
            logger.error("could not send reply to \(replyQueue): \(error)")
            return false
        }
    }

    /// oslo's watchdog: when the caller sent `_timeout`, a keep-alive every `int(_timeout) / 2`
    /// seconds (none when that is under a second) until the handler returns.
    private func startCallMonitor(_ request: RPCRequest, logger: Logger) -> Task<Void, Never>? {
        guard let timeout = request.callMonitorTimeout, let msgID = request.msgID, let replyQueue = request.replyQueue else {
            return nil
        }
        let whole = timeout.isFinite ? Int(timeout) : 0
        let interval = Double(whole) / 2
        guard interval >= 1 else {
            logger.warning("client provided an invalid call-monitor timeout \(timeout); no keep-alives")
            return nil
        }
        return Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(interval)) } catch { return }
                if Task.isCancelled { return }
                logger.debug("sending call-monitor keep-alive")
                let sent = await sendReply(.keepAlive(msgID: msgID, uniqueID: Identifiers.uuidHex()), to: replyQueue,
                                           logger: logger)
                if !sent { return }
            }
        }
    }
}

final class PendingReplies: Sendable {
    let count = Atomic<Int>(0)
}

final class StatisticsBox: Sendable {
    let value = Mutex(RPCServerStatistics())
}

/// Requests being handled (by `_unique_id`) with the redeliveries that arrived meanwhile, and
/// the outcomes of recent requests whose settlement was lost with their connection.
final class InFlightRequests: Sendable {
    private struct State {
        var running: [String: [Delivery]] = [:]
        var lost: [String: (Settlement, String?)] = [:]
        var lostOrder: [String] = []
    }
    private let state = Mutex(State())
    static let rememberedLostOutcomes = 256

    func begin(_ id: String) { state.withLock { $0.running[id] = [] } }

    /// Holds `delivery` when `id` is being handled; false otherwise.
    func attachRedelivery(_ id: String, _ delivery: Delivery) -> Bool {
        state.withLock { s in
            guard s.running[id] != nil else { return false }
            s.running[id]?.append(delivery)
            return true
        }
    }

    /// Ends `id`; returns the redeliveries held for it.
    func finish(_ id: String, settlement: Settlement, reason: String?, lost: Bool) -> [Delivery] {
        state.withLock { s in
            let held = s.running.removeValue(forKey: id) ?? []
            if lost && held.isEmpty {
                s.lost[id] = (settlement, reason)
                s.lostOrder.append(id)
                if s.lostOrder.count > Self.rememberedLostOutcomes { s.lost[s.lostOrder.removeFirst()] = nil }
            }
            return held
        }
    }

    func lostOutcome(_ id: String) -> (Settlement, String?)? {
        state.withLock { s in
            guard let outcome = s.lost.removeValue(forKey: id) else { return nil }
            s.lostOrder.removeAll { $0 == id }
            return outcome
        }
    }
}
