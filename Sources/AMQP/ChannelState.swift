import DequeModule

/// The connection thread's view of one channel: queued requests, consumers, unacknowledged
/// deliveries, unconfirmed publishes, and what to restore after a reconnect. Used only by the
/// holder of the connection's ownership lock (see `ConnectionLoop`).
final class ChannelState {
    enum Status { case opening, open, closing }

    let core: ChannelCore
    var id: UInt16 { core.id }
    var status: Status = .opening
    /// The value deliveries are stamped with (mirrors `core.epoch`).
    var epoch: UInt64 = 0

    /// Requests in order; only the first is on the wire (one synchronous method at a time).
    var pending = Deque<PendingRequest>()
    var headDeadline: UInt64 = 0

    // Restored after a reconnect.
    var prefetch: Prefetch?
    var confirmMode = false
    var consumers: [String: ConsumerState] = [:]
    var consumerOrder: [String] = []

    // Publisher confirms.
    var nextPublishSeq: UInt64 = 1
    var unconfirmed = Deque<PendingConfirm>()

    // Incoming content being assembled (method → header → body frames).
    let content = IncomingContent()
    var strings = IncomingStrings()

    // Deliveries not yet settled, in delivery-tag order, for batched acks.
    var unacked = Deque<UnackedEntry>()
    var ackRequestedCount = 0
    var acksDirty = false

    init(core: ChannelCore) { self.core = core }

    func addConsumer(_ consumer: ConsumerState) {
        if consumers.updateValue(consumer, forKey: consumer.tag) == nil { consumerOrder.append(consumer.tag) }
    }

    func removeConsumer(_ tag: String) -> ConsumerState? {
        guard let consumer = consumers.removeValue(forKey: tag) else { return nil }
        consumerOrder.removeAll { $0 == tag }
        return consumer
    }

    /// Index of `tag` in `unacked` (tags only grow, so the deque is sorted).
    func unackedIndex(of tag: UInt64) -> Int? {
        var low = 0
        var high = unacked.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let value = unacked[mid].tag
            if value == tag { return mid }
            if value < tag { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }
}

struct PendingRequest {
    let request: ChannelRequest
    let continuation: CheckedContinuation<ChannelResponse, any Error>?
}

struct PendingConfirm {
    let seq: UInt64
    let exchange: String
    let routingKey: String
    let mandatory: Bool
    let body: [UInt8]
    let completion: PublishCompletion
    var returned: ReturnedMessage?
}

struct UnackedEntry {
    enum State: UInt8 { case pending, ackRequested, settled }
    let tag: UInt64
    var state: State = .pending
}

/// The message being assembled on a channel (method → header → body frames). One instance per
/// channel, filled in place, so that assembling a message copies nothing but the body bytes.
final class IncomingContent {
    enum Kind { case none, delivery, returned }
    var kind: Kind = .none
    var headerSeen = false
    // basic.deliver
    var consumer: ConsumerState?
    var deliveryTag: UInt64 = 0
    var redelivered = false
    var consumerTag = ""
    var exchange = ""
    var routingKey = ""
    // basic.return
    var replyCode: UInt16 = 0
    var replyText = ""
    // header and body
    var properties = AMQPProperties()
    var bodySize = 0
    var body: [UInt8] = []

    func reset() {
        kind = .none
        headerSeen = false
        consumer = nil
        bodySize = 0
    }
}

/// One consumer as the thread knows it: where its deliveries go and how to register it again.
final class ConsumerState {
    let tag: String
    var queue: String
    let noAck: Bool
    let exclusive: Bool
    let arguments: AMQPFieldTable
    let buffer: DeliveryBuffer
    /// Deliveries read in the current loop iteration, handed over together.
    var batch: [AMQPDelivery] = []
    var queuedForFlush = false

    init(tag: String, request: ConsumeRequest) {
        self.tag = tag
        queue = request.queue
        noAck = request.noAck
        exclusive = request.exclusive
        arguments = request.arguments
        buffer = request.buffer
        batch.reserveCapacity(64)
    }

    var request: ConsumeRequest {
        ConsumeRequest(queue: queue, consumerTag: tag, noAck: noAck, exclusive: exclusive, arguments: arguments, buffer: buffer)
    }

    func flush() {
        queuedForFlush = false
        if !batch.isEmpty { buffer.push(&batch) }
    }
}
