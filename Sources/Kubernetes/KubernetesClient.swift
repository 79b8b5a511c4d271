public import JSON

/// How objects are deleted: the API server's `propagationPolicy`.
public enum PropagationPolicy: String, Sendable {
    case foreground = "Foreground"
    case background = "Background"
    case orphan = "Orphan"
}

/// Options of a list or watch.
public struct ListOptions: Sendable, Equatable {
    /// `labelSelector`, e.g. `magnum.openstack.org/cluster-uuid=…,!foo`.
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; nil for everything at once.
    public var limit: Int?
    public var continueToken: String?
    /// For a watch: where to start; nil or "0" replays the current state as ADDED events first.
    public var resourceVersion: String?
    /// For a watch: ask for BOOKMARK events carrying newer resourceVersions.
    public var allowBookmarks: Bool
    /// For a watch: the server ends the stream after this many seconds.
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
                resourceVersion: String? = nil, allowBookmarks: Bool = false, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    /// `key=value,…` (sorted by key, as a stable selector for the same labels).
    public static func labels(_ labels: [String: String]) -> ListOptions {
        ListOptions(labelSelector: labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
    }
}

/// The Kubernetes API as the worker uses it, generic over `KubernetesResource`. The real
/// implementation is `KubernetesAPIClient` (libcurl); `RecordingKubernetesClient` records every
/// call for tests and replay. Failures are `KubernetesError`.
public protocol KubernetesClient: Sendable {
    /// GET one object; throws `.notFound` when it does not exist (see `find`).
    func get(_ resource: KubernetesResource, namespace: String?, name: String) async throws -> KubernetesObject

    /// One page of a list (follow `continueToken`, or use `listAll`).
    func list(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesList

    /// A watch stream from `options.resourceVersion`. Ends when the server closes it; throws
    /// `.gone` when the resourceVersion is too old (list again, then watch from the list's).
    func watch(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesWatch

    /// POST a new object; `.conflict` (AlreadyExists) when the name is taken.
    func create(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject

    /// PUT a whole object; `.conflict` when its `metadata.resourceVersion` is stale.
    func update(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject

    /// Server-side apply (`application/apply-patch+yaml`) as `fieldManager`; creates the object if
    /// needed. `force` takes over fields owned by other managers (the Python driver always forces).
    func apply(_ resource: KubernetesResource, namespace: String?, name: String, object: KubernetesObject,
               fieldManager: String, force: Bool) async throws -> KubernetesObject

    /// JSON merge patch (RFC 7386, `application/merge-patch+json`).
    func mergePatch(_ resource: KubernetesResource, namespace: String?, name: String, patch: JSONValue) async throws -> KubernetesObject

    /// DELETE one object; `.notFound` when it is already gone.
    func delete(_ resource: KubernetesResource, namespace: String?, name: String, propagationPolicy: PropagationPolicy?) async throws

    /// DELETE a collection by label selector (what `delete_all_secrets_by_label` does).
    func deleteCollection(_ resource: KubernetesResource, namespace: String?, labelSelector: String,
                          propagationPolicy: PropagationPolicy?) async throws
}

extension KubernetesClient {
    /// The object, or nil when it does not exist (the Python driver's `fetch`).
    public func find(_ resource: KubernetesResource, namespace: String?, name: String) async throws -> KubernetesObject? {
        do {
            return try await get(resource, namespace: namespace, name: name)
        } catch let error as KubernetesError where error.kind == .notFound {
            return nil
        }
    }

    /// Every page of a list (the Python driver's `fetch_all_by_label`).
    public func listAll(_ resource: KubernetesResource, namespace: String?, options: ListOptions = ListOptions()) async throws -> KubernetesList {
        var options = options
        var items: [KubernetesObject] = []
        var resourceVersion: String?
        while true {
            let page = try await list(resource, namespace: namespace, options: options)
            items += page.items
            resourceVersion = resourceVersion ?? page.resourceVersion
            guard let next = page.continueToken, !next.isEmpty else { break }
            options.continueToken = next
        }
        return KubernetesList(items: items, resourceVersion: resourceVersion)
    }

    /// Deletes, treating "already gone" as success.
    public func deleteIfPresent(_ resource: KubernetesResource, namespace: String?, name: String,
                                propagationPolicy: PropagationPolicy? = nil) async throws -> Bool {
        do {
            try await delete(resource, namespace: namespace, name: name, propagationPolicy: propagationPolicy)
            return true
        } catch let error as KubernetesError where error.kind == .notFound {
            return false
        }
    }

    /// Creates the namespace if missing (the Python driver applies it; this does the same).
    public func ensureNamespace(_ name: String, fieldManager: String = "magnum") async throws {
        _ = try await apply(.namespaces, namespace: nil, name: name,
                            object: KubernetesObject(apiVersion: "v1", kind: "Namespace", name: name),
                            fieldManager: fieldManager, force: true)
    }
}
