import CRabbitMQ
import DequeModule
import Glibc
import Logging

/// The dedicated thread of one `AMQPConnection`: the only code that touches its librabbitmq
/// state, run by that thread or, while it sleeps in `poll()`, by a caller holding the
/// connection's ownership lock (`runCommandsWhileAsleep`).
///
/// Each turn of the loop drains the command queue, reads the frames librabbitmq can give
/// without waiting (at most `batchLimit`), hands deliveries to their consumers in one batch,
/// sends the acknowledgements gathered (contiguous acks as one `multiple` ack), and — when
/// there is nothing to do — sleeps in `poll()` on the socket and the wake-up pipe. The poll
/// timeout is a quarter of the heartbeat interval, so heartbeats are sent and missed broker
/// heartbeats detected (both inside librabbitmq's frame read) even while consumers are busy.
/// When the connection is lost it reconnects with backoff, declares the recorded topology
/// again and re-registers consumers.
final class ConnectionLoop: @unchecked Sendable {
    // @unchecked: every mutable property below is used only by the holder of
    // `core.ownership`: the connection thread, which lets go of it only to sleep in poll(), or a
    // caller running queued commands meanwhile. The lock orders their accesses.

    let core: ConnectionCore
    private let configuration: AMQPConfiguration
    private var logger: Logger
    private let pool = ScratchPool()
    private var session: Session?
    private var channels: [UInt16: ChannelState] = [:]
    private var topology = Topology()
    private var inbox: [Command] = []
    private var epochCounter: UInt64 = 0
    private var blocked = false
    private var held = Deque<(ChannelState, OutgoingMessage, PublishCompletion)>()
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var closing = false
    private let endpoints: [Endpoint]
    private var endpointIndex = 0
    private var consumersToFlush: [ConsumerState] = []
    private var channelsWithAcks: [ChannelState] = []
    private var frame = amqp_frame_t()
    private let rpcTimeoutNanos: UInt64
    private var initialConnect: CheckedContinuation<Void, any Error>?
    private let batchLimit = 512

    init(core: ConnectionCore, initialConnect: CheckedContinuation<Void, any Error>) {
        self.core = core
        configuration = core.configuration
        logger = core.logger
        if let name = configuration.connectionName { logger[metadataKey: "amqp_connection"] = "\(name)" }
        endpoints = configuration.endpointOrder == .shuffled ? configuration.endpoints.shuffled() : configuration.endpoints
        rpcTimeoutNanos = UInt64(max(ReconnectBackoff.nanoseconds(configuration.rpcTimeout), 1_000_000))
        self.initialConnect = initialConnect
    }

    /// Starts the thread; false when the system refuses to create one.
    func start() -> Bool {
        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let loop = Unmanaged<ConnectionLoop>.fromOpaque(argument).takeRetainedValue()
                loop.core.ownership.lock()
                loop.run()
                loop.core.ownership.unlock()
                return nil
            }, unmanaged.toOpaque())
        guard result == 0 else {
            unmanaged.release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    // MARK: - Life cycle

    private func run() {
        var failures: [AMQPError] = []
        for (index, endpoint) in endpoints.enumerated() {
            switch Session.open(endpoint, configuration: configuration, pool: pool) {
            case .success(let opened):
                session = opened
                endpointIndex = index
            case .failure(let error):
                logger.warning("cannot connect to the broker", metadata: ["amqp_endpoint": "\(endpoint.address)", "error": "\(error)"])
                failures.append(error)
            }
            if session != nil { break }
        }
        guard let session else {
            initialConnect?.resume(throwing: Self.combine(failures))
            initialConnect = nil
            shutdown()
            return
        }
        core.setEndpoint(session.endpoint.address)
        logger[metadataKey: "amqp_endpoint"] = "\(session.endpoint.address)"
        logger.info(
            "connected to the broker",
            metadata: ["amqp_vhost": "\(configuration.virtualHost)", "amqp_heartbeat": "\(session.heartbeatSeconds)"])
        initialConnect?.resume()
        initialConnect = nil
        core.events.emit(.connected(endpoint: session.endpoint.address))
        core.attach(self)
        mainLoop()
        shutdown()
    }

    private static func combine(_ failures: [AMQPError]) -> AMQPError {
        guard var last = failures.last else {
            return AMQPError(.invalidConfiguration, "no broker endpoint is configured")
        }
        if failures.count > 1 {
            last.message = "no endpoint could be reached: "
                + failures.map { "\($0.endpoint ?? "?"): \($0.kind): \($0.message)" }.joined(separator: "; ")
            last.endpoint = nil
        }
        return last
    }

    private func mainLoop() {
        while !closing {
            guard let current = session else {
                reconnect()
                continue
            }
            drainCommands()
            if closing { break }
            var frames = 0
            if session != nil {
                while frames < batchLimit {
                    let status = current.readFrame(&frame)
                    if status == AMQP_STATUS_OK.rawValue {
                        frames += 1
                        handleFrame()
                        if session == nil { break }
                    } else if status == AMQP_STATUS_TIMEOUT.rawValue {
                        break
                    } else {
                        connectionLost(current.lostError(status, while: "reading from the broker"))
                        break
                    }
                }
            }
            flushDeliveries()
            if session != nil { flushAcks() }
            if let live = session {
                live.releaseBuffers()
                checkDeadlines()
            }
            if frames < batchLimit, session != nil { sleepUntilWork() }
        }
    }

    private func sleepUntilWork() {
        guard let current = session, !current.hasBufferedInput, core.beginSleep() else { return }
        var fds = [
            pollfd(fd: current.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: core.wakeReadFD, events: Int16(POLLIN), revents: 0),
        ]
        let timeout = pollTimeoutMilliseconds()
        // Callers may run publishes and settlements while this thread sleeps (see ConnectionCore).
        core.ownership.unlock()
        let result = poll(&fds, 2, timeout)
        core.ownership.lock()
        core.endSleep(drainPipe: result > 0 && fds[1].revents != 0)
    }

    /// Run by a caller that queued a publish or a settlement while this thread sleeps in
    /// `poll()`: runs every queued command on the caller's thread and sends the acks, as a turn
    /// of the loop would (replies from the broker are read by the loop when it wakes). Wakes the
    /// thread when a command needs it (a request whose answer has a deadline, close), when acks
    /// are better gathered (deliveries still unsettled), or when the connection was lost. False when the thread holds the lock (it is waking up): the caller
    /// wakes it instead.
    func runCommandsWhileAsleep() -> Bool {
        guard core.ownership.tryLock() else { return false }
        var wake = false
        repeat {
            core.takeCommands(into: &inbox)
            core.commandsRunWhileAsleep.wrappingAdd(inbox.count, ordering: .relaxed)
            for command in inbox {
                if !command.runsWhileAsleep { wake = true }
                process(command)
            }
            inbox.removeAll(keepingCapacity: true)
            // Acks are sent here only when they settle everything outstanding on their channel
            // (one request answered on a quiet connection). With deliveries still unsettled more
            // acks are coming: the thread is woken to gather them into one `multiple` ack, as
            // it would without this path.
            if session != nil {
                if channelsWithAcks.contains(where: { $0.unacked.contains { $0.state == .pending } }) {
                    wake = true
                } else {
                    flushAcks()
                }
            }
        } while !core.finishRunningWhileAsleep()
        if session == nil || closing { wake = true }
        core.ownership.unlock()
        if wake { core.wakeThread() }
        return true
    }

    private func pollTimeoutMilliseconds() -> Int32 {
        var timeout: Int64 = 5_000
        if let heartbeat = session?.heartbeatSeconds, heartbeat > 0 {
            timeout = max(Int64(heartbeat) * 250, 50)
        }
        let now = Self.now()
        for channel in channels.values where !channel.pending.isEmpty {
            let left = channel.headDeadline > now ? Int64((channel.headDeadline - now) / 1_000_000) + 1 : 0
            timeout = min(timeout, left)
        }
        return Int32(clamping: timeout)
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private func checkDeadlines() {
        let now = Self.now()
        for channel in channels.values {
            guard let head = channel.pending.first, channel.headDeadline < now else { continue }
            connectionLost(
                AMQPError(
                    .timeout,
                    "the broker did not answer \(head.request.methodName) on channel \(channel.id) within "
                        + "\(configuration.rpcTimeout); reconnecting",
                    endpoint: session?.endpoint.address))
            return
        }
    }

    // MARK: - Commands

    private func drainCommands() {
        core.takeCommands(into: &inbox)
        guard !inbox.isEmpty else { return }
        for command in inbox { process(command) }
        inbox.removeAll(keepingCapacity: true)
    }

    private func process(_ command: Command) {
        switch command {
        case .close(let waiter):
            closing = true
            if let waiter { closeWaiters.append(waiter) }
        case .request(let channelCore, let request, let continuation):
            handleRequest(channelCore, request, continuation)
        case .publish(let channelCore, let message, let completion):
            handlePublish(channelCore, message, completion)
        case .settle(let channelCore, let epoch, let tag, let settlement):
            handleSettle(channelCore, epoch: epoch, tag: tag, settlement)
        }
    }

    private func notConnected() -> AMQPError {
        AMQPError(.connectionClosed, "not connected to the broker (reconnecting); retry when it is back")
    }

    private func channel(for channelCore: ChannelCore) -> ChannelState? {
        guard let channel = channels[channelCore.id], channel.core === channelCore else { return nil }
        return channel
    }

    private func handleRequest(
        _ channelCore: ChannelCore, _ request: ChannelRequest, _ continuation: CheckedContinuation<ChannelResponse, any Error>
    ) {
        if case .channelOpen = request {
            guard session != nil, !closing else {
                core.releaseChannelID(channelCore.id)
                continuation.resume(throwing: closing ? AMQPError(.connectionClosed, "the connection is closing") : notConnected())
                return
            }
            let channel = ChannelState(core: channelCore)
            channels[channelCore.id] = channel
            enqueue(PendingRequest(request: request, continuation: continuation), on: channel)
            return
        }
        guard let channel = channel(for: channelCore) else {
            continuation.resume(throwing: channelCore.unavailableError())
            return
        }
        if session == nil {
            // While reconnecting, closing and cancelling are applied locally: there is nothing
            // to tell the broker, and nothing must be restored.
            switch request {
            case .channelClose:
                finishChannel(channel, error: nil)
                continuation.resume(returning: .done)
                return
            case .basicCancel(let tag):
                if let consumer = channel.removeConsumer(tag) {
                    consumer.flush()
                    consumer.buffer.finish()
                    forgetAutoDeleteQueue(consumer.queue)
                }
                continuation.resume(returning: .done)
                return
            default:
                break
            }
        }
        guard session != nil else {
            continuation.resume(throwing: notConnected())
            return
        }
        guard channel.status != .closing else {
            continuation.resume(throwing: AMQPError(.channelClosed, "channel \(channel.id) is closing"))
            return
        }
        if case .channelClose = request { channel.status = .closing }
        enqueue(PendingRequest(request: request, continuation: continuation), on: channel)
    }

    private func enqueue(_ request: PendingRequest, on channel: ChannelState) {
        channel.pending.append(request)
        if channel.pending.count == 1 { sendHead(of: channel) }
    }

    private func sendHead(of channel: ChannelState) {
        guard let current = session, let head = channel.pending.first else { return }
        if case .basicCancel(let tag) = head.request, channel.consumers[tag] == nil {
            // Already cancelled (by the broker, or twice): nothing to send.
            channel.pending.removeFirst()
            head.continuation?.resume(returning: .done)
            sendHead(of: channel)
            return
        }
        let status = current.send(head.request, channel: channel.id, pool: pool)
        guard status == AMQP_STATUS_OK.rawValue else {
            connectionLost(current.lostError(status, while: "sending \(head.request.methodName)"))
            return
        }
        channel.headDeadline = Self.now() + rpcTimeoutNanos
    }

    private func handlePublish(
        _ channelCore: ChannelCore, _ message: OutgoingMessage, _ completion: PublishCompletion
    ) {
        guard let channel = channel(for: channelCore), channel.status == .open, session != nil else {
            let error = channelCore.closedError ?? (session == nil ? notConnected() : channelCore.unavailableError())
            if completion.isHeard {
                completion.resume(throwing: error)
            } else {
                logger.warning(
                    "unconfirmed publish dropped: its channel is not open",
                    metadata: ["amqp_exchange": "\(message.exchange)", "amqp_routing_key": "\(message.routingKey)", "error": "\(error)"])
            }
            return
        }
        if completion.isHeard && !channel.confirmMode {
            completion.resume(
                throwing: AMQPError(.invalidUsage, "channel \(channel.id) is not in confirm mode: call enableConfirms() first"))
            return
        }
        if blocked {
            held.append((channel, message, completion))
            return
        }
        send(message, on: channel, completion)
    }

    private func send(_ message: OutgoingMessage, on channel: ChannelState, _ completion: PublishCompletion) {
        guard let current = session else {
            completion.resume(throwing: notConnected())
            return
        }
        let status = current.publish(
            channel: channel.id, exchange: message.exchange, routingKey: message.routingKey, mandatory: message.mandatory,
            properties: message.properties, body: message.body, pool: pool)
        guard status == AMQP_STATUS_OK.rawValue else {
            let error = current.lostError(status, while: "publishing")
            completion.resume(throwing: error)
            connectionLost(error)
            return
        }
        if channel.confirmMode {
            channel.unconfirmed.append(
                PendingConfirm(
                    seq: channel.nextPublishSeq, exchange: message.exchange, routingKey: message.routingKey,
                    mandatory: message.mandatory, body: message.body, completion: completion))
            channel.nextPublishSeq += 1
        }
    }

    private func handleSettle(_ channelCore: ChannelCore, epoch: UInt64, tag: UInt64, _ settlement: Settlement) {
        guard let channel = channel(for: channelCore), channel.epoch == epoch, channel.status != .opening,
              let current = session
        else {
            logger.debug("settlement of delivery \(tag) dropped: its channel or connection is gone")
            return
        }
        switch settlement {
        case .ack(let multiple):
            if multiple {
                var any = false
                for i in channel.unacked.indices {
                    if channel.unacked[i].tag > tag { break }
                    if channel.unacked[i].state == .pending {
                        channel.unacked[i].state = .ackRequested
                        channel.ackRequestedCount += 1
                        any = true
                    }
                }
                if !any { logger.warning("ack(multiple) of delivery \(tag) on channel \(channel.id): nothing unsettled up to it") }
            } else {
                guard let i = channel.unackedIndex(of: tag), channel.unacked[i].state == .pending else {
                    logger.warning("delivery \(tag) on channel \(channel.id) is already settled; ignoring the second ack")
                    return
                }
                channel.unacked[i].state = .ackRequested
                channel.ackRequestedCount += 1
            }
            if !channel.acksDirty {
                channel.acksDirty = true
                channelsWithAcks.append(channel)
            }
        case .nack(let multiple, let requeue):
            flushAcks(of: channel)
            guard session != nil, markSettled(channel, tag: tag, multiple: multiple, verb: "nack") else { return }
            check(current.nack(channel: channel.id, tag: tag, multiple: multiple, requeue: requeue), "sending basic.nack")
        case .reject(let requeue):
            flushAcks(of: channel)
            guard session != nil, markSettled(channel, tag: tag, multiple: false, verb: "reject") else { return }
            check(current.reject(channel: channel.id, tag: tag, requeue: requeue), "sending basic.reject")
        }
    }

    /// Marks `tag` (and with `multiple` every earlier pending tag) settled; false when there is nothing to settle.
    private func markSettled(_ channel: ChannelState, tag: UInt64, multiple: Bool, verb: String) -> Bool {
        if multiple {
            var any = false
            for i in channel.unacked.indices {
                if channel.unacked[i].tag > tag { break }
                if channel.unacked[i].state == .pending {
                    channel.unacked[i].state = .settled
                    any = true
                }
            }
            if !any { logger.warning("\(verb)(multiple) of delivery \(tag) on channel \(channel.id): nothing unsettled up to it") }
            return any
        }
        guard let i = channel.unackedIndex(of: tag), channel.unacked[i].state == .pending else {
            logger.warning("delivery \(tag) on channel \(channel.id) is already settled; ignoring \(verb)")
            return false
        }
        channel.unacked[i].state = .settled
        return true
    }

    private func check(_ status: Int32, _ doing: String) {
        guard status != AMQP_STATUS_OK.rawValue, let current = session else { return }
        connectionLost(current.lostError(status, while: doing))
    }

    // MARK: - Acknowledgements and deliveries

    private func flushAcks() {
        guard !channelsWithAcks.isEmpty else { return }
        for channel in channelsWithAcks where session != nil {
            if channel.acksDirty, self.channel(for: channel.core) != nil { flushAcks(of: channel) }
            channel.acksDirty = false
        }
        channelsWithAcks.removeAll(keepingCapacity: true)
    }

    /// Sends the acks requested on `channel`: the settled prefix of the unacked deliveries as
    /// one ack (`multiple` when it covers several), the rest one by one.
    private func flushAcks(of channel: ChannelState) {
        guard let current = session, channel.ackRequestedCount > 0 else { return }
        var last: UInt64? = nil
        var acked = 0
        while let first = channel.unacked.first, first.state != .pending {
            if first.state == .ackRequested {
                last = first.tag
                acked += 1
            }
            channel.unacked.removeFirst()
        }
        channel.ackRequestedCount -= acked
        if let last {
            let status = current.ack(channel: channel.id, tag: last, multiple: acked > 1)
            guard status == AMQP_STATUS_OK.rawValue else {
                connectionLost(current.lostError(status, while: "sending basic.ack"))
                return
            }
        }
        if channel.ackRequestedCount > 0 {
            for i in channel.unacked.indices where channel.unacked[i].state == .ackRequested {
                channel.unacked[i].state = .settled
                let status = current.ack(channel: channel.id, tag: channel.unacked[i].tag, multiple: false)
                guard status == AMQP_STATUS_OK.rawValue else {
                    connectionLost(current.lostError(status, while: "sending basic.ack"))
                    return
                }
            }
            channel.ackRequestedCount = 0
        }
    }

    private func flushDeliveries() {
        guard !consumersToFlush.isEmpty else { return }
        for consumer in consumersToFlush { consumer.flush() }
        consumersToFlush.removeAll(keepingCapacity: true)
    }

    // MARK: - Frames

    private func handleFrame() {
        let channelID = frame.channel
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            let method = frame.payload.method
            if channelID == 0 {
                handleConnectionMethod(method)
            } else if let channel = channels[channelID] {
                handleChannelMethod(method, on: channel)
            }
        case AMQP_FRAME_HEADER:
            guard let channel = channels[channelID] else { return }
            handleHeader(frame.payload.properties.decoded, bodySize: frame.payload.properties.body_size, on: channel)
        case AMQP_FRAME_BODY:
            guard let channel = channels[channelID] else { return }
            handleBody(frame.payload.body_fragment, on: channel)
        default:
            break
        }
    }

    private func handleConnectionMethod(_ method: amqp_method_t) {
        switch method.id {
        case AMQP_CONNECTION_CLOSE_METHOD:
            let (code, text) = Session.closeReason(method)
            if let current = session {
                _ = current.sendMethod(AMQP_CONNECTION_CLOSE_OK_METHOD, channel: 0, amqp_connection_close_ok_t(dummy: 0))
            }
            connectionLost(
                AMQPError(
                    .connectionClosed, "the broker closed the connection: \(text)", endpoint: session?.endpoint.address,
                    replyCode: code, replyText: text))
        case AMQP_CONNECTION_BLOCKED_METHOD:
            let reason = method.decoded.map { $0.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee.reason.string } ?? ""
            blocked = true
            logger.error("the broker has blocked the connection; publishes are held", metadata: ["reason": "\(reason)"])
            core.events.emit(.blocked(reason: reason))
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            blocked = false
            logger.info("the broker has unblocked the connection")
            core.events.emit(.unblocked)
            while !blocked, session != nil, let (channel, message, completion) = held.popFirst() {
                if self.channel(for: channel.core) != nil, channel.status == .open {
                    send(message, on: channel, completion)
                } else {
                    completion.resume(throwing: channel.core.unavailableError())
                }
            }
        default:
            logger.debug("ignoring connection method 0x\(String(method.id, radix: 16))")
        }
    }

    private func handleChannelMethod(_ method: amqp_method_t, on channel: ChannelState) {
        switch method.id {
        case AMQP_BASIC_DELIVER_METHOD:
            guard let decoded = method.decoded else { return }
            let m = decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self)
            let content = channel.content
            content.reset()
            content.kind = .delivery
            content.consumerTag = channel.strings.consumerTag.get(m.pointee.consumer_tag)
            content.consumer = channel.consumers[content.consumerTag]
            content.deliveryTag = m.pointee.delivery_tag
            content.redelivered = m.pointee.redelivered != 0
            content.exchange = channel.strings.exchange.get(m.pointee.exchange)
            content.routingKey = channel.strings.routingKey.get(m.pointee.routing_key)
        case AMQP_BASIC_RETURN_METHOD:
            guard let decoded = method.decoded else { return }
            let m = decoded.assumingMemoryBound(to: amqp_basic_return_t.self)
            let content = channel.content
            content.reset()
            content.kind = .returned
            content.replyCode = m.pointee.reply_code
            content.replyText = m.pointee.reply_text.string
            content.exchange = m.pointee.exchange.string
            content.routingKey = m.pointee.routing_key.string
        case AMQP_BASIC_ACK_METHOD:
            guard let decoded = method.decoded else { return }
            let m = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            confirm(channel, tag: m.delivery_tag, multiple: m.multiple != 0, nacked: false)
        case AMQP_BASIC_NACK_METHOD:
            guard let decoded = method.decoded else { return }
            let m = decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            confirm(channel, tag: m.delivery_tag, multiple: m.multiple != 0, nacked: true)
        case AMQP_BASIC_CANCEL_METHOD:
            guard let decoded = method.decoded else { return }
            let m = decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = m.consumer_tag.string
            if m.nowait == 0, let current = session {
                var ok = amqp_basic_cancel_ok_t()
                ok.consumer_tag = pool.bytes(tag)
                check(current.sendMethod(AMQP_BASIC_CANCEL_OK_METHOD, channel: channel.id, ok), "sending basic.cancel-ok")
                pool.recycle()
            }
            if let consumer = channel.removeConsumer(tag) {
                logger.warning(
                    "the broker cancelled a consumer", metadata: ["amqp_consumer_tag": "\(tag)", "amqp_queue": "\(consumer.queue)"])
                consumer.flush()
                consumer.buffer.finish(
                    AMQPError(
                        .consumerCancelled,
                        "the broker cancelled consumer '\(tag)' of queue '\(consumer.queue)' (the queue was deleted or its node went away)",
                        endpoint: session?.endpoint.address))
            }
        case AMQP_CHANNEL_CLOSE_METHOD:
            let (code, text) = Session.closeReason(method)
            if let current = session {
                _ = current.sendMethod(AMQP_CHANNEL_CLOSE_OK_METHOD, channel: channel.id, amqp_channel_close_ok_t(dummy: 0))
            }
            let what = channel.pending.first.map { " on \($0.request.methodName)" } ?? ""
            let error = AMQPError(
                .channelClosed, "the broker closed channel \(channel.id)\(what): \(text)", endpoint: session?.endpoint.address,
                replyCode: code, replyText: text)
            logger.warning("the broker closed a channel", metadata: ["amqp_channel": "\(channel.id)", "error": "\(error)"])
            finishChannel(channel, error: error)
        case AMQP_CHANNEL_FLOW_METHOD:
            guard let decoded = method.decoded, let current = session else { return }
            let active = decoded.assumingMemoryBound(to: amqp_channel_flow_t.self).pointee.active
            check(current.sendMethod(AMQP_CHANNEL_FLOW_OK_METHOD, channel: channel.id, amqp_channel_flow_ok_t(active: active)), "sending channel.flow-ok")
        default:
            handleReply(method, on: channel)
        }
    }

    private func handleReply(_ method: amqp_method_t, on channel: ChannelState) {
        guard let head = channel.pending.first, head.request.reply == method.id else {
            logger.warning(
                "unexpected method from the broker",
                metadata: ["amqp_channel": "\(channel.id)", "amqp_method": "0x\(String(method.id, radix: 16))"])
            return
        }
        channel.pending.removeFirst()
        let response = head.request.response(method.decoded)
        applySuccess(of: head.request, response, on: channel)
        head.continuation?.resume(returning: response)
        if self.channel(for: channel.core) != nil, !channel.pending.isEmpty { sendHead(of: channel) }
    }

    /// What a successful reply changes in the channel and the recorded topology.
    private func applySuccess(of request: ChannelRequest, _ response: ChannelResponse, on channel: ChannelState) {
        switch request {
        case .channelOpen:
            channel.status = .open
            epochCounter += 1
            channel.epoch = epochCounter
            channel.core.epoch.store(epochCounter, ordering: .releasing)
        case .channelClose:
            finishChannel(channel, error: nil)
        case .exchangeDeclare(let declaration, let passive):
            if !passive { topology.record(declaration) }
        case .exchangeDelete(let name, _):
            topology.removeExchange(name)
        case .exchangeBind(let binding):
            topology.record(binding)
        case .exchangeUnbind(let binding):
            topology.remove(binding)
        case .queueDeclare(let declaration, let passive):
            if !passive, case .queue(let declared) = response { topology.record(declaration, name: declared.name) }
        case .queueBind(let binding):
            topology.record(binding)
        case .queueUnbind(let binding):
            topology.remove(binding)
        case .queueDelete(let name, _, _):
            topology.removeQueue(name)
        case .queuePurge:
            break
        case .basicQos(let prefetch):
            channel.prefetch = prefetch
        case .basicConsume(let consume):
            if case .consumerTag(let tag) = response { channel.addConsumer(ConsumerState(tag: tag, request: consume)) }
        case .basicCancel(let tag):
            if let consumer = channel.removeConsumer(tag) {
                consumer.flush()
                consumer.buffer.finish()
                forgetAutoDeleteQueue(consumer.queue)
            }
        case .confirmSelect:
            channel.confirmMode = true
            channel.nextPublishSeq = 1
        }
    }

    /// An auto-delete queue is gone once its last consumer is: stop re-declaring it.
    private func forgetAutoDeleteQueue(_ queue: String) {
        guard let record = topology.queue(named: queue), record.declaration.autoDelete else { return }
        let stillConsumed = channels.values.contains { $0.consumers.values.contains { $0.queue == queue } }
        if !stillConsumed { topology.removeQueue(queue) }
    }

    private func handleHeader(_ decoded: UnsafeMutableRawPointer?, bodySize: UInt64, on channel: ChannelState) {
        let content = channel.content
        guard content.kind != .none, !content.headerSeen else {
            logger.warning("content header without a method on channel \(channel.id); ignoring it")
            return
        }
        content.headerSeen = true
        if let decoded {
            content.properties = AMQPProperties(
                decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee, strings: &channel.strings)
        } else {
            content.properties = AMQPProperties()
        }
        content.bodySize = Int(bodySize)
        content.body = []
        if content.bodySize == 0 { complete(on: channel) }
    }

    private func handleBody(_ fragment: amqp_bytes_t, on channel: ChannelState) {
        let content = channel.content
        guard content.kind != .none, content.headerSeen else {
            logger.warning("content body without a header on channel \(channel.id); ignoring it")
            return
        }
        if content.body.isEmpty && fragment.len >= content.bodySize {
            content.body = fragment.array
        } else {
            if content.body.isEmpty { content.body.reserveCapacity(content.bodySize) }
            content.body.append(contentsOf: fragment.buffer)
        }
        if content.body.count >= content.bodySize { complete(on: channel) }
    }

    /// The channel's message is whole: hand it to its consumer, or match the return to its publish.
    private func complete(on channel: ChannelState) {
        let content = channel.content
        let body = content.body
        content.body = []
        defer { content.reset() }
        switch content.kind {
        case .none:
            return
        case .delivery:
            guard let consumer = content.consumer else {
                logger.error(
                    "delivery for an unknown consumer; it stays unacknowledged until the channel closes",
                    metadata: ["amqp_consumer_tag": "\(content.consumerTag)", "amqp_channel": "\(channel.id)"])
                return
            }
            let delivery = AMQPDelivery(
                body: body, properties: content.properties, exchange: content.exchange, routingKey: content.routingKey,
                redelivered: content.redelivered, deliveryTag: content.deliveryTag, consumerTag: content.consumerTag,
                channel: channel.core, epoch: channel.epoch, noAck: consumer.noAck)
            if !consumer.noAck { channel.unacked.append(UnackedEntry(tag: content.deliveryTag)) }
            consumer.batch.append(delivery)
            if !consumer.queuedForFlush {
                consumer.queuedForFlush = true
                consumersToFlush.append(consumer)
            }
        case .returned:
            let message = ReturnedMessage(
                replyCode: content.replyCode, replyText: content.replyText, exchange: content.exchange,
                routingKey: content.routingKey, properties: content.properties, body: body)
            let (exchange, routingKey) = (content.exchange, content.routingKey)
            if channel.confirmMode,
               let i = channel.unconfirmed.firstIndex(where: {
                   $0.returned == nil && $0.mandatory && $0.exchange == exchange && $0.routingKey == routingKey
                       && $0.body == body
               })
            {
                channel.unconfirmed[i].returned = message
                if !channel.unconfirmed[i].completion.isHeard { channel.core.returnsContinuation.yield(message) }
            } else {
                channel.core.returnsContinuation.yield(message)
            }
        }
    }

    private func confirm(_ channel: ChannelState, tag: UInt64, multiple: Bool, nacked: Bool) {
        func resolve(_ entry: PendingConfirm) {
            let outcome: PublishOutcome = nacked ? .nacked : entry.returned.map { .returned($0) } ?? .confirmed
            if entry.completion.isHeard {
                entry.completion.resume(returning: outcome)
            } else if nacked {
                logger.warning(
                    "the broker refused an unconfirmed publish (basic.nack)",
                    metadata: ["amqp_exchange": "\(entry.exchange)", "amqp_routing_key": "\(entry.routingKey)"])
            }
        }
        if multiple {
            while let first = channel.unconfirmed.first, first.seq <= tag {
                channel.unconfirmed.removeFirst()
                resolve(first)
            }
        } else if let i = channel.unconfirmed.firstIndex(where: { $0.seq == tag }) {
            let entry = channel.unconfirmed.remove(at: i)
            resolve(entry)
        }
    }

    // MARK: - Channel and connection loss

    /// The channel is gone (closed by us when `error` is nil, by the broker otherwise).
    private func finishChannel(_ channel: ChannelState, error: AMQPError?) {
        guard self.channel(for: channel.core) != nil else { return }
        channels[channel.id] = nil
        let failure = error ?? AMQPError(.channelClosed, "channel \(channel.id) was closed")
        channel.core.markClosed(failure)
        channel.epoch = 0
        for request in channel.pending { request.continuation?.resume(throwing: failure) }
        channel.pending.removeAll()
        for entry in channel.unconfirmed {
            entry.completion.resume(
                throwing: AMQPError(
                    failure.kind, "channel \(channel.id) closed before the broker confirmed the publish: \(failure.message)",
                    endpoint: failure.endpoint, replyCode: failure.replyCode, replyText: failure.replyText))
        }
        channel.unconfirmed.removeAll()
        held.removeAll { entry in
            guard entry.0 === channel else { return false }
            entry.2.resume(throwing: failure)
            return true
        }
        for tag in channel.consumerOrder {
            guard let consumer = channel.consumers[tag] else { continue }
            consumer.flush()
            consumer.buffer.finish(error)
        }
        channel.consumers = [:]
        channel.consumerOrder = []
        channel.unacked.removeAll()
        core.releaseChannelID(channel.id)
        if let error { core.events.emit(.channelClosed(channel: channel.id, error: error)) }
    }

    private func connectionLost(_ error: AMQPError) {
        guard let lost = session else { return }
        session = nil
        lost.destroy()
        core.setEndpoint(nil)
        blocked = false
        logger.error("lost the connection to the broker", metadata: ["error": "\(error)"])
        let unconfirmedError = AMQPError(
            .connectionClosed,
            "the connection was lost before the broker confirmed the publish; it may or may not have been routed (\(error.message))",
            endpoint: error.endpoint)
        for channel in channels.values.sorted(by: { $0.id < $1.id }) {
            channel.core.epoch.store(0, ordering: .releasing)
            channel.epoch = 0
            for request in channel.pending { request.continuation?.resume(throwing: error) }
            channel.pending.removeAll()
            for entry in channel.unconfirmed { entry.completion.resume(throwing: unconfirmedError) }
            channel.unconfirmed.removeAll()
            channel.content.reset()
            channel.unacked.removeAll()
            channel.ackRequestedCount = 0
            switch channel.status {
            case .opening:
                channels[channel.id] = nil
                channel.core.markClosed(error)
                core.releaseChannelID(channel.id)
            case .closing:
                finishChannel(channel, error: nil)
            case .open:
                break
            }
        }
        while let (_, _, completion) = held.popFirst() { completion.resume(throwing: unconfirmedError) }
        core.events.emit(.disconnected(error))
    }

    // MARK: - Reconnecting

    private func reconnect() {
        var round = 0
        var lastError = AMQPError(.connectionClosed, "connection lost")
        while !closing {
            for _ in 0..<endpoints.count {
                drainCommands()
                if closing { return }
                endpointIndex = (endpointIndex + 1) % endpoints.count
                let endpoint = endpoints[endpointIndex]
                switch Session.open(endpoint, configuration: configuration, pool: pool) {
                case .success(let opened):
                    session = opened
                    logger[metadataKey: "amqp_endpoint"] = "\(opened.endpoint.address)"
                    if let failure = recover() {
                        lastError = failure
                        continue
                    }
                    core.setEndpoint(opened.endpoint.address)
                    logger.info("reconnected to the broker; topology and consumers restored")
                    core.events.emit(.reconnected(endpoint: opened.endpoint.address))
                    return
                case .failure(let error):
                    lastError = error
                    logger.warning("reconnect attempt failed", metadata: ["amqp_endpoint": "\(endpoint.address)", "error": "\(error)"])
                }
            }
            round += 1
            let delay = configuration.reconnect.delay(beforeRound: round)
            logger.error(
                "cannot reach any broker endpoint; retrying",
                metadata: ["round": "\(round)", "retry_in": "\(delay)", "error": "\(lastError)"])
            core.events.emit(.reconnectFailed(round: round, delay: delay, lastError: lastError))
            wait(delay)
        }
    }

    /// Sleeps for `delay`, serving commands (failing them fast) and stopping early on close.
    private func wait(_ delay: Duration) {
        let deadline = Self.now() + UInt64(max(ReconnectBackoff.nanoseconds(delay), 0))
        while !closing {
            drainCommands()
            let now = Self.now()
            if closing || now >= deadline { return }
            guard core.beginSleep() else { continue }
            var fd = pollfd(fd: core.wakeReadFD, events: Int16(POLLIN), revents: 0)
            let result = poll(&fd, 1, Int32(clamping: (deadline - now) / 1_000_000 + 1))
            core.endSleep(drainPipe: result > 0)
        }
    }

    /// Declares the recorded topology again and reopens every channel with its QoS, confirm
    /// mode and consumers. Returns the error if the connection is lost meanwhile.
    private func recover() -> AMQPError? {
        guard let current = session else { return notConnected() }
        if !topology.isEmpty, let failure = recoverTopology(current) { return failure }
        for channel in channels.values.sorted(by: { $0.id < $1.id }) where channel.status == .open {
            var steps: [ChannelRequest] = [.channelOpen]
            if let prefetch = channel.prefetch { steps.append(.basicQos(prefetch)) }
            if channel.confirmMode { steps.append(.confirmSelect) }
            for tag in channel.consumerOrder {
                if let consumer = channel.consumers[tag] { steps.append(.basicConsume(consumer.request)) }
            }
            steps: for step in steps {
                switch current.request(step, channel: channel.id, pool: pool) {
                case .ok:
                    continue
                case .channelClosed(let error):
                    logger.error(
                        "could not restore a channel after reconnecting",
                        metadata: ["amqp_channel": "\(channel.id)", "error": "\(error)"])
                    finishChannel(channel, error: error)
                    break steps
                case .connectionLost(let error):
                    connectionLost(error)
                    return error
                }
            }
            if self.channel(for: channel.core) != nil {
                epochCounter += 1
                channel.epoch = epochCounter
                channel.nextPublishSeq = 1
                channel.core.epoch.store(epochCounter, ordering: .releasing)
            }
        }
        return nil
    }

    private func recoverTopology(_ current: Session) -> AMQPError? {
        guard let temporary = core.allocateChannelID() else {
            return AMQPError(.invalidUsage, "no free channel number to restore the topology on")
        }
        defer { core.releaseChannelID(temporary) }
        var open = false

        /// Runs one declaration; a channel error is logged and the temporary channel reopened.
        func run(_ request: ChannelRequest) -> (ChannelResponse?, AMQPError?) {
            if !open {
                switch current.request(.channelOpen, channel: temporary, pool: pool) {
                case .ok: open = true
                case .channelClosed(let error): return (nil, error)
                case .connectionLost(let error):
                    connectionLost(error)
                    return (nil, error)
                }
            }
            switch current.request(request, channel: temporary, pool: pool) {
            case .ok(let response):
                return (response, nil)
            case .channelClosed(let error):
                open = false
                logger.error("could not restore part of the topology after reconnecting", metadata: ["error": "\(error)"])
                return (nil, nil)
            case .connectionLost(let error):
                connectionLost(error)
                return (nil, error)
            }
        }

        for exchange in topology.exchanges {
            if case (_, let lost?) = run(.exchangeDeclare(exchange, passive: false)), session == nil { return lost }
        }
        for (i, record) in topology.queues.enumerated() {
            let (response, lost) = run(.queueDeclare(record.declaration, passive: false))
            if let lost, session == nil { return lost }
            if record.serverNamed, case .queue(let declared)? = response, declared.name != record.name {
                let old = record.name
                topology.queues[i].name = declared.name
                topology.renameQueue(old, to: declared.name)
                for channel in channels.values {
                    for consumer in channel.consumers.values where consumer.queue == old { consumer.queue = declared.name }
                }
                logger.info("server-named queue re-declared under a new name", metadata: ["from": "\(old)", "to": "\(declared.name)"])
                core.events.emit(.queueRenamed(from: old, to: declared.name))
            }
        }
        for binding in topology.exchangeBindings {
            if case (_, let lost?) = run(.exchangeBind(binding)), session == nil { return lost }
        }
        for binding in topology.queueBindings {
            if case (_, let lost?) = run(.queueBind(binding)), session == nil { return lost }
        }
        if open, case .connectionLost(let error) = current.request(.channelClose, channel: temporary, pool: pool) {
            connectionLost(error)
            return error
        }
        return nil
    }

    // MARK: - Shutdown

    private func shutdown() {
        core.attach(nil)
        if let current = session {
            flushAcks()
            current.closeGracefully()
            session = nil
            logger.info("connection closed")
        }
        core.setEndpoint(nil)
        let closed = AMQPError(.connectionClosed, "the connection was closed by this process")
        for channel in channels.values.sorted(by: { $0.id < $1.id }) {
            for request in channel.pending { request.continuation?.resume(throwing: closed) }
            channel.pending.removeAll()
            channel.core.markClosed(closed)
            finishChannel(channel, error: nil)
        }
        while let (_, _, completion) = held.popFirst() { completion.resume(throwing: closed) }
        for command in core.terminate() {
            switch command {
            case .close(let waiter): waiter?.resume()
            case .request(let channelCore, let request, let continuation):
                if case .channelOpen = request { core.releaseChannelID(channelCore.id) }
                continuation.resume(throwing: closed)
            case .publish(_, _, let completion): completion.resume(throwing: closed)
            case .settle: break
            }
        }
        core.events.emit(.closed)
        core.events.finish()
        for waiter in closeWaiters { waiter.resume() }
        closeWaiters = []
    }
}

