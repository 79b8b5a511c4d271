public import Logging

/// A connection to RabbitMQ that stays up by itself.
///
/// One dedicated thread per connection owns the librabbitmq state and does all its I/O, so no
/// call here blocks a Swift concurrency thread. When the connection is lost it is re-established
/// (next endpoint, capped backoff) and everything declared through it — exchanges, queues,
/// bindings, channels with their QoS and confirm mode, consumers — is restored; see
/// `AMQPConnectionEvent` for what can be observed. Call `close()` when done; dropping the last
/// reference (including those held by channels, consumers and deliveries) closes it too.
public final class AMQPConnection: Sendable {
    let core: ConnectionCore

    private init(core: ConnectionCore) { self.core = core }

    deinit {
        if !core.isTerminated {
            core.logger.debug("AMQPConnection released without close(); closing it")
            core.submit(.close(nil))
        }
    }

    /// Connects to the first endpoint that answers (one pass over the list), within the
    /// configured connect and handshake timeouts per endpoint.
    ///
    /// Throws `AMQPError`: `connectionRefused`, `hostResolutionFailed`, `timeout`,
    /// `authenticationFailed`, `accessRefused`, `tlsHandshakeFailed`, `tlsVerificationFailed`,
    /// `invalidConfiguration`; with several endpoints, the last failure's kind and every
    /// endpoint's reason in the message.
    public static func connect(configuration: AMQPConfiguration, logger: Logger) async throws(AMQPError) -> AMQPConnection {
        guard !configuration.endpoints.isEmpty else {
            throw AMQPError(.invalidConfiguration, "no broker endpoint is configured")
        }
        let core = try ConnectionCore(configuration: configuration, logger: logger)
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let loop = ConnectionLoop(core: core, initialConnect: continuation)
                if !loop.start() {
                    continuation.resume(throwing: AMQPError(.invalidConfiguration, "cannot start the connection thread"))
                }
            }
        } catch let error as AMQPError {
            throw error
        } catch {
            throw AMQPError(.connectionClosed, "\(error)")
        }
        return AMQPConnection(core: core)
    }

    public var configuration: AMQPConfiguration { core.configuration }

    /// Whether the connection is up right now (false while reconnecting and after `close()`).
    public var isConnected: Bool { core.connected.load(ordering: .acquiring) }

    /// `host:port` of the broker connected to, nil while reconnecting.
    public var endpoint: String? { core.endpoint }

    /// A stream of what happens to the connection from now on (each call makes a new stream);
    /// it ends after `.closed`.
    public func events() -> AsyncStream<AMQPConnectionEvent> { core.events.subscribe() }

    /// Opens a new channel (restored automatically after reconnects until closed).
    public func openChannel() async throws(AMQPError) -> AMQPChannel {
        guard let id = core.allocateChannelID() else {
            if core.isTerminated { throw AMQPError(.connectionClosed, "the connection is closed") }
            throw AMQPError(.invalidUsage, "all \(configuration.channelMax) channel numbers are in use")
        }
        let channelCore = ChannelCore(id: id, connection: core)
        do {
            _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ChannelResponse, any Error>) in
                if !core.submit(.request(channelCore, .channelOpen, continuation)) {
                    core.releaseChannelID(id)
                    continuation.resume(throwing: AMQPError(.connectionClosed, "the connection is closed"))
                }
            }
        } catch {
            throw AMQPError.wrap(error)
        }
        return AMQPChannel(core: channelCore, connection: self)
    }

    /// Closes every channel and the connection (waiting at most the RPC timeout for the broker),
    /// ends every consumer sequence normally and stops the thread. Unacknowledged deliveries go
    /// back to their queues.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !core.submit(.close(continuation)) { continuation.resume() }
        }
    }
}

extension AMQPError {
    static func wrap(_ error: any Error) -> AMQPError {
        if let error = error as? AMQPError { return error }
        return AMQPError(.protocolError, "\(error)")
    }
}
