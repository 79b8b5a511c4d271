/// Every failure the AMQP module reports: a `kind` to match on and the context an operator needs.
///
/// The text never contains a password: errors are built only from host, port, user name, the
/// names of queues and exchanges, and what the broker or librabbitmq said (neither echoes
/// credentials).
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in the terms a caller reacts to.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The `transport_url` cannot be parsed; `AMQPError.urlPart` says which part is wrong.
        public static let invalidTransportURL = Kind("invalidTransportURL")
        /// A configuration value is unusable (e.g. no endpoint, a TLS file that cannot be read).
        public static let invalidConfiguration = Kind("invalidConfiguration")
        /// No TCP connection could be made: refused, unreachable or reset.
        public static let connectionRefused = Kind("connectionRefused")
        /// The broker's host name does not resolve.
        public static let hostResolutionFailed = Kind("hostResolutionFailed")
        /// Connecting, the AMQP handshake or a broker reply took longer than configured.
        public static let timeout = Kind("timeout")
        /// The broker refused the credentials (ACCESS_REFUSED, 403, during login).
        public static let authenticationFailed = Kind("authenticationFailed")
        /// Logged in, but the user may not use the virtual host (NOT_ALLOWED, 530) or it does not exist.
        public static let accessRefused = Kind("accessRefused")
        /// The TLS handshake failed (protocol error, or the broker rejected the client certificate).
        public static let tlsHandshakeFailed = Kind("tlsHandshakeFailed")
        /// The broker's certificate is not trusted by the configured CA, or does not match its host name.
        public static let tlsVerificationFailed = Kind("tlsVerificationFailed")
        /// The connection is gone: closed by the broker (see `replyCode`), lost (missed heartbeats,
        /// socket error), or closed by this process. Operations in flight on it fail with this.
        public static let connectionClosed = Kind("connectionClosed")
        /// The broker closed the channel (see `replyCode`: 404 NOT_FOUND, 406 PRECONDITION_FAILED...).
        public static let channelClosed = Kind("channelClosed")
        /// The broker cancelled the consumer (its queue was deleted, or a cluster node failed over).
        public static let consumerCancelled = Kind("consumerCancelled")
        /// The delivery came from a connection or channel that no longer exists: the broker has
        /// already put it back on its queue, so it can no longer be acknowledged or rejected here.
        public static let lostOwnership = Kind("lostOwnership")
        /// The call is not valid in this state (e.g. a confirmed publish on a channel without confirms).
        public static let invalidUsage = Kind("invalidUsage")
        /// The broker sent something this client cannot make sense of.
        public static let protocolError = Kind("protocolError")
    }

    /// A part of a `transport_url`, named in `invalidTransportURL` errors.
    public enum URLPart: String, Sendable, Hashable, CustomStringConvertible {
        case scheme, userinfo, host, port, virtualHost = "virtual host", query, fragment
        public var description: String { rawValue }
    }

    public var kind: Kind
    /// What happened, for an operator; never contains a password.
    public var message: String
    /// `host:port` of the broker concerned, when there is one.
    public var endpoint: String?
    /// The AMQP reply code the broker gave when it closed the channel or connection (403, 404, 406, 320...).
    public var replyCode: UInt16?
    /// The broker's own text with that code.
    public var replyText: String?
    /// For `invalidTransportURL`: the part of the URL that is wrong.
    public var urlPart: URLPart?

    public init(
        _ kind: Kind, _ message: String, endpoint: String? = nil, replyCode: UInt16? = nil,
        replyText: String? = nil, urlPart: URLPart? = nil
    ) {
        self.kind = kind
        self.message = message
        self.endpoint = endpoint
        self.replyCode = replyCode
        self.replyText = replyText
        self.urlPart = urlPart
    }

    public var description: String {
        var text = "AMQP \(kind)"
        if let endpoint { text += " (\(endpoint))" }
        text += ": \(message)"
        if let replyCode {
            text += " [\(replyCode)"
            if let replyText, !message.contains(replyText) { text += " \(replyText)" }
            text += "]"
        }
        return text
    }
}

/// AMQP 0-9-1 reply codes a caller may want to compare `AMQPError.replyCode` with.
public enum AMQPReplyCode {
    public static let contentTooLarge: UInt16 = 311
    public static let noRoute: UInt16 = 312
    public static let noConsumers: UInt16 = 313
    public static let connectionForced: UInt16 = 320
    public static let invalidPath: UInt16 = 402
    public static let accessRefused: UInt16 = 403
    public static let notFound: UInt16 = 404
    public static let resourceLocked: UInt16 = 405
    public static let preconditionFailed: UInt16 = 406
    public static let frameError: UInt16 = 501
    public static let syntaxError: UInt16 = 502
    public static let commandInvalid: UInt16 = 503
    public static let channelError: UInt16 = 504
    public static let unexpectedFrame: UInt16 = 505
    public static let resourceError: UInt16 = 506
    public static let notAllowed: UInt16 = 530
    public static let notImplemented: UInt16 = 540
    public static let internalError: UInt16 = 541
}
