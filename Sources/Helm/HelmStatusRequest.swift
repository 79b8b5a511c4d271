public import Logging

/// One `helm status`: reads a release's state from the management cluster.
public struct HelmStatusRequest: Sendable, Equatable {
    public var release: String
    public var namespace: String
    /// How long the helm process may take (it makes only a few API reads).
    public var timeout: Duration
    public var kubeconfig: HelmKubeconfig?

    /// Added to every log line of this call (`cluster_uuid`, `msg_id`, `request_id`, ...).
    public var logMetadata: Logger.Metadata

    public init(
        release: String,
        namespace: String,
        timeout: Duration = .seconds(60),
        kubeconfig: HelmKubeconfig? = nil,
        logMetadata: Logger.Metadata = [:]
    ) {
        self.logMetadata = logMetadata
        self.release = release
        self.namespace = namespace
        self.timeout = timeout
        self.kubeconfig = kubeconfig
    }
}
