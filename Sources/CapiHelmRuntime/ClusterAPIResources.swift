import JSON
public import Kubernetes

/// The Cluster API and addon resources the driver reads, at the API versions magnum-capi-helm
/// uses (v1beta1) unless `[capi_helm] api_resources` names others (its keys: `Cluster`,
/// `OpenstackCluster`, `MachineDeployment`, `K8sControlPlane` (with `plural_name`), `Machine`,
/// `Manifests`, `HelmRelease`, `HelmChartProxy`, each `{"api_version": "group/version"}`).
public struct ClusterAPIResources: Sendable, Equatable {
    public var cluster = KubernetesResource.clusters
    public var openStackCluster = KubernetesResource.openStackClusters
    public var machineDeployment = KubernetesResource.machineDeployments
    public var controlPlane = KubernetesResource.kubeadmControlPlanes
    public var machine = KubernetesResource.machines
    public var manifests = KubernetesResource.manifests
    public var helmRelease = KubernetesResource.helmReleases
    public var helmChartProxy = KubernetesResource.helmChartProxies
    /// The `api_resources` keys the operator set: those versions are used as they are (no
    /// v1beta2 fallback).
    public var configured: Set<String> = []

    public init() {}

    /// Reads `[capi_helm] api_resources` (JSON text, already checked to be an object).
    public init(apiResources text: String) throws(ResourceOverrideError) {
        self.init()
        guard let json = try? JSONValue(parsing: Array(text.utf8)), let overrides = json.objectValue else {
            throw ResourceOverrideError(key: nil, message: "[capi_helm] api_resources is not a JSON object")
        }
        func apply(_ key: String, _ keyPath: WritableKeyPath<ClusterAPIResources, KubernetesResource>, plural: Bool = false) throws(ResourceOverrideError) {
            guard let entry = overrides[key] else { return }
            configured.insert(key)
            if let apiVersion = entry["api_version"]?.stringValue {
                let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                switch parts.count {
                case 1 where !parts[0].isEmpty:
                    self[keyPath: keyPath].group = ""
                    self[keyPath: keyPath].version = parts[0]
                case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
                    self[keyPath: keyPath].group = parts[0]
                    self[keyPath: keyPath].version = parts[1]
                default:
                    throw ResourceOverrideError(key: key, message: "api_version \(apiVersion.debugDescription) is not group/version")
                }
            }
            // Like magnum-capi-helm, only the control plane's plural name can be changed.
            if plural, let name = entry["plural_name"]?.stringValue, !name.isEmpty {
                self[keyPath: keyPath].plural = name
            }
        }
        try apply("Cluster", \.cluster)
        try apply("OpenstackCluster", \.openStackCluster)
        try apply("MachineDeployment", \.machineDeployment)
        try apply("K8sControlPlane", \.controlPlane, plural: true)
        try apply("Machine", \.machine)
        try apply("Manifests", \.manifests)
        try apply("HelmRelease", \.helmRelease)
        try apply("HelmChartProxy", \.helmChartProxy)
    }

    /// The resources that may fall back from v1beta1 to v1beta2 (Cluster API core and kubeadm
    /// control plane, when not configured).
    func mayFallBack(_ resource: KubernetesResource) -> Bool {
        guard resource.version == "v1beta1" else { return false }
        let pairs: [(String, KubernetesResource)] = [
            ("Cluster", cluster), ("MachineDeployment", machineDeployment), ("K8sControlPlane", controlPlane), ("Machine", machine),
        ]
        return pairs.contains { $0.1 == resource && !configured.contains($0.0) }
    }
}

/// `[capi_helm] api_resources` names a version that is not `group/version`.
public struct ResourceOverrideError: Error, Sendable, CustomStringConvertible {
    public let key: String?
    public let message: String
    public var description: String { key.map { "[capi_helm] api_resources \($0): \(message)" } ?? message }
}
