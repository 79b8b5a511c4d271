/// Why a transfer failed, without secrets: the method and URL (user information removed), a kind
/// callers can match on and libcurl's own explanation. Request headers and bodies never appear.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The URL is malformed or not http/https.
        public static let invalidURL = Kind(name: "invalid URL")
        public static let couldNotResolveHost = Kind(name: "could not resolve host")
        public static let couldNotConnect = Kind(name: "could not connect")
        /// TLS handshake failed, the server's certificate did not verify, or a CA/client
        /// certificate/key could not be loaded.
        public static let tls = Kind(name: "TLS failure")
        public static let timeout = Kind(name: "timed out")
        /// The connection broke while sending or receiving.
        public static let connectionLost = Kind(name: "connection lost")
        public static let responseTooLarge = Kind(name: "response too large")
        public static let cancelled = Kind(name: "cancelled")
        /// The client was shut down before the transfer finished.
        public static let shutdown = Kind(name: "client shut down")
        public static let other = Kind(name: "transfer failed")
    }

    public let kind: Kind
    public let method: HTTPMethod
    /// With user information removed.
    public let url: String
    /// libcurl's error code (CURLcode), 0 when the failure did not come from libcurl.
    public let curlCode: Int
    /// libcurl's explanation, e.g. "SSL certificate problem: unable to get local issuer certificate".
    public let detail: String

    public init(kind: Kind, method: HTTPMethod, url: String, curlCode: Int = 0, detail: String = "") {
        self.kind = kind
        self.method = method
        self.url = HTTPRequest.redact(url)
        self.curlCode = curlCode
        self.detail = detail
    }

    public var description: String {
        var text = "\(method) \(url): \(kind)"
        if !detail.isEmpty { text += ": \(detail)" }
        if curlCode != 0 { text += " (curl error \(curlCode))" }
        return text
    }
}
