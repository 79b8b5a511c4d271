public import CapiHelmDriver
import Foundation
public import JSON
public import Kubernetes
public import Logging
import Synchronization

/// The driver's `KubernetesPort` on a `KubernetesClient`: magnum-capi-helm's
/// `kubernetes.Client`, call for call.
///
/// - Namespaces and Secrets are written with server-side apply (`PATCH
///   application/apply-patch+yaml`, `fieldManager=magnum`, `force=true`): the Secret's
///   `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` are added to the driver's
///   body (labels, `type`, `stringData`), exactly as `Resource.apply` does. Applying again
///   replaces what magnum applied before and leaves other managers' fields alone.
/// - Reads answer `nil` / `[]` for 404; other failures throw `KubernetesError`.
/// - Cluster API resources are read at v1beta1 (or the `[capi_helm] api_resources` version).
///   When a management cluster no longer serves v1beta1 ("the server could not find the
///   requested resource"), the resource is read at v1beta2 from then on and shown to the driver
///   in its v1beta1 form (`ClusterAPIV1Beta2`).
public final class KubernetesClientPort: KubernetesPort {
    public let client: any KubernetesClient
    public let resources: ClusterAPIResources
    public static let fieldManager = "magnum"
    let logger: Logger
    /// Resources (by group/plural) found served only at v1beta2.
    let fallenBack = Mutex<Set<String>>([])

    public init(client: any KubernetesClient, resources: ClusterAPIResources = ClusterAPIResources(), logger: Logger) {
        self.client = client
        self.resources = resources
        self.logger = logger
    }

    // MARK: Writes

    public func ensureNamespace(_ namespace: String) async throws {
        try await client.ensureNamespace(namespace, fieldManager: Self.fieldManager)
    }

    public func applySecret(name: String, body: JSONValue, namespace: String) async throws {
        var object = body.objectValue ?? [:]
        object["apiVersion"] = "v1"
        object["kind"] = "Secret"
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        object["metadata"] = .object(metadata)
        _ = try await client.apply(.secrets, namespace: namespace, name: name, object: KubernetesObject(.object(object)),
                                   fieldManager: Self.fieldManager, force: true)
        logger.debug("Secret applied", metadata: ["secret": "\(namespace)/\(name)"])
    }

    public func deleteAllSecrets(label: String, value: String, namespace: String) async throws {
        try await client.deleteCollection(.secrets, namespace: namespace, labelSelector: "\(label)=\(value)", propagationPolicy: nil)
    }

    public func annotateMachine(name: String, namespace: String, annotations: [String: String]) async throws {
        var object = JSONObject()
        for key in annotations.keys.sorted() { object[key] = .string(annotations[key] ?? "") }
        let values = object
        _ = try await withServedVersion(resources.machine) { resource in
            try await self.client.mergePatch(resource, namespace: namespace, name: name, patch: ["metadata": ["annotations": .object(values)]])
        }
    }

    // MARK: Reads

    public func secretValue(name: String, namespace: String, key: String) async throws -> String? {
        guard let secret = try await client.find(.secrets, namespace: namespace, name: name),
              let encoded = secret["data"]?[key]?.stringValue,
              let bytes = Data(base64Encoded: encoded)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func capiCluster(name: String, namespace: String) async throws -> JSONValue? {
        try await fetch(resources.cluster, name: name, namespace: namespace)
    }

    public func openStackCluster(name: String, namespace: String) async throws -> JSONValue? {
        try await fetch(resources.openStackCluster, name: name, namespace: namespace)
    }

    public func controlPlane(name: String, namespace: String) async throws -> JSONValue? {
        try await fetch(resources.controlPlane, name: name, namespace: namespace)
    }

    public func machineDeployment(name: String, namespace: String) async throws -> JSONValue? {
        try await fetch(resources.machineDeployment, name: name, namespace: namespace)
    }

    /// HelmReleases, then Manifests, then HelmChartProxies with the labels; a kind the cluster
    /// does not serve (404) contributes nothing.
    public func addons(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        let selector = Self.selector(labels)
        var addons: [JSONValue] = []
        for resource in [resources.helmRelease, resources.manifests, resources.helmChartProxy] {
            do {
                let list = try await client.listAll(resource, namespace: namespace, options: ListOptions(labelSelector: selector))
                addons += list.items.map(\.json)
            } catch let error as KubernetesError where error.kind == .notFound {
                continue
            }
        }
        return addons
    }

    public func machines(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        let selector = Self.selector(labels)
        return try await withServedVersion(resources.machine) { resource in
            let list = try await self.client.listAll(resource, namespace: namespace, options: ListOptions(labelSelector: selector))
            return list.items.map { Self.view($0.json, at: resource) }
        }
    }

    /// `k1=v1,k2=v2` in the driver's order, as Python joins `labels.items()`.
    static func selector(_ labels: LabelSelector) -> String {
        labels.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The object, `nil` when it does not exist (or the cluster serves its kind at no version we
    /// know, which Python's `fetch` also reads as "not there").
    func fetch(_ resource: KubernetesResource, name: String, namespace: String) async throws -> JSONValue? {
        do {
            return try await withServedVersion(resource) { resource in
                do {
                    return Self.view(try await self.client.get(resource, namespace: namespace, name: name).json, at: resource)
                } catch let error as KubernetesError where error.kind == .notFound && !Self.isUnservedResource(error) {
                    return nil
                }
            }
        } catch let error as KubernetesError where error.kind == .notFound {
            return nil
        }
    }

    static func view(_ object: JSONValue, at resource: KubernetesResource) -> JSONValue {
        resource.version == "v1beta2" ? ClusterAPIV1Beta2.v1beta1View(object) : object
    }

    // MARK: v1beta1 → v1beta2

    static func key(_ resource: KubernetesResource) -> String { "\(resource.group)/\(resource.plural)" }

    /// Runs `body` at v1beta1, or at v1beta2 when the cluster was found to serve only that.
    func withServedVersion<T: Sendable>(_ resource: KubernetesResource,
                                        _ body: @Sendable (KubernetesResource) async throws -> T) async throws -> T {
        guard resources.mayFallBack(resource) else { return try await body(resource) }
        let v1beta2 = resource.at(version: "v1beta2")
        if fallenBack.withLock({ $0.contains(Self.key(resource)) }) { return try await body(v1beta2) }
        do {
            return try await body(resource)
        } catch let error as KubernetesError where Self.isUnservedResource(error) {
            let result = try await body(v1beta2)
            fallenBack.withLock { _ = $0.insert(Self.key(resource)) }
            logger.notice("The management cluster does not serve \(resource.qualifiedName) at v1beta1: reading it at v1beta2",
                          metadata: ["resource": "\(resource.qualifiedName)"])
            return result
        }
    }

    /// kube-apiserver's answer for a path no API serves (an unknown group, version or
    /// resource), as opposed to an object that does not exist.
    static func isUnservedResource(_ error: KubernetesError) -> Bool {
        error.kind == .notFound && error.message == "the server could not find the requested resource"
    }
}
