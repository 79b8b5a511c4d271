/// How an `HTTPClient` connects: TLS, timeouts, connection limits. Plain values with defaults that
/// suit API clients (Kubernetes, OpenStack) on a management network.
public struct HTTPClientConfiguration: Sendable {
    public enum HTTPVersion: Sendable, Equatable {
        /// HTTP/1.1 only.
        case http1_1
        /// HTTP/2 when the TLS server offers it through ALPN, HTTP/1.1 otherwise (libcurl's
        /// `CURL_HTTP_VERSION_2TLS`). Several requests then share one connection.
        case http2OverTLS
    }

    public var tls: TLSConfiguration
    /// Time allowed to establish the TCP connection and the TLS session.
    public var connectTimeout: Duration
    /// Default total time for a buffered request; `nil` means none. Requests may override it.
    public var timeout: Duration?
    public var httpVersion: HTTPVersion
    /// Most connections open at once to one host; further requests queue inside libcurl.
    public var maximumConnectionsPerHost: Int
    /// Idle connections kept for reuse.
    public var maximumIdleConnections: Int
    /// Buffered responses larger than this fail with `.responseTooLarge`.
    public var maximumResponseBodySize: Int
    /// A streaming response stops reading from the socket (TCP back-pressure) when this many bytes
    /// wait for the consumer, and resumes when half of them are consumed.
    public var streamBufferLimit: Int
    public var userAgent: String
    /// Honour `http_proxy`/`https_proxy`/`no_proxy` from the environment, as python-requests does.
    public var useEnvironmentProxy: Bool

    public init(
        tls: TLSConfiguration = TLSConfiguration(),
        connectTimeout: Duration = .seconds(10),
        timeout: Duration? = .seconds(60),
        httpVersion: HTTPVersion = .http2OverTLS,
        maximumConnectionsPerHost: Int = 16,
        maximumIdleConnections: Int = 32,
        maximumResponseBodySize: Int = 256 << 20,
        streamBufferLimit: Int = 1 << 20,
        userAgent: String = "magnum-capi-worker",
        useEnvironmentProxy: Bool = true
    ) {
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.httpVersion = httpVersion
        self.maximumConnectionsPerHost = maximumConnectionsPerHost
        self.maximumIdleConnections = maximumIdleConnections
        self.maximumResponseBodySize = maximumResponseBodySize
        self.streamBufferLimit = streamBufferLimit
        self.userAgent = userAgent
        self.useEnvironmentProxy = useEnvironmentProxy
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 for any positive duration (libcurl treats 0 as "no limit").
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if ms <= 0 { return (seconds > 0 || attoseconds > 0) ? 1 : 0 }
        return Int(clamping: ms)
    }
}
