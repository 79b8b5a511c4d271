public import JSON
public import OrderedCollections
public import Logging

/// Options of an RPC client.
public struct RPCClientOptions: Sendable {
    public var rabbit: RabbitOptions
    /// How long a call waits for its reply (oslo: `rpc_response_timeout`, 60 s). Also sent as the
    /// request's AMQP `expiration`.
    public var timeout: Duration
    /// Seconds of silence tolerated while the server works, sent as `_timeout` so the server sends
    /// keep-alives every half of it (oslo's `call_monitor_timeout`); `nil` disables the monitor.
    public var callMonitorTimeout: Int?
    public var limits: DecodingLimits

    public init(rabbit: RabbitOptions = RabbitOptions(), timeout: Duration = .seconds(60), callMonitorTimeout: Int? = nil,
                limits: DecodingLimits = .default) {
        self.rabbit = rabbit
        self.timeout = timeout
        self.callMonitorTimeout = callMonitorTimeout
        self.limits = limits
    }
}

/// No reply came in time (oslo's `MessagingTimeout`).
public struct RPCTimeout: Error, Sendable, Equatable, CustomStringConvertible {
    public let method: String
    public let msgID: String
    public let replyQueue: String
    /// The call monitor fired (the server stopped sending keep-alives), not the overall timeout.
    public let callMonitor: Bool
    public var description: String {
        "Timed out waiting for a reply \(replyQueue) to message ID \(msgID) (method \(method)\(callMonitor ? ", call monitor" : ""))."
    }
}

/// A client is unusable: closed, or its reply consumer died.
public struct RPCClientClosed: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "RPC client closed: \(reason)" }
}

/// Sends casts and calls the way oslo's `RPCClient` does, for tools, tests and the worker's own
/// outgoing calls: requests to `<topic>` or `<topic>.<server>` on the control exchange, fanout
/// casts to `<topic>_fanout`, and calls waiting on one `reply_<uuid>` queue per client, matched
/// to their caller by `_msg_id`. A remote failure is thrown as `RemoteFailure`.
public actor RPCClient {
    public nonisolated let target: RPCTarget
    let transport: any MessageTransport
    let options: RPCClientOptions
    let topology: OsloTopology
    let logger: Logger
    private var declaredExchanges: Set<String> = []
    private var replyQueue: String?
    private var replySubscription: Subscription?
    private var replyPump: Task<Void, Never>?
    private var waiters: [String: AsyncStream<WaitEvent>.Continuation] = [:]
    private let replyDuplicates = DuplicateFilter()
    private var closedReason: String?

    enum WaitEvent: Sendable {
        case reply(RPCReply)
        case deadline(generation: Int)
        case closed(String)
    }

    public init(transport: any MessageTransport, target: RPCTarget, options: RPCClientOptions = RPCClientOptions(),
                logger: Logger) {
        self.transport = transport
        self.target = target
        self.options = options
        self.topology = OsloTopology(options: options.rabbit)
        self.logger = logger
    }

    /// The reply queue, once the first call created it.
    public var currentReplyQueue: String? { replyQueue }

    // MARK: Sending

    /// A cast: returns once the broker took the request.
    public func cast(_ method: String, args: JSONObject = [:], context: RequestContext = RequestContext(),
                     target override: RPCTarget? = nil) async throws {
        let target = override ?? self.target
        let request = RPCRequest(method: method, args: args, namespace: target.namespace, version: target.version,
                                 uniqueID: Identifiers.uuidHex(), context: context)
        try await publish(request, target: target, expirationMilliseconds: nil)
        logger.debug("CAST unique_id: \(request.uniqueID ?? "") \(target)", metadata: ["method": .string(method)])
    }

    /// A call: waits for the final reply and returns its result, throws the remote failure as a
    /// `RemoteFailure`, or `RPCTimeout`.
    public func call(_ method: String, args: JSONObject = [:], context: RequestContext = RequestContext(),
                     target override: RPCTarget? = nil, timeout: Duration? = nil,
                     callMonitorTimeout: Int?? = nil) async throws -> JSONValue {
        let target = override ?? self.target
        guard !target.fanout else { throw RabbitOptions.ConfigurationError(description: "a call cannot be used with fanout") }
        if let closedReason { throw RPCClientClosed(reason: closedReason) }
        let replyQueue = try await ensureReplyQueue()
        let timeout = timeout ?? options.timeout
        let monitor = callMonitorTimeout ?? options.callMonitorTimeout
        let msgID = Identifiers.uuidHex()
        let request = RPCRequest(
            method: method, args: args, namespace: target.namespace, version: target.version, msgID: msgID,
            replyQueue: replyQueue, callMonitorTimeout: monitor.map(Double.init), uniqueID: Identifiers.uuidHex(),
            context: context)
        let (events, continuation) = AsyncStream<WaitEvent>.makeStream()
        waiters[msgID] = continuation
        defer {
            waiters[msgID] = nil
            continuation.finish()
        }
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        try await publish(request, target: target, expirationMilliseconds: milliseconds)
        logger.debug("CALL msg_id: \(msgID) \(target)", metadata: ["method": .string(method), "msg_id": .string(msgID)])

        let clock = ContinuousClock()
        let overallDeadline = clock.now + timeout
        var monitorDeadline = monitor.map { clock.now + .seconds($0) }
        var generation = 0
        var timer: Task<Void, Never>?
        func armTimer() {
            timer?.cancel()
            generation += 1
            let deadline = min(overallDeadline, monitorDeadline ?? overallDeadline)
            let gen = generation
            timer = Task {
                try? await Task.sleep(until: deadline, clock: clock)
                if !Task.isCancelled { continuation.yield(.deadline(generation: gen)) }
            }
        }
        armTimer()
        defer { timer?.cancel() }
        var finalResult: JSONValue = .null
        for await event in events {
            switch event {
            case .closed(let reason):
                throw RPCClientClosed(reason: reason)
            case .deadline(let gen):
                guard gen == generation else { continue }
                let byMonitor = monitorDeadline.map { $0 < overallDeadline } ?? false
                throw RPCTimeout(method: method, msgID: msgID, replyQueue: replyQueue, callMonitor: byMonitor)
            case .reply(let reply):
                if let failure = reply.failure { throw failure }
                if !reply.result.isNull { finalResult = reply.result }
                if reply.ending { return finalResult }
                if let monitor, reply.result.isNull {
                    monitorDeadline = clock.now + .seconds(monitor)
                    armTimer()
                }
            }
        }
        throw RPCClientClosed(reason: "reply stream ended")
    }

    private func publish(_ request: RPCRequest, target: RPCTarget, expirationMilliseconds: Int?) async throws {
        let exchange: ExchangeDeclaration
        let routingKey: String
        if target.fanout {
            exchange = topology.fanoutExchange(topic: target.topic)
            routingKey = ""
        } else {
            exchange = topology.controlExchange(target.exchange)
            routingKey = target.server.map { "\(target.topic).\($0)" } ?? target.topic
        }
        if !declaredExchanges.contains(exchange.name) {
            try await transport.declareExchange(exchange)
            declaredExchanges.insert(exchange.name)
        }
        _ = try await transport.publish(OutgoingMessage(
            exchange: exchange.name, routingKey: routingKey, body: request.encodedBody(),
            properties: .oslo(expirationMilliseconds: expirationMilliseconds), mandatory: false))
    }

    // MARK: Replies

    private func ensureReplyQueue() async throws -> String {
        if let replyQueue { return replyQueue }
        let name = topology.replyQueueName()
        try await transport.declareQueue(topology.replyQueue(name: name))
        let subscription = try await transport.consume(ConsumeRequest(
            queue: name, prefetchCount: options.rabbit.rabbitQosPrefetchCount, arguments: topology.consumerArguments()))
        replyQueue = name
        replySubscription = subscription
        let limits = options.limits
        replyPump = Task { [logger] in
            do {
                for try await delivery in subscription {
                    try? await delivery.settle(.ack)
                    do {
                        let reply = try RPCReply(body: delivery.body, limits: limits)
                        self.route(reply)
                    } catch {
                        logger.error("undecodable reply on \(name): \(error)")
                    }
                }
                self.replyConsumerEnded("reply consumer cancelled")
            } catch {
                self.replyConsumerEnded("reply consumer failed: \(error)")
            }
        }
        logger.debug("created reply queue \(name)")
        return name
    }

    private func route(_ reply: RPCReply) {
        if let uniqueID = reply.uniqueID, replyDuplicates.checkAndRecord(uniqueID) {
            logger.warning("ignoring duplicate reply \(uniqueID)")
            return
        }
        guard let msgID = reply.msgID, let waiter = waiters[msgID] else {
            logger.info("no calling task waiting for msg_id \(reply.msgID ?? "none")")
            return
        }
        waiter.yield(.reply(reply))
    }

    private func replyConsumerEnded(_ reason: String) {
        if closedReason == nil { closedReason = reason }
        for waiter in waiters.values { waiter.yield(.closed(reason)) }
    }

    /// Stops the reply consumer; pending calls fail with `RPCClientClosed`. The reply queue is
    /// left to expire (`x-expires`), as oslo does.
    public func close() async {
        closedReason = closedReason ?? "closed"
        await replySubscription?.cancel()
        await replyPump?.value
        for waiter in waiters.values { waiter.yield(.closed("closed")) }
    }
}
