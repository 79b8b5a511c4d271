/// What the REST paths of one kind of object look like: API group, version, plural and whether it
/// lives in a namespace. Generic clients, the recording client and the fake server all key on it.
public struct KubernetesResource: Hashable, Sendable, CustomStringConvertible {
    /// Empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    public var plural: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `v1` or `group/version`, as in an object's `apiVersion`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `secrets` or `clusters.cluster.x-k8s.io`, as the API server names resources in messages.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public var description: String { "\(qualifiedName) (\(apiVersion))" }

    /// `/api/v1/namespaces/ns/secrets[/name]`, `/apis/group/version/...`.
    public func path(namespace: String?, name: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(KubernetesResource.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(KubernetesResource.escape(name))" }
        return path
    }

    /// The same resource at another API version (Cluster API v1beta1 → v1beta2).
    public func at(version: String) -> KubernetesResource {
        var copy = self
        copy.version = version
        return copy
    }

    static func escape(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "@"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    // MARK: Core and coordination

    public static let namespaces = KubernetesResource(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false)
    public static let secrets = KubernetesResource(group: "", version: "v1", plural: "secrets", kind: "Secret")
    public static let leases = KubernetesResource(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")

    // MARK: Cluster API (what the capi-helm driver reads), v1beta1 by default

    public static let clusters = KubernetesResource(group: "cluster.x-k8s.io", version: "v1beta1", plural: "clusters", kind: "Cluster")
    public static let machineDeployments = KubernetesResource(group: "cluster.x-k8s.io", version: "v1beta1", plural: "machinedeployments", kind: "MachineDeployment")
    public static let machines = KubernetesResource(group: "cluster.x-k8s.io", version: "v1beta1", plural: "machines", kind: "Machine")
    public static let kubeadmControlPlanes = KubernetesResource(group: "controlplane.cluster.x-k8s.io", version: "v1beta1", plural: "kubeadmcontrolplanes", kind: "KubeadmControlPlane")
    public static let openStackClusters = KubernetesResource(group: "infrastructure.cluster.x-k8s.io", version: "v1beta1", plural: "openstackclusters", kind: "OpenStackCluster")

    // MARK: Addon providers

    public static let helmReleases = KubernetesResource(group: "addons.stackhpc.com", version: "v1alpha1", plural: "helmreleases", kind: "HelmRelease")
    public static let manifests = KubernetesResource(group: "addons.stackhpc.com", version: "v1alpha1", plural: "manifests", kind: "Manifests")
    public static let helmChartProxies = KubernetesResource(group: "addons.cluster.x-k8s.io", version: "v1alpha1", plural: "helmchartproxies", kind: "HelmChartProxy")

    /// Every resource above, for fakes and discovery checks.
    public static let known: [KubernetesResource] = [
        .namespaces, .secrets, .leases, .clusters, .machineDeployments, .machines, .kubeadmControlPlanes,
        .openStackClusters, .helmReleases, .manifests, .helmChartProxies,
    ]

    /// True for built-in types (served by kube-apiserver itself), false for custom resources.
    public var isBuiltIn: Bool { group.isEmpty || group.hasSuffix(".k8s.io") && !group.hasSuffix(".x-k8s.io") }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
