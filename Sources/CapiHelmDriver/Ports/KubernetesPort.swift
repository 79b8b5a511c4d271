public import JSON
public import OrderedCollections

/// A Kubernetes label selector in the order it is written (`k1=v1,k2=v2`).
public typealias LabelSelector = OrderedDictionary<String, String>

/// What the driver reads and writes on the Cluster API management cluster: the methods of
/// magnum-capi-helm's `kubernetes.Client` the driver uses, plus `annotateMachine` for
/// `nodes_to_remove`. Reads return the object as the API server returns it (JSON), or `nil` /
/// `[]` when it is not there (HTTP 404); other failures throw.
///
/// Resources (default API versions; `[capi_helm] api_resources` may override them):
/// Namespace and Secret `v1`; Cluster, MachineDeployment, Machine `cluster.x-k8s.io/v1beta1`;
/// KubeadmControlPlane `controlplane.cluster.x-k8s.io/v1beta1` (`kubeadmcontrolplanes`);
/// OpenStackCluster `infrastructure.cluster.x-k8s.io/v1beta1`; HelmRelease and Manifests
/// `addons.stackhpc.com/v1alpha1`; HelmChartProxy `addons.cluster.x-k8s.io/v1alpha1`.
public protocol KubernetesPort: Sendable {
    /// Server-side apply of the Namespace (`fieldManager=magnum`, `force=true`).
    func ensureNamespace(_ namespace: String) async throws
    /// Server-side apply of a Secret: `body` has `metadata.labels`, `stringData` and maybe `type`;
    /// the adapter adds `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`.
    func applySecret(name: String, body: JSONValue, namespace: String) async throws
    /// `DELETE /api/v1/namespaces/<ns>/secrets?labelSelector=<label>=<value>`.
    func deleteAllSecrets(label: String, value: String, namespace: String) async throws
    /// The base64-decoded `data[key]` of a Secret; `nil` when the Secret or the key is missing.
    func secretValue(name: String, namespace: String, key: String) async throws -> String?
    func capiCluster(name: String, namespace: String) async throws -> JSONValue?
    func openStackCluster(name: String, namespace: String) async throws -> JSONValue?
    func controlPlane(name: String, namespace: String) async throws -> JSONValue?
    func machineDeployment(name: String, namespace: String) async throws -> JSONValue?
    /// HelmReleases and Manifests (then HelmChartProxies) matching the labels; a kind whose CRD
    /// is missing (404) contributes nothing.
    func addons(labels: LabelSelector, namespace: String) async throws -> [JSONValue]
    /// Machines matching the labels, every page.
    func machines(labels: LabelSelector, namespace: String) async throws -> [JSONValue]
    /// Merge-patches `metadata.annotations` of a Machine (not done by magnum-capi-helm).
    func annotateMachine(name: String, namespace: String, annotations: [String: String]) async throws
}
