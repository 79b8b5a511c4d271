/// What became of a message published with confirms.
public enum PublishOutcome: Sendable, Hashable {
    /// The broker took responsibility for it (routed to at least one queue, or to none when not mandatory).
    case confirmed
    /// It was `mandatory` and could not be routed: the broker sent it back (reply code 312 NO_ROUTE).
    case returned(ReturnedMessage)
    /// The broker refused it (basic.nack: an internal error, or a queue's overflow policy `reject-publish`).
    case nacked
}

/// A message the broker sent back because it was `mandatory` and no queue took it.
public struct ReturnedMessage: Sendable, Hashable {
    public var replyCode: UInt16
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    public var body: [UInt8]

    public init(
        replyCode: UInt16, replyText: String, exchange: String, routingKey: String, properties: AMQPProperties,
        body: [UInt8]
    ) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }
}

/// Who learns how a publish ended: a task waiting for it, a callback run on the connection
/// thread (so that the publisher need not wait, and no task is woken for the answer), or nobody
/// (a publish without confirm; returned messages then go to `returnedMessages`).
enum PublishCompletion: Sendable {
    case none
    case task(CheckedContinuation<PublishOutcome, any Error>)
    case callback(@Sendable (Result<PublishOutcome, AMQPError>) -> Void)

    /// Whether anyone hears the outcome.
    var isHeard: Bool {
        if case .none = self { return false }
        return true
    }

    func resume(returning outcome: PublishOutcome) {
        switch self {
        case .none: break
        case .task(let continuation): continuation.resume(returning: outcome)
        case .callback(let callback): callback(.success(outcome))
        }
    }

    func resume(throwing error: AMQPError) {
        switch self {
        case .none: break
        case .task(let continuation): continuation.resume(throwing: error)
        case .callback(let callback): callback(.failure(error))
        }
    }
}
