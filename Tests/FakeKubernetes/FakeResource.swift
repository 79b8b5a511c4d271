/// A resource the fake API server serves. Its own table, deliberately not shared with the
/// client's `KubernetesResource`, so a wrong path in the client shows up as a 404 here.
public struct FakeResource: Hashable, Sendable {
    public var group: String
    /// Versions served; objects are stored once and shown at the version asked for.
    public var versions: [String]
    public var plural: String
    public var kind: String
    public var namespaced: Bool
    /// Writes to the main resource leave `status` alone; `/status` writes only change `status`.
    public var hasStatusSubresource: Bool

    public init(group: String, versions: [String], plural: String, kind: String, namespaced: Bool, hasStatusSubresource: Bool) {
        self.group = group
        self.versions = versions
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatusSubresource = hasStatusSubresource
    }

    /// Built-in types omit apiVersion/kind on list items and `continue` when empty; custom
    /// resources (served as unstructured objects) keep both.
    public var isBuiltIn: Bool { group.isEmpty || group == "coordination.k8s.io" }
    /// `secrets`, `clusters.cluster.x-k8s.io`: how the API server names it in messages.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }

    public static let standard: [FakeResource] = [
        FakeResource(group: "", versions: ["v1"], plural: "namespaces", kind: "Namespace", namespaced: false, hasStatusSubresource: true),
        FakeResource(group: "", versions: ["v1"], plural: "secrets", kind: "Secret", namespaced: true, hasStatusSubresource: false),
        FakeResource(group: "", versions: ["v1"], plural: "configmaps", kind: "ConfigMap", namespaced: true, hasStatusSubresource: false),
        FakeResource(group: "coordination.k8s.io", versions: ["v1"], plural: "leases", kind: "Lease", namespaced: true, hasStatusSubresource: false),
        FakeResource(group: "cluster.x-k8s.io", versions: ["v1beta1", "v1beta2"], plural: "clusters", kind: "Cluster", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "cluster.x-k8s.io", versions: ["v1beta1", "v1beta2"], plural: "machinedeployments", kind: "MachineDeployment", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "cluster.x-k8s.io", versions: ["v1beta1", "v1beta2"], plural: "machines", kind: "Machine", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "controlplane.cluster.x-k8s.io", versions: ["v1beta1", "v1beta2"], plural: "kubeadmcontrolplanes", kind: "KubeadmControlPlane", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "infrastructure.cluster.x-k8s.io", versions: ["v1beta1"], plural: "openstackclusters", kind: "OpenStackCluster", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "addons.stackhpc.com", versions: ["v1alpha1"], plural: "helmreleases", kind: "HelmRelease", namespaced: true, hasStatusSubresource: true),
        FakeResource(group: "addons.stackhpc.com", versions: ["v1alpha1"], plural: "manifests", kind: "Manifests", namespaced: true, hasStatusSubresource: true),
    ]
}
