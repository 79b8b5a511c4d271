/// The five boundaries the driver crosses. The worker fills them with the real Helm, Kubernetes,
/// OpenStack, certificate and ClusterStore adapters; tests and `driver-case` with recording ones.
public struct DriverPorts: Sendable {
    public var helm: any HelmPort
    public var kubernetes: any KubernetesPort
    public var openStack: any OpenStackPort
    public var certificates: any CertificatePort
    public var store: any ClusterPersistence

    public init(helm: any HelmPort, kubernetes: any KubernetesPort, openStack: any OpenStackPort,
                certificates: any CertificatePort, store: any ClusterPersistence) {
        self.helm = helm
        self.kubernetes = kubernetes
        self.openStack = openStack
        self.certificates = certificates
        self.store = store
    }
}
