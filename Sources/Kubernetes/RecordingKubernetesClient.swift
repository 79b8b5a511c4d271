public import JSON
import Synchronization

/// One call made through a `RecordingKubernetesClient`.
public struct KubernetesCall: Sendable, Equatable {
    /// get, list, watch, create, update, apply, patch, delete, deletecollection
    public var verb: String
    public var resource: KubernetesResource
    public var namespace: String?
    public var name: String?
    /// What was sent (create/update/apply object, merge patch).
    public var body: JSONValue?
    /// Query-like options: labelSelector, fieldManager, force, propagationPolicy, resourceVersion.
    public var options: JSONObject

    /// `{"verb", "resource": "group/version/plural", "namespace", "name", "body", "options"}`,
    /// with absent fields omitted: one line of a recording.
    public var json: JSONValue {
        var object: JSONObject = ["verb": .string(verb), "resource": .string("\(resource.apiVersion)/\(resource.plural)")]
        if let namespace { object["namespace"] = .string(namespace) }
        if let name { object["name"] = .string(name) }
        if let body { object["body"] = body }
        if !options.isEmpty { object["options"] = .object(options) }
        return .object(object)
    }
}

/// A `KubernetesClient` that records every call in order (for tests and replay) and answers from
/// canned responses, then from an optional underlying client, then with neutral defaults: get →
/// `.notFound`, list/watch → empty, create/update/apply/patch → the object sent, delete → success.
public final class RecordingKubernetesClient: KubernetesClient {
    /// A prepared answer for the next matching call.
    public enum Response: Sendable {
        case object(KubernetesObject)
        case list([KubernetesObject], resourceVersion: String? = nil)
        case events([KubernetesWatchEvent], end: KubernetesError? = nil)
        /// Throws a `KubernetesError` of this kind (with the API server's usual reason).
        case failure(KubernetesError.Kind, message: String = "")
        /// Success without a body (delete).
        case success
    }

    private struct Key: Hashable {
        var verb: String
        var resource: KubernetesResource
        var namespace: String?
        var name: String?
    }

    private struct State {
        var calls: [KubernetesCall] = []
        var canned: [Key: [Response]] = [:]
    }

    private let state = Mutex(State())
    private let base: (any KubernetesClient)?
    /// Replace Secret `data`/`stringData` values with "<redacted>" in the recording.
    public let redactSecretData: Bool

    public init(base: (any KubernetesClient)? = nil, redactSecretData: Bool = false) {
        self.base = base
        self.redactSecretData = redactSecretData
    }

    /// Queues `response` for the next `verb` call on this resource (and namespace/name when given;
    /// nil matches any).
    public func respond(to verb: String, _ resource: KubernetesResource, namespace: String? = nil, name: String? = nil, with response: Response) {
        state.withLock { $0.canned[Key(verb: verb, resource: resource, namespace: namespace, name: name), default: []].append(response) }
    }

    /// Every call so far, in order.
    public var calls: [KubernetesCall] { state.withLock { $0.calls } }

    /// The calls as a JSON array.
    public var recording: JSONValue { .array(calls.map(\.json)) }

    /// The calls as JSON lines (canonical key order), the format of recording files.
    public var recordingJSONLines: String {
        calls.map { String(decoding: $0.json.serialized(.canonical), as: UTF8.self) + "\n" }.joined()
    }

    public func reset() { state.withLock { $0.calls.removeAll() } }

    private func record(_ verb: String, _ resource: KubernetesResource, _ namespace: String?, _ name: String?,
                        body: JSONValue? = nil, options: JSONObject = [:]) -> Response? {
        var recorded = body
        if redactSecretData, resource == .secrets, let body { recorded = Self.redacted(body) }
        let call = KubernetesCall(verb: verb, resource: resource, namespace: namespace, name: name, body: recorded, options: options)
        return state.withLock { s -> Response? in
            s.calls.append(call)
            for key in [Key(verb: verb, resource: resource, namespace: namespace, name: name),
                        Key(verb: verb, resource: resource, namespace: namespace, name: nil),
                        Key(verb: verb, resource: resource, namespace: nil, name: nil)] {
                if var queue = s.canned[key], !queue.isEmpty {
                    let response = queue.removeFirst()
                    s.canned[key] = queue
                    return response
                }
            }
            return nil
        }
    }

    static func redacted(_ body: JSONValue) -> JSONValue {
        guard var object = body.objectValue else { return body }
        for field in ["data", "stringData"] {
            if let values = object[field]?.objectValue {
                object[field] = .object(JSONObject(uniqueKeysWithValues: values.map { ($0.key, JSONValue.string("<redacted>")) }))
            }
        }
        return .object(object)
    }

    private func error(_ kind: KubernetesError.Kind, _ message: String, _ verb: String, _ resource: KubernetesResource,
                       _ namespace: String?, _ name: String?) -> KubernetesError {
        let status: [KubernetesError.Kind: Int] = [
            .badRequest: 400, .unauthorized: 401, .forbidden: 403, .notFound: 404, .conflict: 409, .gone: 410,
            .invalid: 422, .tooManyRequests: 429, .serverError: 500,
        ]
        return KubernetesError(kind: kind, verb: verb, resource: resource.qualifiedName, namespace: namespace, name: name,
                               status: status[kind] ?? 0, message: message)
    }

    private func objectAnswer(_ response: Response?, _ verb: String, _ resource: KubernetesResource, _ namespace: String?,
                              _ name: String?, fallback: () async throws -> KubernetesObject) async throws -> KubernetesObject {
        switch response {
        case .object(let object): return object
        case .failure(let kind, let message): throw error(kind, message, verb, resource, namespace, name)
        case .list(let items, _): return items.first ?? KubernetesObject(.object([:]))
        case .events, .success, .none: return try await fallback()
        }
    }

    // MARK: KubernetesClient

    public func get(_ resource: KubernetesResource, namespace: String?, name: String) async throws -> KubernetesObject {
        let canned = record("get", resource, namespace, name)
        return try await objectAnswer(canned, "get", resource, namespace, name) {
            if let base { return try await base.get(resource, namespace: namespace, name: name) }
            throw error(.notFound, "\(resource.qualifiedName) \"\(name)\" not found", "get", resource, namespace, name)
        }
    }

    public func list(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesList {
        switch record("list", resource, namespace, nil, options: options.recorded) {
        case .list(let items, let resourceVersion): return KubernetesList(items: items, resourceVersion: resourceVersion)
        case .object(let object): return KubernetesList(items: [object])
        case .failure(let kind, let message): throw error(kind, message, "list", resource, namespace, nil)
        default:
            if let base { return try await base.list(resource, namespace: namespace, options: options) }
            return KubernetesList(items: [])
        }
    }

    public func watch(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesWatch {
        switch record("watch", resource, namespace, nil, options: options.recorded) {
        case .events(let events, let end): return KubernetesWatch(events: events, resource: resource, namespace: namespace, end: end)
        case .failure(let kind, let message): throw error(kind, message, "watch", resource, namespace, nil)
        default:
            if let base { return try await base.watch(resource, namespace: namespace, options: options) }
            return KubernetesWatch(events: [], resource: resource, namespace: namespace)
        }
    }

    public func create(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject {
        let canned = record("create", resource, namespace, object.name, body: object.json)
        return try await objectAnswer(canned, "create", resource, namespace, object.name) {
            if let base { return try await base.create(resource, namespace: namespace, object: object) }
            return object
        }
    }

    public func update(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject {
        let canned = record("update", resource, namespace, object.name, body: object.json)
        return try await objectAnswer(canned, "update", resource, namespace, object.name) {
            if let base { return try await base.update(resource, namespace: namespace, object: object) }
            return object
        }
    }

    public func apply(_ resource: KubernetesResource, namespace: String?, name: String, object: KubernetesObject,
                      fieldManager: String, force: Bool) async throws -> KubernetesObject {
        let canned = record("apply", resource, namespace, name, body: object.json,
                            options: ["fieldManager": .string(fieldManager), "force": .bool(force)])
        return try await objectAnswer(canned, "apply", resource, namespace, name) {
            if let base {
                return try await base.apply(resource, namespace: namespace, name: name, object: object, fieldManager: fieldManager, force: force)
            }
            return object
        }
    }

    public func mergePatch(_ resource: KubernetesResource, namespace: String?, name: String, patch: JSONValue) async throws -> KubernetesObject {
        let canned = record("patch", resource, namespace, name, body: patch)
        return try await objectAnswer(canned, "patch", resource, namespace, name) {
            if let base { return try await base.mergePatch(resource, namespace: namespace, name: name, patch: patch) }
            return KubernetesObject(patch)
        }
    }

    public func delete(_ resource: KubernetesResource, namespace: String?, name: String, propagationPolicy: PropagationPolicy?) async throws {
        var options: JSONObject = [:]
        if let propagationPolicy { options["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        switch record("delete", resource, namespace, name, options: options) {
        case .failure(let kind, let message): throw error(kind, message, "delete", resource, namespace, name)
        case .success, .object, .list, .events: return
        case .none:
            if let base { try await base.delete(resource, namespace: namespace, name: name, propagationPolicy: propagationPolicy) }
        }
    }

    public func deleteCollection(_ resource: KubernetesResource, namespace: String?, labelSelector: String,
                                 propagationPolicy: PropagationPolicy?) async throws {
        var options: JSONObject = ["labelSelector": .string(labelSelector)]
        if let propagationPolicy { options["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        switch record("deletecollection", resource, namespace, nil, options: options) {
        case .failure(let kind, let message): throw error(kind, message, "deletecollection", resource, namespace, nil)
        case .success, .object, .list, .events: return
        case .none:
            if let base {
                try await base.deleteCollection(resource, namespace: namespace, labelSelector: labelSelector, propagationPolicy: propagationPolicy)
            }
        }
    }
}

extension ListOptions {
    var recorded: JSONObject {
        var object: JSONObject = [:]
        if let labelSelector { object["labelSelector"] = .string(labelSelector) }
        if let fieldSelector { object["fieldSelector"] = .string(fieldSelector) }
        if let limit { object["limit"] = .int(Int64(limit)) }
        if let continueToken { object["continue"] = .string(continueToken) }
        if let resourceVersion { object["resourceVersion"] = .string(resourceVersion) }
        if allowBookmarks { object["allowWatchBookmarks"] = .bool(true) }
        if let timeoutSeconds { object["timeoutSeconds"] = .int(Int64(timeoutSeconds)) }
        return object
    }
}
