/// One `helm status`: reads a release's state from the management cluster.
public struct HelmStatusRequest: Sendable, Equatable {
    public var release: String
    public var namespace: String
    /// How long the helm process may take (it makes only a few API reads).
    public var timeout: Duration
    public var kubeconfig: HelmKubeconfig?

    public init(
        release: String,
        namespace: String,
        timeout: Duration = .seconds(60),
        kubeconfig: HelmKubeconfig? = nil
    ) {
        self.release = release
        self.namespace = namespace
        self.timeout = timeout
        self.kubeconfig = kubeconfig
    }
}
