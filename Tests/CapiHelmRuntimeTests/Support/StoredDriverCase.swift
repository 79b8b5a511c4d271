import CapiHelmDriver
import ClusterStore
import Foundation
import JSON
import MagnumObjects
import TestSupport

/// One driver conformance case (`Tests/Fixtures/driver`) loaded into a real `ClusterStore`
/// instead of the recording ports' memory: template, cluster and nodegroups become rows of
/// Magnum's tables, and the operation runs against whatever ports the test gives the driver.
struct StoredDriverCase {
    let name: String
    let operation: String
    let config: JSONValue
    let input: JSONValue
    let expected: JSONValue

    static let directory = TestEnvironment.fixturesDirectory.appendingPathComponent("driver").path

    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
    }

    init(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/\(file)"))
        let document = try JSONValue(parsing: Array(data))
        name = document["name"]?.stringValue ?? file
        operation = document["operation"]?.stringValue ?? ""
        config = document["config"] ?? [:]
        input = document["input"] ?? [:]
        expected = document["expected"] ?? [:]
    }

    var namespacePrefix: String { config["capi_helm"]?["namespace_prefix"]?.stringValue ?? "magnum" }
    var projectID: String { input["cluster"]?["project_id"]?.stringValue ?? "" }
    var userID: String { input["context"]?["user_id"]?.stringValue ?? "" }
    var clusterUUID: String { input["cluster"]?["uuid"]?.stringValue ?? "" }
    var namespace: String { CapiNaming.namespace(projectId: projectID, prefix: namespacePrefix) }
    var release: String? { input["cluster"]?["stack_id"]?.stringValue }

    /// The case's request context, carrying `token` (a real one from the fake Keystone).
    func context(token: String?) -> RequestContext {
        let c = input["context"] ?? [:]
        return RequestContext(userId: c["user_id"]?.stringValue, userName: c["user_name"]?.stringValue,
                              projectId: c["project_id"]?.stringValue, projectName: c["project_name"]?.stringValue,
                              authURL: c["auth_url"]?.stringValue, roles: (c["roles"]?.arrayValue ?? []).compactMap(\.stringValue),
                              isAdmin: false, requestId: "req-\(name)", authToken: token)
    }

    static func build<T: MagnumObject>(_ type: T.Type, _ fields: JSONValue?) throws -> T {
        var object = T()
        for (key, value) in fields?.objectValue ?? [:] where T.schema.field(key) != nil {
            try object.setValue(value, for: key)
        }
        return object
    }

    /// `magnum.conf` lines for the case's `config` (values as oslo.config text).
    var configSections: [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        for (section, options) in config.objectValue ?? [:] {
            for (key, value) in options.objectValue ?? [:] {
                let text: String
                switch value {
                case .string(let s): text = s
                case .bool(let b): text = b ? "true" : "false"
                case .array(let items): text = items.map { $0.stringValue ?? $0.jsonString() }.joined(separator: ",")
                default: text = value.jsonString()
                }
                sections[section, default: [:]][key] = text
            }
        }
        return sections
    }

    /// Stores template, cluster (pointing at `certificateRefs`) and nodegroups as Magnum would.
    func load(into store: any ClusterStore, certificateRefs: [String: String]) async throws -> Cluster {
        let template = try await store.create(Self.build(ClusterTemplate.self, input["cluster_template"]))
        var cluster = try Self.build(Cluster.self, input["cluster"])
        cluster.clusterTemplateId = template.uuid
        for (field, ref) in certificateRefs { try cluster.setValue(.string(ref), for: field) }
        cluster = try await store.create(cluster)
        for (i, fields) in (input["nodegroups"]?.arrayValue ?? []).enumerated() {
            _ = try await insertNodeGroup(fields, cluster: cluster, store: store, ordinal: i)
        }
        return cluster
    }

    func insertNodeGroup(_ fields: JSONValue, cluster: Cluster, store: any ClusterStore, ordinal: Int) async throws -> NodeGroup {
        var ng = try Self.build(NodeGroup.self, fields)
        if ng.uuid == nil { ng.uuid = UUID().uuidString.lowercased() }
        ng.clusterId = cluster.uuid
        if ng.projectId == nil { ng.projectId = cluster.projectId }
        return try await store.create(ng)
    }

    func nodeGroup(named name: String?, of cluster: Cluster, store: any ClusterStore) async throws -> NodeGroup {
        let want = name ?? "default-worker"
        return try await store.nodeGroup(name: want, clusterId: cluster.uuid ?? "", context: .allProjects)
    }

    /// Runs the case's operation as `DriverCase` does, against the store.
    func perform(_ driver: CapiHelmDriver, cluster loaded: Cluster, store: any ClusterStore, context: RequestContext) async throws {
        var cluster = loaded
        let args = input["operation_args"] ?? [:]
        switch operation {
        case "create_cluster":
            try await driver.createCluster(&cluster, context: context)
        case "update_cluster":
            try await driver.updateCluster(&cluster, context: context)
        case "resize_cluster":
            var ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            try ng.setValue(args["node_count"] ?? .null, for: "node_count")
            ng = try await store.save(ng)
            let nodes = (args["nodes_to_remove"]?.arrayValue ?? []).compactMap(\.stringValue)
            try await driver.resizeCluster(&cluster, nodeCount: ng.nodeCount ?? 0, nodesToRemove: nodes, nodeGroup: ng, context: context)
        case "upgrade_cluster":
            var fields = input["cluster_template"]?.objectValue ?? [:]
            for (k, v) in args["new_template"]?.objectValue ?? [:] { fields[k] = v }
            if args["new_template"]?["uuid"] == nil { fields["uuid"] = .string(UUID().uuidString.lowercased()) }
            let newTemplate = try await store.create(Self.build(ClusterTemplate.self, .object(fields)))
            let ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            try await driver.upgradeCluster(&cluster, to: newTemplate, maxBatchSize: args["max_batch_size"]?.intValue ?? 1,
                                            nodeGroup: ng, context: context)
        case "create_nodegroup":
            let count = try await store.nodeGroupCount(clusterId: cluster.uuid ?? "", context: .allProjects)
            var ng = try await insertNodeGroup(args["nodegroup"] ?? [:], cluster: cluster, store: store, ordinal: 100 + count)
            try await driver.createNodeGroup(&cluster, nodeGroup: &ng, context: context)
        case "update_nodegroup":
            var ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            for (k, v) in args["changes"]?.objectValue ?? [:] { try ng.setValue(v, for: k) }
            try await driver.updateNodeGroup(&cluster, nodeGroup: &ng, context: context)
        case "delete_nodegroup":
            var ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            try await driver.deleteNodeGroup(&cluster, nodeGroup: &ng, context: context)
        case "delete_cluster":
            try await driver.deleteCluster(&cluster, context: context)
        case "rotate_credential":
            try await driver.rotateCredential(&cluster, context: context)
        case "update_cluster_status":
            try await driver.updateClusterStatus(&cluster, context: context)
        default:
            throw CaseError(message: "operation \(operation) is not run by this test")
        }
    }

    /// The cluster and nodegroups as the case's `expected` shows them, read back from the store.
    func outcome(store: any ClusterStore) async throws -> (cluster: JSONValue, nodeGroups: JSONValue) {
        let cluster = try await store.cluster(uuid: clusterUUID, context: .allProjects)
        let fields: JSONObject = [
            "stack_id": cluster.base["stack_id"] ?? .null, "status": cluster.base["status"] ?? .null,
            "status_reason": cluster.base["status_reason"] ?? .null, "api_address": cluster.base["api_address"] ?? .null,
            "coe_version": cluster.base["coe_version"] ?? .null, "cluster_template_id": cluster.base["cluster_template_id"] ?? .null,
        ]
        let groups = try await store.nodeGroups(clusterId: clusterUUID, context: .allProjects, filters: [:], options: .all)
            .sorted { ($0.name ?? "").unicodeScalars.lexicographicallyPrecedes(($1.name ?? "").unicodeScalars) }
        return (.object(fields), .array(groups.map {
            ["name": $0.base["name"] ?? .null, "status": $0.base["status"] ?? .null, "node_count": $0.base["node_count"] ?? .null]
        }))
    }
}

struct CaseError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
