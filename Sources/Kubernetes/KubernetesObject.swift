public import JSON

/// One Kubernetes object as JSON, with typed accessors for what callers read everywhere
/// (metadata, conditions, phase). The JSON stays the source of truth, so unknown fields survive a
/// read-modify-write.
public struct KubernetesObject: Sendable, Equatable, CustomStringConvertible {
    public var json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public init(apiVersion: String, kind: String, name: String, namespace: String? = nil, labels: [String: String] = [:], extra: JSONObject? = nil) {
        var metadata: JSONObject = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        if !labels.isEmpty {
            metadata["labels"] = .object(JSONObject(uniqueKeysWithValues: labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        }
        var object: JSONObject = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": .object(metadata)]
        for (key, value) in extra ?? JSONObject() { object[key] = value }
        json = .object(object)
    }

    public subscript(key: String) -> JSONValue? { json[key] }

    public var apiVersion: String? { json["apiVersion"]?.stringValue }
    public var kind: String? { json["kind"]?.stringValue }
    public var metadata: JSONValue { json["metadata"] ?? .object([:]) }
    public var name: String? { metadata["name"]?.stringValue }
    public var namespace: String? { metadata["namespace"]?.stringValue }
    public var uid: String? { metadata["uid"]?.stringValue }
    public var resourceVersion: String? { metadata["resourceVersion"]?.stringValue }
    public var generation: Int? { metadata["generation"]?.intValue }
    public var creationTimestamp: String? { metadata["creationTimestamp"]?.stringValue }
    public var deletionTimestamp: String? { metadata["deletionTimestamp"]?.stringValue }
    public var isDeleting: Bool { deletionTimestamp != nil }

    public var labels: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in metadata["labels"]?.objectValue ?? [:] {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }

    public var annotations: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in metadata["annotations"]?.objectValue ?? [:] {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }

    public var spec: JSONValue? { json["spec"] }
    public var status: JSONValue? { json["status"] }
    /// `status.phase` (MachineDeployment, Machine, HelmRelease, Manifests, Namespace...).
    public var phase: String? { json["status"]?["phase"]?.stringValue }
    /// `status.observedGeneration`.
    public var observedGeneration: Int? { json["status"]?["observedGeneration"]?.intValue }

    /// `status.conditions` (Cluster API and Kubernetes conventions), in server order.
    public var conditions: [KubernetesCondition] {
        (json["status"]?["conditions"]?.arrayValue ?? []).compactMap(KubernetesCondition.init(json:))
    }

    public func condition(_ type: String) -> KubernetesCondition? {
        conditions.first { $0.type == type }
    }

    /// True when the condition exists with status "True".
    public func isTrue(_ type: String) -> Bool { condition(type)?.status == "True" }

    public var description: String {
        "\(kind ?? "object") \(namespace.map { "\($0)/" } ?? "")\(name ?? "?")"
    }
}

/// One entry of `status.conditions`.
public struct KubernetesCondition: Sendable, Equatable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String?
    public var message: String?
    public var severity: String?
    public var lastTransitionTime: String?

    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        self.type = type
        self.status = json["status"]?.stringValue ?? "Unknown"
        self.reason = json["reason"]?.stringValue
        self.message = json["message"]?.stringValue
        self.severity = json["severity"]?.stringValue
        self.lastTransitionTime = json["lastTransitionTime"]?.stringValue
    }
}

/// One page of a list.
public struct KubernetesList: Sendable {
    public var items: [KubernetesObject]
    /// The collection's resourceVersion: start a watch from here.
    public var resourceVersion: String?
    /// Token for the next page; nil on the last page.
    public var continueToken: String?

    public init(items: [KubernetesObject], resourceVersion: String? = nil, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// One event of a watch.
public struct KubernetesWatchEvent: Sendable, Equatable {
    public enum EventType: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        /// Carries only a newer resourceVersion (`allowWatchBookmarks`).
        case bookmark = "BOOKMARK"
    }

    public var type: EventType
    public var object: KubernetesObject

    public init(type: EventType, object: KubernetesObject) {
        self.type = type
        self.object = object
    }
}
