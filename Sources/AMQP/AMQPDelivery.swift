/// A message delivered to a consumer, with what is needed to acknowledge it.
///
/// Settle it exactly once with `ack`, `nack` or `reject` (unless it was consumed with
/// `noAck`). These return as soon as the settlement is queued for the connection; they throw
/// `lostOwnership` when the channel or connection it came on is gone — the broker has then
/// already requeued the message and nothing is sent on the new connection.
public struct AMQPDelivery: Sendable {
    public let body: [UInt8]
    public let properties: AMQPProperties
    public let exchange: String
    public let routingKey: String
    /// The broker delivered this message before (to this or another consumer) without a settlement.
    public let redelivered: Bool
    public let deliveryTag: UInt64
    public let consumerTag: String
    let channel: ChannelCore
    let epoch: UInt64
    let noAck: Bool

    init(
        body: [UInt8], properties: AMQPProperties, exchange: String, routingKey: String, redelivered: Bool,
        deliveryTag: UInt64, consumerTag: String, channel: ChannelCore, epoch: UInt64, noAck: Bool
    ) {
        self.body = body
        self.properties = properties
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.consumerTag = consumerTag
        self.channel = channel
        self.epoch = epoch
        self.noAck = noAck
    }

    /// The channel number it arrived on.
    public var channelID: UInt16 { channel.id }

    /// Whether it can still be settled: its channel is open on the connection it came on.
    public var isOwned: Bool {
        !noAck && epoch != 0 && channel.epoch.load(ordering: .relaxed) == epoch
    }

    /// Done with it: the broker forgets it. `multiple` also acknowledges every earlier unsettled
    /// delivery of the channel.
    public func ack(multiple: Bool = false) throws(AMQPError) {
        try channel.settle(tag: deliveryTag, epoch: epoch, noAck: noAck, .ack(multiple: multiple))
    }

    /// Give it back: requeued (for another try, flagged `redelivered`) or dead-lettered/dropped.
    public func nack(multiple: Bool = false, requeue: Bool = true) throws(AMQPError) {
        try channel.settle(tag: deliveryTag, epoch: epoch, noAck: noAck, .nack(multiple: multiple, requeue: requeue))
    }

    /// Refuse it: requeued, or dead-lettered (to the queue's `x-dead-letter-exchange`) or dropped.
    public func reject(requeue: Bool) throws(AMQPError) {
        try channel.settle(tag: deliveryTag, epoch: epoch, noAck: noAck, .reject(requeue: requeue))
    }
}
