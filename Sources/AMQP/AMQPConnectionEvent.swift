/// What happened to a connection, for logs and metrics (`AMQPConnection.events()`).
public enum AMQPConnectionEvent: Sendable {
    /// The first connection is up (`endpoint` is `host:port`).
    case connected(endpoint: String)
    /// The connection was lost; reconnecting starts at once.
    case disconnected(AMQPError)
    /// A reconnect round failed; the next one starts after `delay`.
    case reconnectFailed(round: Int, delay: Duration, lastError: AMQPError)
    /// Connected again and the recorded topology, channels and consumers are restored.
    case reconnected(endpoint: String)
    /// The broker stopped reading from this connection (resource alarm); publishes are held.
    case blocked(reason: String)
    case unblocked
    /// A server-named queue got a new name when it was declared again after a reconnect.
    case queueRenamed(from: String, to: String)
    /// The broker closed a channel (its operations, consumers and publishes fail with `error`).
    case channelClosed(channel: UInt16, error: AMQPError)
    /// `close()` finished, or reconnecting was given up; no more events follow.
    case closed
}
