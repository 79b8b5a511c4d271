public import Logging

/// One `helm uninstall` (cluster deletion). A release that is already gone is the desired state.
public struct HelmUninstallRequest: Sendable, Equatable {
    public var release: String
    public var namespace: String
    public var timeout: Duration
    public var kubeconfig: HelmKubeconfig?

    /// Added to every log line of this call (`cluster_uuid`, `msg_id`, `request_id`, ...).
    public var logMetadata: Logger.Metadata

    public init(
        release: String,
        namespace: String,
        timeout: Duration = HelmUpgradeRequest.defaultTimeout,
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

/// What `helm uninstall` found.
public enum HelmUninstallResult: Sendable, Equatable {
    /// helm removed the release (its resources are now being deleted by Cluster API).
    case uninstalled(release: String)
    /// helm said `release: not found`; nothing to do (the Python driver ignores this too).
    case releaseNotFound(release: String)
}
