/// When and how an RPC server finishes a request's delivery.
///
/// oslo.messaging acknowledges a request *before* dispatching it (at most once: a crash mid-way
/// loses the request). `afterOutcome` acknowledges only once the handler has returned — the
/// handler returns after its outcome is durable (state written to the database) — so a crash
/// leaves the request on the queue for another worker (at least once; the duplicate filter and
/// idempotent handlers absorb the repeats).
public struct SettlementPolicy: Sendable {
    public enum Timing: Sendable, Equatable {
        /// oslo's behaviour: ack as soon as the request is decoded and not a duplicate.
        case beforeDispatch
        /// Ack (or requeue, or dead-letter) when the handler's outcome is known.
        case afterOutcome
    }

    public var timing: Timing
    /// For `afterOutcome`: what to do with the delivery given the handler's outcome. A call whose
    /// outcome is `.requeue` gets no reply now (its redelivery will answer).
    public var decide: @Sendable (HandlerOutcome) -> Settlement

    public init(timing: Timing, decide: @escaping @Sendable (HandlerOutcome) -> Settlement) {
        self.timing = timing
        self.decide = decide
    }

    /// oslo.messaging's at-most-once acknowledgement.
    public static let ackBeforeDispatch = SettlementPolicy(timing: .beforeDispatch) { _ in .ack }

    /// Acknowledge after the handler. Success acks; a `RetryableError` is requeued until the
    /// delivery has been tried `maxDeliveries` times, then dead-lettered; any other failure of a
    /// call acks (the caller got the failure reply); any other failure of a cast is
    /// dead-lettered, so it is kept for an operator rather than silently dropped.
    public static func ackAfterOutcome(maxDeliveries: Int = 5) -> SettlementPolicy {
        SettlementPolicy(timing: .afterOutcome) { outcome in
            guard let error = outcome.error else { return .ack }
            if error is any RetryableError {
                return outcome.deliveryCount + 1 < maxDeliveries ? .requeue : .deadLetter
            }
            return outcome.isCall ? .ack : .deadLetter
        }
    }
}

/// What happened when a request was handled, for `SettlementPolicy.decide`.
public struct HandlerOutcome: Sendable {
    public let method: String
    public let isCall: Bool
    public let msgID: String?
    public let uniqueID: String?
    /// `nil` when the handler succeeded.
    public let error: (any Error)?
    public let redelivered: Bool
    /// Deliveries of this message before this one.
    public let deliveryCount: Int

    public init(method: String, isCall: Bool, msgID: String?, uniqueID: String?, error: (any Error)?,
                redelivered: Bool, deliveryCount: Int) {
        self.method = method
        self.isCall = isCall
        self.msgID = msgID
        self.uniqueID = uniqueID
        self.error = error
        self.redelivered = redelivered
        self.deliveryCount = deliveryCount
    }
}

/// An error after which the same request may succeed if delivered again (a database or API
/// briefly unavailable). With `ackAfterOutcome` such requests are requeued, not failed.
public protocol RetryableError: Error {}
