public import MagnumObjects

/// The certificate authorities Magnum keeps per cluster, and the cluster field that refers to
/// each one's `X509KeyPair`.
///
/// `serviceAccount` is not a CA: it is the "Magnum-Conductor" admin client key pair
/// (`magnum_cert_ref`), whose key the capi-helm driver installs as the cluster's service-account
/// signing key (`<cluster>-sa` secret).
public enum ClusterCAType: String, Sendable, CaseIterable {
    case kubernetes
    case etcd
    case frontProxy = "front-proxy"
    case serviceAccount = "service-account"

    /// How Magnum maps the API's `ca_cert_type` to a CA (`cert_manager.get_cluster_ca_certificate`
    /// and `sign_node_certificate`): `etcd`, `front_proxy` / `front-proxy`, and anything else —
    /// absent, `kubernetes` or unknown — is the Kubernetes CA.
    public init(magnumCACertType: String?) {
        switch magnumCACertType {
        case "etcd": self = .etcd
        case "front_proxy", "front-proxy": self = .frontProxy
        default: self = .kubernetes
        }
    }

    /// The `Cluster` field that holds this key pair's uuid.
    public var clusterField: String {
        switch self {
        case .kubernetes: return "ca_cert_ref"
        case .etcd: return "etcd_ca_cert_ref"
        case .frontProxy: return "front_proxy_ca_cert_ref"
        case .serviceAccount: return "magnum_cert_ref"
        }
    }

    /// The suffix of the Secret the capi-helm driver writes for it (`<release>-ca`, `-etcd`,
    /// `-proxy`, `-sa`), which Cluster API reads instead of generating its own.
    public var capiHelmSecretSuffix: String {
        switch self {
        case .kubernetes: return "ca"
        case .etcd: return "etcd"
        case .frontProxy: return "proxy"
        case .serviceAccount: return "sa"
        }
    }

    public func ref(in cluster: Cluster) -> String? {
        switch self {
        case .kubernetes: return cluster.caCertRef
        case .etcd: return cluster.etcdCACertRef
        case .frontProxy: return cluster.frontProxyCACertRef
        case .serviceAccount: return cluster.magnumCertRef
        }
    }

    public func setRef(_ ref: String?, in cluster: inout Cluster) {
        switch self {
        case .kubernetes: cluster.caCertRef = ref
        case .etcd: cluster.etcdCACertRef = ref
        case .frontProxy: cluster.frontProxyCACertRef = ref
        case .serviceAccount: cluster.magnumCertRef = ref
        }
    }
}
