public import CapiHelmDriver
import Foundation
public import JSON
public import Logging
import Synchronization

/// One write the driver made on the (absent) management cluster, as `OfflineManagementCluster`
/// records it: Secret values are never kept here, only their keys.
public struct RecordedKubernetesWrite: Sendable, Equatable {
    /// `ensure_namespace`, `apply_secret`, `delete_all_secrets_by_label`, `annotate_machine`
    /// (magnum-capi-helm's method names).
    public var call: String
    public var namespace: String
    public var name: String?
    /// The body with every `stringData` / `data` value replaced by `<redacted>`.
    public var body: JSONValue?

    public var json: JSONValue {
        var object: JSONObject = ["call": .string(call), "namespace": .string(namespace)]
        if let name { object["name"] = .string(name) }
        if let body { object["body"] = body }
        return .object(object)
    }
}

/// The driver's `KubernetesPort` when there is no management cluster (`[capi_worker]
/// management_cluster = none | simulated`): the writes it would make are logged and recorded
/// (Secret values redacted), Secrets are kept in memory so the driver can read back its own
/// cloud-credentials (rotation, deletion), and the Cluster API reads are answered by the
/// `SimulatedManagementCluster` when there is one, else find nothing. With a `SharedEventLog`
/// (`[capi_worker] offline_state_dir`) the Namespaces and Secrets are events in the shared file,
/// so every worker process on the machine reads the Secrets any of them stored.
public final class OfflineManagementCluster: KubernetesPort {
    public let simulation: SimulatedManagementCluster?
    let log: SharedEventLog?
    let logger: Logger

    struct StoredSecret {
        var labels: [String: String]
        var stringData: [String: String]
    }

    struct State {
        var writes: [RecordedKubernetesWrite] = []
        var namespaces: Set<String> = []
        var secrets: [String: [String: StoredSecret]] = [:]
    }

    let state = Mutex(State())

    public init(simulation: SimulatedManagementCluster?, log: SharedEventLog? = nil, logger: Logger) {
        self.simulation = simulation
        self.log = log
        self.logger = logger
    }

    /// Logs (with a shared log) and applies `event`, after every event not applied yet.
    func change(_ event: JSONValue) throws {
        _ = try state.withLock { s in
            try SharedEventLog.change(log, apply: { Self.apply($0, to: &s) }, decide: { event })
        }
    }

    /// Applies what other processes logged since the last look.
    func catchUp() throws {
        try state.withLock { s in
            try SharedEventLog.catchUp(log) { Self.apply($0, to: &s) }
        }
    }

    static func apply(_ event: JSONValue, to s: inout State) {
        guard let namespace = event["namespace"]?.stringValue else { return }
        func strings(_ value: JSONValue?) -> [String: String] {
            var out: [String: String] = [:]
            for (key, value) in value?.objectValue ?? [:] { out[key] = value.stringValue ?? "" }
            return out
        }
        switch event["event"]?.stringValue {
        case "namespace": s.namespaces.insert(namespace)
        case "secret":
            guard let name = event["name"]?.stringValue else { return }
            s.secrets[namespace, default: [:]][name] = StoredSecret(labels: strings(event["labels"]), stringData: strings(event["stringData"]))
        case "secrets_deleted":
            guard let label = event["label"]?.stringValue, let value = event["value"]?.stringValue else { return }
            s.secrets[namespace] = s.secrets[namespace]?.filter { $0.value.labels[label] != value }
        default: break
        }
    }

    /// The writes so far, oldest first (no Secret values).
    public var writes: [RecordedKubernetesWrite] { state.withLock { $0.writes } }
    /// Secret names per namespace (`namespace/name`), sorted.
    public var secretNames: [String] {
        try? catchUp()
        return state.withLock { s in s.secrets.flatMap { ns, secrets in secrets.keys.map { "\(ns)/\($0)" } }.sorted() }
    }

    func record(_ write: RecordedKubernetesWrite) {
        state.withLock { $0.writes.append(write) }
        logger.info("no management cluster: \(write.call) not sent", metadata: [
            "namespace": "\(write.namespace)", "name": "\(write.name ?? "-")",
        ])
    }

    static func redacted(_ body: JSONValue) -> JSONValue {
        guard var object = body.objectValue else { return body }
        for key in ["stringData", "data"] {
            guard let values = object[key]?.objectValue else { continue }
            var hidden = JSONObject()
            for name in values.keys { hidden[name] = "<redacted>" }
            object[key] = .object(hidden)
        }
        return .object(object)
    }

    // MARK: Writes

    public func ensureNamespace(_ namespace: String) async throws {
        try change(["event": "namespace", "namespace": .string(namespace)])
        record(RecordedKubernetesWrite(call: "ensure_namespace", namespace: namespace, name: nil, body: nil))
    }

    public func applySecret(name: String, body: JSONValue, namespace: String) async throws {
        try change(["event": "secret", "namespace": .string(namespace), "name": .string(name),
                    "labels": body["metadata"]?["labels"] ?? [:], "stringData": body["stringData"] ?? [:]])
        record(RecordedKubernetesWrite(call: "apply_secret", namespace: namespace, name: name, body: Self.redacted(body)))
    }

    public func deleteAllSecrets(label: String, value: String, namespace: String) async throws {
        try change(["event": "secrets_deleted", "namespace": .string(namespace), "label": .string(label), "value": .string(value)])
        record(RecordedKubernetesWrite(call: "delete_all_secrets_by_label", namespace: namespace, name: nil,
                                       body: ["labelSelector": .string("\(label)=\(value)")]))
    }

    public func annotateMachine(name: String, namespace: String, annotations: [String: String]) async throws {
        var values = JSONObject()
        for key in annotations.keys.sorted() { values[key] = .string(annotations[key] ?? "") }
        record(RecordedKubernetesWrite(call: "annotate_machine", namespace: namespace, name: name,
                                       body: ["metadata": ["annotations": .object(values)]]))
        _ = try await simulation?.annotateMachine(name: name, namespace: namespace, annotations: annotations)
    }

    // MARK: Reads

    public func secretValue(name: String, namespace: String, key: String) async throws -> String? {
        try catchUp()
        return state.withLock { $0.secrets[namespace]?[name]?.stringData[key] }
    }

    public func capiCluster(name: String, namespace: String) async throws -> JSONValue? {
        try await simulation?.cluster(name: name, namespace: namespace)
    }

    public func openStackCluster(name: String, namespace: String) async throws -> JSONValue? {
        try await simulation?.openStackCluster(name: name, namespace: namespace)
    }

    public func controlPlane(name: String, namespace: String) async throws -> JSONValue? {
        try await simulation?.controlPlane(name: name, namespace: namespace)
    }

    public func machineDeployment(name: String, namespace: String) async throws -> JSONValue? {
        try await simulation?.machineDeployment(name: name, namespace: namespace)
    }

    public func addons(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        try await simulation?.addons(labels: labels, namespace: namespace) ?? []
    }

    public func machines(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        try await simulation?.machines(labels: labels, namespace: namespace) ?? []
    }
}
