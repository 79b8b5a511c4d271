import Glibc
import Logging
import Synchronization

/// Work handed to the connection thread.
enum Command: Sendable {
    case request(ChannelCore, ChannelRequest, CheckedContinuation<ChannelResponse, any Error>)
    case publish(ChannelCore, OutgoingMessage, CheckedContinuation<PublishOutcome, any Error>?)
    case settle(ChannelCore, epoch: UInt64, tag: UInt64, Settlement)
    case close(CheckedContinuation<Void, Never>?)
}

struct OutgoingMessage: Sendable {
    var exchange: String
    var routingKey: String
    var mandatory: Bool
    var properties: AMQPProperties
    var body: [UInt8]
}

enum Settlement: Sendable {
    case ack(multiple: Bool)
    case nack(multiple: Bool, requeue: Bool)
    case reject(requeue: Bool)
}

/// What callers (any task, any thread) share with the connection thread: a lock-protected
/// command queue and a pipe that wakes the thread, written only while the thread sleeps so
/// that a busy connection costs no extra system calls.
final class ConnectionCore: Sendable {
    let configuration: AMQPConfiguration
    let logger: Logger
    let events = EventHub()
    let wakeReadFD: Int32
    let wakeWriteFD: Int32
    /// True while a connection is established and its topology restored.
    let connected = Atomic<Bool>(false)

    private struct Mailbox {
        var commands: [Command] = []
        var sleeping = false
        var wakePending = false
        var terminated = false
        var usedChannelIDs: Set<UInt16> = []
        var nextChannelID: UInt16 = 1
        var endpoint: String?
    }

    private let mailbox = Mutex(Mailbox())

    init(configuration: AMQPConfiguration, logger: Logger) throws(AMQPError) {
        self.configuration = configuration
        self.logger = logger
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw AMQPError(.invalidConfiguration, "cannot create the connection thread's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    // MARK: Callers

    /// Queues `command` for the thread; false once the connection is closed for good.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        let (accepted, wake) = mailbox.withLock { box -> (Bool, Bool) in
            guard !box.terminated else { return (false, false) }
            box.commands.append(command)
            if box.sleeping && !box.wakePending {
                box.wakePending = true
                return (true, true)
            }
            return (true, false)
        }
        if wake { wakeThread() }
        return accepted
    }

    private func wakeThread() {
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }

    func allocateChannelID() -> UInt16? {
        let max = configuration.channelMax == 0 ? UInt16.max : configuration.channelMax
        return mailbox.withLock { box -> UInt16? in
            guard !box.terminated, box.usedChannelIDs.count < Int(max) else { return nil }
            var id = box.nextChannelID
            while box.usedChannelIDs.contains(id) { id = id >= max ? 1 : id + 1 }
            box.usedChannelIDs.insert(id)
            box.nextChannelID = id >= max ? 1 : id + 1
            return id
        }
    }

    func releaseChannelID(_ id: UInt16) {
        mailbox.withLock { _ = $0.usedChannelIDs.remove(id) }
    }

    var endpoint: String? { mailbox.withLock { $0.endpoint } }
    var isTerminated: Bool { mailbox.withLock { $0.terminated } }

    // MARK: The connection thread

    func takeCommands(into batch: inout [Command]) {
        mailbox.withLock { box in
            if !box.commands.isEmpty { swap(&box.commands, &batch) }
        }
    }

    /// Marks the thread as about to sleep; false (and not sleeping) when commands are waiting.
    func beginSleep() -> Bool {
        mailbox.withLock { box in
            guard box.commands.isEmpty else { return false }
            box.sleeping = true
            return true
        }
    }

    func endSleep(drainPipe: Bool) {
        if drainPipe {
            var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            while withUnsafeMutableBytes(of: &buffer, { read(wakeReadFD, $0.baseAddress, $0.count) }) > 0 {}
        }
        mailbox.withLock { box in
            box.sleeping = false
            box.wakePending = false
        }
    }

    func setEndpoint(_ endpoint: String?) {
        mailbox.withLock { $0.endpoint = endpoint }
        connected.store(endpoint != nil, ordering: .releasing)
    }

    /// Refuses further commands and returns those still queued.
    func terminate() -> [Command] {
        mailbox.withLock { box in
            box.terminated = true
            box.endpoint = nil
            let left = box.commands
            box.commands = []
            return left
        }
    }
}

/// Fans connection events out to every `events()` stream.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<AMQPConnectionEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }
    private let state = Mutex(State())

    func subscribe() -> AsyncStream<AMQPConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: AMQPConnectionEvent.self, bufferingPolicy: .bufferingNewest(256))
        let id: Int? = state.withLock { s in
            guard !s.finished else { return nil }
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.yield(.closed)
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: AMQPConnectionEvent) {
        let targets = state.withLock { Array($0.subscribers.values) }
        for target in targets { target.yield(event) }
    }

    func finish() {
        let targets = state.withLock { s -> [AsyncStream<AMQPConnectionEvent>.Continuation] in
            s.finished = true
            let all = Array(s.subscribers.values)
            s.subscribers = [:]
            return all
        }
        for target in targets { target.finish() }
    }
}

/// The caller-side half of a channel: its number, whether deliveries from it can still be
/// settled (`epoch`), and why it closed.
final class ChannelCore: Sendable {
    let id: UInt16
    let connection: ConnectionCore
    /// Nonzero while the channel is open on the current connection; every (re)open gets a new
    /// value, and deliveries carry the value they arrived under.
    let epoch = Atomic<UInt64>(0)
    private let closeReason = Mutex<AMQPError?>(nil)
    let returns: AsyncStream<ReturnedMessage>
    let returnsContinuation: AsyncStream<ReturnedMessage>.Continuation

    init(id: UInt16, connection: ConnectionCore) {
        self.id = id
        self.connection = connection
        (returns, returnsContinuation) = AsyncStream.makeStream(of: ReturnedMessage.self, bufferingPolicy: .bufferingNewest(1024))
    }

    var closedError: AMQPError? { closeReason.withLock { $0 } }

    func markClosed(_ error: AMQPError) {
        closeReason.withLock { if $0 == nil { $0 = error } }
        epoch.store(0, ordering: .releasing)
        returnsContinuation.finish()
    }

    /// The error for an operation that cannot be carried out now.
    func unavailableError() -> AMQPError {
        if let closedError { return closedError }
        if connection.isTerminated {
            return AMQPError(.connectionClosed, "the connection is closed")
        }
        return AMQPError(
            .connectionClosed, "not connected to the broker (reconnecting); retry when it is back",
            endpoint: connection.endpoint)
    }

    func request(_ request: ChannelRequest) async throws -> ChannelResponse {
        if let closedError { throw closedError }
        return try await withCheckedThrowingContinuation { continuation in
            if !connection.submit(.request(self, request, continuation)) {
                continuation.resume(throwing: unavailableError())
            }
        }
    }

    func settle(tag: UInt64, epoch deliveryEpoch: UInt64, noAck: Bool, _ settlement: Settlement) throws(AMQPError) {
        if noAck {
            throw AMQPError(.invalidUsage, "delivery \(tag) was consumed with noAck: there is nothing to acknowledge")
        }
        let current = epoch.load(ordering: .acquiring)
        guard current == deliveryEpoch, current != 0 else {
            throw AMQPError(
                .lostOwnership,
                "delivery \(tag) arrived on channel \(id) of a connection or channel that is gone; the broker has "
                    + "requeued it and will deliver it again",
                endpoint: connection.endpoint)
        }
        guard connection.submit(.settle(self, epoch: deliveryEpoch, tag: tag, settlement)) else {
            throw AMQPError(.lostOwnership, "delivery \(tag): the connection is closed; the broker requeues it")
        }
    }
}
