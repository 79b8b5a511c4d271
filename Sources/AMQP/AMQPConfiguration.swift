/// How to reach RabbitMQ and how to behave when it goes away; plain values with the defaults
/// oslo.messaging's `[oslo_messaging_rabbit]` uses.
///
/// Build it from `transport_url` with `init(transportURL:tls:)`, or from endpoints directly.
public struct AMQPConfiguration: Sendable {
    /// The broker nodes, tried in order (see `endpointOrder`) on connect and on every reconnect.
    public var endpoints: [Endpoint]
    /// The RabbitMQ virtual host. Default `/`.
    public var virtualHost: String = "/"
    /// TLS for every endpoint, or nil for plain TCP. Default nil.
    public var tls: TLSConfiguration? = nil
    /// How to log in. Default `.plain` (oslo's `rabbit_login_method` AMQPLAIN/PLAIN).
    public var authentication: Authentication = .plain
    /// Heartbeat interval requested from the broker (oslo `heartbeat_timeout_threshold`, 60 s);
    /// the broker may lower it; `.zero` disables heartbeats. A connection that hears nothing for
    /// twice this long is considered dead and reconnected.
    public var heartbeat: Duration = .seconds(60)
    /// Bound on name resolution + TCP connect (+ TLS handshake) for one endpoint. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Bound on the AMQP handshake (protocol header to connection.open-ok). Default 10 s.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Bound on every synchronous broker reply (declare, bind, consume, close...). A broker that
    /// does not answer within it is treated as dead: the call fails with `.timeout` and the
    /// connection is re-established. Default 30 s.
    public var rpcTimeout: Duration = .seconds(30)
    /// Delays between reconnect rounds. Default: oslo's 1 s / 2 s / 30 s.
    public var reconnect: ReconnectBackoff = ReconnectBackoff()
    /// Whether to try endpoints as listed or shuffled (oslo shuffles its host list). Default `.asListed`.
    public var endpointOrder: EndpointOrder = .asListed
    /// Largest frame requested (the broker may lower it). Default 131072, RabbitMQ's default.
    public var frameMax: UInt32 = 131_072
    /// Most channels requested (the broker may lower it). Default 2047, RabbitMQ's default.
    public var channelMax: UInt16 = 2047
    /// Shown by RabbitMQ as the connection's name (`user_provided_name`), e.g. `worker:1234:uuid`.
    public var connectionName: String? = nil
    /// More client properties to send; `capabilities` are always set by this module.
    public var clientProperties: AMQPFieldTable = [:]

    public init(endpoints: [Endpoint], virtualHost: String = "/", tls: TLSConfiguration? = nil) {
        self.endpoints = endpoints
        self.virtualHost = virtualHost
        self.tls = tls
    }

    /// From an oslo `transport_url`. TLS is used when `tls` is given or the URL says `?ssl=1`
    /// (then with `TLSConfiguration()`: encrypted, unverified, as oslo's `ssl=true` without
    /// `ssl_ca_file`); the default port follows (5671 with TLS, 5672 without).
    public init(transportURL: TransportURL, tls: TLSConfiguration? = nil) {
        let tls = tls ?? (transportURL.ssl == true ? TLSConfiguration() : nil)
        self.init(
            endpoints: transportURL.endpoints(tls: tls != nil), virtualHost: transportURL.virtualHost, tls: tls)
    }

    public enum Authentication: Sendable, Hashable {
        /// User name and password (SASL PLAIN).
        case plain
        /// The TLS client certificate identifies the user (SASL EXTERNAL; needs RabbitMQ's
        /// `rabbitmq_auth_mechanism_ssl` plugin and `tls.certificateFile`).
        case external
    }

    public enum EndpointOrder: Sendable, Hashable {
        case asListed
        /// Shuffled once per connection, so that several workers spread over the nodes.
        case shuffled
    }
}

/// TLS settings: oslo's `[oslo_messaging_rabbit] ssl`, `ssl_ca_file`, `ssl_cert_file`, `ssl_key_file`.
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM file of the CA(s) that sign the broker's certificate (`ssl_ca_file`).
    public var caCertificateFile: String?
    /// PEM client certificate (`ssl_cert_file`), for brokers that require one.
    public var certificateFile: String?
    /// PEM private key of the client certificate (`ssl_key_file`); defaults to `certificateFile`.
    public var keyFile: String?
    /// Check the broker's certificate against `caCertificateFile`.
    public var verifyPeer: Bool
    /// Check that the broker's certificate names the host connected to (DNS names only: connect
    /// by name, not by IP address, when this is on).
    public var verifyHostname: Bool

    /// oslo's semantics: with a CA file the peer and its host name are verified; without one the
    /// connection is encrypted but not verified.
    public init(
        caCertificateFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
        verifyPeer: Bool? = nil, verifyHostname: Bool? = nil
    ) {
        self.caCertificateFile = caCertificateFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verifyPeer = verifyPeer ?? (caCertificateFile != nil)
        self.verifyHostname = verifyHostname ?? (caCertificateFile != nil)
    }
}

/// Capped backoff between reconnect rounds (one round tries every endpoint once, back to back).
///
/// Round n (1-based) waits `min(initialDelay + step × (2ⁿ⁻¹ − 1), maximumDelay)` with
/// `.exponential` growth (1, 3, 7, 15, 30, 30… s with the defaults) or
/// `min(initialDelay + step × (n − 1), maximumDelay)` with `.linear` growth (kombu's 1, 3, 5, 7…).
/// The first attempt after a connection is lost is immediate.
public struct ReconnectBackoff: Sendable, Hashable {
    /// oslo `rabbit_retry_interval`. Default 1 s.
    public var initialDelay: Duration
    /// oslo `rabbit_retry_backoff`. Default 2 s.
    public var step: Duration
    /// oslo `rabbit_interval_max`. Default 30 s.
    public var maximumDelay: Duration
    public var growth: Growth

    public enum Growth: Sendable, Hashable { case exponential, linear }

    public init(
        initialDelay: Duration = .seconds(1), step: Duration = .seconds(2), maximumDelay: Duration = .seconds(30),
        growth: Growth = .exponential
    ) {
        self.initialDelay = initialDelay
        self.step = step
        self.maximumDelay = maximumDelay
        self.growth = growth
    }

    /// The wait before reconnect round `round` (1 = after the first failed round).
    public func delay(beforeRound round: Int) -> Duration {
        let n = max(round, 1)
        let factor: Int64
        switch growth {
        case .linear: factor = Int64(n - 1)
        case .exponential: factor = n > 40 ? Int64.max / 4 : (Int64(1) << Int64(n - 1)) - 1
        }
        let stepNanos = Self.nanoseconds(step)
        let extra = factor > 0 && stepNanos > Int64.max / factor ? Int64.max / 2 : stepNanos * factor
        let total = Self.nanoseconds(initialDelay).addingReportingOverflow(extra)
        let capped = total.overflow ? Self.nanoseconds(maximumDelay) : min(total.partialValue, Self.nanoseconds(maximumDelay))
        return .nanoseconds(max(capped, 0))
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        if s > Int64.max / 1_000_000_000 { return Int64.max / 2 }
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
