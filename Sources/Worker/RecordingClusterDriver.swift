public import ClusterStore
public import JSON
public import MagnumObjects
public import OrderedCollections
public import OsloMessaging
import Synchronization

/// What a scripted driver call does, in this order: change and save nodegroups of the cluster
/// (by name), destroy nodegroups, change and save the cluster, change the nodegroup argument
/// (saving it when `saveNodeGroup`), then fail when `failure` is set. `health` is what
/// `clusterHealth` reports.
///
/// The JSON form (`init(json:)`) is shared with the Python fake driver of
/// `tools/peers/magnum_conductor.py`, so both conductors can be given the same script:
/// `{"cluster": {...}, "nodegroups": {"name": {...}}, "destroy_nodegroups": [...],
///   "nodegroup": {...}, "save_nodegroup": bool, "health": {...} | null,
///   "raise": {"class": "InvalidParameterValue", "kwargs": {...}} | {"builtin": "NotImplementedError", "message": "..."}}`
public struct DriverStep: Sendable, Equatable {
    public var cluster: JSONObject
    public var nodeGroups: OrderedDictionary<String, JSONObject>
    public var destroyNodeGroups: [String]
    public var nodeGroup: JSONObject
    public var saveNodeGroup: Bool
    /// For `clusterHealth`: `.some(nil)` is "no monitor".
    public var health: ClusterHealthReport??
    public var failure: DriverFailure?

    public init(cluster: JSONObject = [:], nodeGroups: OrderedDictionary<String, JSONObject> = [:], destroyNodeGroups: [String] = [],
                nodeGroup: JSONObject = [:], saveNodeGroup: Bool = false, health: ClusterHealthReport?? = .none,
                failure: DriverFailure? = nil) {
        self.cluster = cluster
        self.nodeGroups = nodeGroups
        self.destroyNodeGroups = destroyNodeGroups
        self.nodeGroup = nodeGroup
        self.saveNodeGroup = saveNodeGroup
        self.health = health
        self.failure = failure
    }

    /// A step that only fails.
    public static func fail(_ error: MagnumError) -> DriverStep { DriverStep(failure: .magnum(error)) }

    /// A step that sets (and saves) cluster fields.
    public static func cluster(_ fields: JSONObject) -> DriverStep { DriverStep(cluster: fields) }

    public init(json: JSONValue) throws(DriverScriptError) {
        guard case .object(let o) = json else { throw DriverScriptError("a step must be an object, got \(json.typeName)") }
        self.init()
        cluster = o["cluster"]?.objectValue ?? [:]
        for (name, fields) in o["nodegroups"]?.objectValue ?? [:] { nodeGroups[name] = fields.objectValue ?? [:] }
        destroyNodeGroups = o["destroy_nodegroups"]?.arrayValue?.compactMap(\.stringValue) ?? []
        nodeGroup = o["nodegroup"]?.objectValue ?? [:]
        saveNodeGroup = o["save_nodegroup"]?.boolValue ?? false
        if let h = o["health"] {
            if h.isNull {
                health = .some(nil)
            } else {
                var reason: OrderedDictionary<String, String>?
                if case .object(let r)? = h["health_status_reason"] {
                    reason = [:]
                    for (k, v) in r { reason?[k] = v.stringValue ?? v.jsonString() }
                }
                health = .some(ClusterHealthReport(healthStatus: h["health_status"]?.stringValue, healthStatusReason: reason))
            }
        }
        if let r = o["raise"] {
            if let builtin = r["builtin"]?.stringValue {
                guard builtin == "NotImplementedError" else { throw DriverScriptError("only NotImplementedError can be raised as a builtin") }
                failure = .notImplemented(r["message"]?.stringValue ?? "")
            } else if let cls = r["class"]?.stringValue {
                failure = .magnum(MagnumError(cls, r["kwargs"]?.objectValue ?? [:], message: r["message"]?.stringValue))
            } else {
                throw DriverScriptError("raise needs a class or a builtin")
            }
        }
    }
}

/// How a scripted call fails.
public enum DriverFailure: Sendable, Equatable {
    case magnum(MagnumError)
    case notImplemented(String)

    var error: any Error {
        switch self {
        case .magnum(let e): return e
        case .notImplemented(let m): return DriverNotImplemented(m)
        }
    }
}

public struct DriverScriptError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Steps per driver method (Magnum's method names: `create_cluster`, `update_cluster_status`,
/// `get_monitor`, ...), taken in order, the last one repeating; `statusByCluster` scripts
/// `update_cluster_status` per cluster uuid. A method without steps succeeds doing nothing, or
/// does what Magnum's base driver does (`rotate_ca_certificate` is `NotSupported`,
/// `rotate_credential` not implemented, no monitor).
public struct DriverScript: Sendable, Equatable {
    public var steps: [String: [DriverStep]]
    public var statusByCluster: [String: [DriverStep]]

    public init(steps: [String: [DriverStep]] = [:], statusByCluster: [String: [DriverStep]] = [:]) {
        self.steps = steps
        self.statusByCluster = statusByCluster
    }

    /// `{"create_cluster": step | [steps], ..., "status_by_cluster": {"<uuid>": step | [steps]}}`.
    public init(json: JSONValue) throws(DriverScriptError) {
        guard case .object(let o) = json else { throw DriverScriptError("a driver script must be an object") }
        self.init()
        func list(_ v: JSONValue) throws(DriverScriptError) -> [DriverStep] {
            if case .array(let a) = v {
                var out: [DriverStep] = []
                for s in a { out.append(try DriverStep(json: s)) }
                return out
            }
            return [try DriverStep(json: v)]
        }
        for (method, value) in o {
            if method == "status_by_cluster" {
                for (uuid, s) in value.objectValue ?? [:] { statusByCluster[uuid] = try list(s) }
            } else {
                steps[method] = try list(value)
            }
        }
    }
}

/// A `ClusterDriver` that does what a script says and records every call: the conductor's
/// tests, and the parity tests that run the same script through Magnum's own handlers.
/// Changes it makes are saved through the store, as a Magnum driver saves them.
public final class RecordingClusterDriver: ClusterDriver {
    public let provides: [ClusterType]
    public let isBeta: Bool
    let store: any ClusterStore
    private let state: Mutex<(script: DriverScript, used: [String: Int], calls: [JSONObject])>

    public init(store: any ClusterStore, provides: [ClusterType] = [ClusterType(serverType: "vm", os: "ubuntu", coe: "kubernetes")],
                isBeta: Bool = false, script: DriverScript = DriverScript()) {
        self.store = store
        self.provides = provides
        self.isBeta = isBeta
        self.state = Mutex((script, [:], []))
    }

    /// Every call so far: `{"method", "cluster", "cluster_status", ...arguments}`.
    public var calls: [JSONObject] { state.withLock { $0.calls } }

    public var script: DriverScript {
        get { state.withLock { $0.script } }
        set { state.withLock { $0.script = newValue; $0.used = [:] } }
    }

    /// Records the call and takes its next step (`nil`: no step scripted).
    private func take(_ method: String, _ cluster: Cluster, _ arguments: JSONObject) -> DriverStep? {
        state.withLock { s in
            var call: JSONObject = ["method": .string(method), "cluster": cluster.base["uuid"] ?? .null,
                                    "cluster_status": cluster.base["status"] ?? .null]
            for (k, v) in arguments { call[k] = v }
            s.calls.append(call)
            let key = method == "update_cluster_status" && s.script.statusByCluster[cluster.uuid ?? ""] != nil
                ? "status:\(cluster.uuid ?? "")" : method
            let list = key.hasPrefix("status:") ? s.script.statusByCluster[cluster.uuid ?? ""] ?? [] : s.script.steps[method] ?? []
            guard !list.isEmpty else { return nil }
            let index = min(s.used[key, default: 0], list.count - 1)
            s.used[key, default: 0] += 1
            return list[index]
        }
    }

    private func apply(_ step: DriverStep?, _ cluster: inout Cluster, context: RequestContext) async throws {
        guard let step else { return }
        if !step.nodeGroups.isEmpty || !step.destroyNodeGroups.isEmpty {
            for var ng in try await store.nodeGroups(of: cluster, context: StoreContext(context)) {
                if let fields = step.nodeGroups[ng.name ?? ""] {
                    for (k, v) in fields { try ng.setValue(v, for: k) }
                    try await store.saveRow(&ng)
                }
                if step.destroyNodeGroups.contains(ng.name ?? "") { try await store.destroy(ng) }
            }
        }
        if !step.cluster.isEmpty {
            for (k, v) in step.cluster { try cluster.setValue(v, for: k) }
            try await store.saveRow(&cluster)
        }
        if let failure = step.failure { throw failure.error }
    }

    private func apply(_ step: DriverStep?, _ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        guard let step else { return }
        var withoutFailure = step
        withoutFailure.failure = nil
        try await apply(withoutFailure, &cluster, context: context)
        if !step.nodeGroup.isEmpty {
            for (k, v) in step.nodeGroup { try nodeGroup.setValue(v, for: k) }
        }
        if step.saveNodeGroup { try await store.saveRow(&nodeGroup) }
        if let failure = step.failure { throw failure.error }
    }

    public func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws {
        try await apply(take("create_cluster", cluster, ["create_timeout": createTimeout.map { .int(Int64($0)) } ?? .null]),
                        &cluster, context: context)
    }

    public func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws {
        try await apply(take("update_cluster", cluster, ["rollback": .bool(rollback)]), &cluster, context: context)
    }

    public func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                              context: RequestContext) async throws {
        let step = take("resize_cluster", cluster, [
            "node_count": .int(Int64(nodeCount)), "nodes_to_remove": .array(nodesToRemove.map { .string($0) }),
            "nodegroup": nodeGroup.base["name"] ?? .null,
        ])
        try await apply(step, &cluster, nodeGroup: &nodeGroup, context: context)
    }

    public func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?,
                               nodeGroup: inout NodeGroup, rollback: Bool, context: RequestContext) async throws {
        let step = take("upgrade_cluster", cluster, [
            "cluster_template": clusterTemplate.base["uuid"] ?? .null, "max_batch_size": maxBatchSize.map { .int(Int64($0)) } ?? .null,
            "nodegroup": nodeGroup.base["name"] ?? .null, "rollback": .bool(rollback),
        ])
        try await apply(step, &cluster, nodeGroup: &nodeGroup, context: context)
    }

    public func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        try await apply(take("delete_cluster", cluster, [:]), &cluster, context: context)
    }

    public func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        let step = take("create_nodegroup", cluster, ["nodegroup": nodeGroup.base["name"] ?? .null,
                                                      "nodegroup_status": nodeGroup.base["status"] ?? .null])
        try await apply(step, &cluster, nodeGroup: &nodeGroup, context: context)
    }

    public func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        let step = take("update_nodegroup", cluster, ["nodegroup": nodeGroup.base["name"] ?? .null,
                                                      "nodegroup_status": nodeGroup.base["status"] ?? .null])
        try await apply(step, &cluster, nodeGroup: &nodeGroup, context: context)
    }

    public func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        let step = take("delete_nodegroup", cluster, ["nodegroup": nodeGroup.base["name"] ?? .null,
                                                      "nodegroup_status": nodeGroup.base["status"] ?? .null])
        try await apply(step, &cluster, nodeGroup: &nodeGroup, context: context)
    }

    public func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {
        try await apply(take("update_cluster_status", cluster, [:]), &cluster, context: context)
    }

    public func clusterHealth(_ cluster: Cluster, context: RequestContext) async throws -> ClusterHealthReport? {
        guard let step = take("get_monitor", cluster, [:]) else { return nil }
        // `"health": null` without a failure: the driver has no monitor (nothing else happens).
        if case .some(.none) = step.health, step.failure == nil { return nil }
        var copy = cluster
        try await apply(step, &copy, context: context)
        return step.health ?? nil
    }

    public func rotateCACertificate(_ cluster: inout Cluster, context: RequestContext) async throws {
        let step = take("rotate_ca_certificate", cluster, ["ca_cert_ref": cluster.base["ca_cert_ref"].map { .bool(!$0.isNull) } ?? false])
        guard let step else {
            throw MagnumError("NotSupported", message: "'rotate_ca_certificate' is not supported by this driver.")
        }
        try await apply(step, &cluster, context: context)
    }

    public func rotateCredential(_ cluster: inout Cluster, context: RequestContext) async throws {
        guard let step = take("rotate_credential", cluster, [:]) else {
            throw DriverNotImplemented("Driver does not support credential rotate.")
        }
        try await apply(step, &cluster, context: context)
    }
}
