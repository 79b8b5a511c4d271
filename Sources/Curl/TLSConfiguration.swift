/// Where a PEM document comes from: a file the worker reads, or bytes already in memory (for
/// example a kubeconfig's `certificate-authority-data`). In-memory data is handed to libcurl as a
/// blob and never written to disk.
public enum PEMSource: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case file(String)
    case data([UInt8])

    public var description: String {
        switch self {
        case .file(let path): return "file \(path)"
        case .data(let bytes): return "inline PEM (\(bytes.count) bytes)"
        }
    }

    public var debugDescription: String { description }
}

/// TLS settings shared by every request of one `HTTPClient`.
public struct TLSConfiguration: Sendable, Equatable {
    /// Certificate authorities to trust. `nil` keeps the system's bundle.
    public var trustRoots: PEMSource?
    /// Client certificate and key for mutual TLS (Kubernetes client-certificate auth).
    public var clientCertificate: PEMSource?
    public var clientKey: PEMSource?
    /// Verify the server's certificate chain. Turning this off is `insecure-skip-tls-verify`.
    public var verifyPeer: Bool
    /// Verify that the certificate names the host in the URL.
    public var verifyHost: Bool

    public init(
        trustRoots: PEMSource? = nil, clientCertificate: PEMSource? = nil, clientKey: PEMSource? = nil,
        verifyPeer: Bool = true, verifyHost: Bool = true
    ) {
        self.trustRoots = trustRoots
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.verifyPeer = verifyPeer
        self.verifyHost = verifyHost
    }
}
