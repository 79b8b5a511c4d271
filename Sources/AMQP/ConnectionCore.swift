import Glibc
import Logging
import Synchronization

/// Work handed to the connection thread.
enum Command: Sendable {
    case request(ChannelCore, ChannelRequest, CheckedContinuation<ChannelResponse, any Error>)
    case publish(ChannelCore, OutgoingMessage, PublishCompletion)
    case settle(ChannelCore, epoch: UInt64, tag: UInt64, Settlement)
    case close(CheckedContinuation<Void, Never>?)

    /// Whether a caller may carry it out while the thread sleeps: the others need the thread
    /// (a request's answer has a deadline the thread watches; close ends the loop).
    var runsWhileAsleep: Bool {
        switch self {
        case .publish, .settle: true
        case .request, .close: false
        }
    }
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
///
/// While the thread sleeps in `poll()`, a caller that queues a publish or a settlement runs the
/// queued commands itself, under the loop's `ownership` lock, instead of waking the thread:
/// on a quiet connection a call's ack and reply then cost no thread wake-up (each one is a
/// futex or pipe wake and a context switch, tens of microseconds on a virtual machine).
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
        /// The loop, for callers that run commands while it sleeps; nil once it has stopped.
        var loop: ConnectionLoop?
    }

    /// Held by whoever runs the loop's code: the connection thread, except while it sleeps in
    /// `poll()`, or a caller running queued commands meanwhile.
    let ownership = OwnershipLock()
    /// Times the thread was woken through the pipe, and commands callers ran while it slept
    /// (for tests and profiling).
    let threadWakes = Atomic<Int>(0)
    let commandsRunWhileAsleep = Atomic<Int>(0)

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
        let (accepted, wake, loop) = mailbox.withLock { box -> (Bool, Bool, ConnectionLoop?) in
            guard !box.terminated else { return (false, false, nil) }
            box.commands.append(command)
            if box.sleeping && !box.wakePending {
                box.wakePending = true
                return (true, true, box.loop)
            }
            return (true, false, nil)
        }
        if wake {
            // Publishes and settlements are run here while the thread sleeps; anything else
            // (or a busy lock: the thread is waking up) wakes it.
            if !command.runsWhileAsleep || !(loop?.runCommandsWhileAsleep() ?? false) { wakeThread() }
        }
        return accepted
    }

    func attach(_ loop: ConnectionLoop?) {
        mailbox.withLock { $0.loop = loop }
    }

    /// After a caller ran the queued commands: true when none is left (the thread is still
    /// asleep and can be woken again); false when more were queued meanwhile (their callers
    /// counted on this one, so it runs them too).
    func finishRunningWhileAsleep() -> Bool {
        mailbox.withLock { box in
            guard box.commands.isEmpty else { return false }
            box.wakePending = false
            return true
        }
    }

    func wakeThread() {
        threadWakes.wrappingAdd(1, ordering: .relaxed)
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

/// A plain mutex that can be held across calls and tried: the connection thread holds it while
/// it works and lets go only to sleep in `poll()`.
final class OwnershipLock: @unchecked Sendable {
    // @unchecked: the pthread mutex is only used through lock/tryLock/unlock.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    func unlock() { pthread_mutex_unlock(mutex) }
}
