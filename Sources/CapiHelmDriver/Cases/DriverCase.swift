public import JSON
public import Logging
public import MagnumObjects

/// One driver conformance case (the format of `Tests/Fixtures/driver`, produced by the Python
/// oracle): an operation, `magnum.conf` options and the input objects; `run()` gives the outcome
/// in the case's `expected` shape — helm, Kubernetes and OpenStack calls, the cluster and
/// nodegroups afterwards, and the error, if any.
///
/// Options the case does not set follow magnum-capi-helm 1.4.0 (`[capi_worker] compatibility =
/// 1.4.0`), so a case means what the oracle made of it unless it asks for an improvement.
public struct DriverCase: Sendable {
    public let name: String
    public let operation: String
    public let config: JSONValue
    public let input: JSONValue

    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { "Invalid driver case: \(message)" }
    }

    public init(_ document: JSONValue) throws(FormatError) {
        guard case .object = document else { throw FormatError(message: "not a JSON object") }
        guard let op = document["operation"]?.stringValue else { throw FormatError(message: "no operation") }
        guard case .object? = document["input"] else { throw FormatError(message: "no input object") }
        name = document["name"]?.stringValue ?? ""
        operation = op
        config = document["config"] ?? [:]
        input = document["input"] ?? [:]
    }

    public static let operations: Set<String> = [
        "create_cluster", "update_cluster", "resize_cluster", "upgrade_cluster", "delete_cluster", "create_nodegroup",
        "update_nodegroup", "delete_nodegroup", "rotate_credential", "update_cluster_status", "poll_health_status",
    ]

    /// The configuration the case asks for, over 1.4.0 compatibility.
    public func configuration() throws(ConfigurationError) -> DriverConfiguration {
        var sections: [String: [String: JSONValue]] = [:]
        for (section, options) in config.objectValue ?? [:] {
            var o: [String: JSONValue] = [:]
            for (k, v) in options.objectValue ?? [:] { o[k] = v }
            sections[section] = o
        }
        return try DriverConfiguration(sections: sections, base: .compatibility140)
    }

    /// A driver set up on the case's objects and recording ports, for benchmarks and tools that
    /// call the driver themselves.
    public struct Prepared: Sendable {
        public let driver: CapiHelmDriver
        public var cluster: Cluster
        public let template: ClusterTemplate
        public let context: RequestContext
    }

    /// Sets the case up (objects stored, ports answering from its input); `helm` replaces the
    /// recording helm port (a benchmark does not want every values document kept).
    public func prepare(helm: (any HelmPort)? = nil, logger: Logger = Logger(label: "driver-case")) async throws -> Prepared {
        let configuration = try configuration()
        let store = InMemoryClusterStore()
        let ports = DriverPorts(helm: helm ?? RecordingHelm(), kubernetes: RecordingKubernetes(state: input["k8s"] ?? [:]),
                                openStack: RecordingOpenStack(input: input), certificates: StaticCertificates(input: input["certificates"]),
                                store: store)
        let suffix = input["release_suffix"]?.stringValue ?? "abcdefghijkl"
        let driver = CapiHelmDriver(configuration: configuration, ports: ports, logger: logger, releaseSuffix: { suffix })
        let (cluster, template) = try await loadObjects(store)
        return Prepared(driver: driver, cluster: cluster, template: template, context: Self.context(input["context"] ?? [:]))
    }

    /// Runs the case; the result has the shape of the case's `expected`.
    public func run(logger: Logger = Logger(label: "driver-case")) async throws -> JSONValue {
        guard Self.operations.contains(operation) else { throw FormatError(message: "unknown operation \(operation)") }
        let configuration = try configuration()
        let helm = RecordingHelm()
        let kubernetes = RecordingKubernetes(state: input["k8s"] ?? [:])
        let openStack = RecordingOpenStack(input: input)
        let store = InMemoryClusterStore()
        let ports = DriverPorts(helm: helm, kubernetes: kubernetes, openStack: openStack,
                                certificates: StaticCertificates(input: input["certificates"]), store: store)
        let suffix = input["release_suffix"]?.stringValue ?? "abcdefghijkl"
        let now = input["now"]?.stringValue.flatMap(Timestamp.init(parsing:)) ?? Timestamp(microsecondsSinceEpoch: 1_767_225_600_000_000)
        let driver = CapiHelmDriver(configuration: configuration, ports: ports, logger: logger,
                                    now: { now }, releaseSuffix: { suffix })
        let context = Self.context(input["context"] ?? [:])

        var outcome: JSONObject = [:]
        var loadError: JSONValue?
        var clusterUUID: String?
        do {
            let (cluster, _) = try await loadObjects(store)
            clusterUUID = cluster.uuid
            if let started = input["operation_started_at"]?.stringValue.flatMap(Timestamp.init(parsing:)), let uuid = cluster.uuid {
                store.setOperationStart(clusterUUID: uuid, at: started)
            }
            do {
                if let health = try await perform(driver, cluster: cluster, store: store, context: context) {
                    outcome["health"] = health
                }
            } catch {
                outcome["error"] = Self.describe(error)
            }
        } catch {
            loadError = Self.describe(error)
        }

        outcome["helm"] = .array(helm.calls)
        outcome["kubernetes"] = .array(kubernetes.calls)
        outcome["openstack"] = .array(openStack.calls)
        if let uuid = clusterUUID, let cluster = store.cluster(uuid: uuid) {
            outcome["cluster"] = [
                "stack_id": cluster.base["stack_id"] ?? .null,
                "status": cluster.base["status"] ?? .null,
                "status_reason": cluster.base["status_reason"] ?? .null,
                "api_address": cluster.base["api_address"] ?? .null,
                "coe_version": cluster.base["coe_version"] ?? .null,
                "cluster_template_id": cluster.base["cluster_template_id"] ?? .null,
            ]
            let groups = try await store.nodeGroups(clusterUUID: uuid).sorted {
                ($0.name ?? "").unicodeScalars.lexicographicallyPrecedes(($1.name ?? "").unicodeScalars)
            }
            outcome["nodegroups"] = .array(groups.map {
                ["name": $0.base["name"] ?? .null, "status": $0.base["status"] ?? .null, "node_count": $0.base["node_count"] ?? .null]
            })
        } else {
            outcome["cluster"] = .null
            outcome["nodegroups"] = []
        }
        if let loadError { outcome["error"] = loadError }
        // Keep the error last, like the oracle.
        if let e = outcome.removeValue(forKey: "error") { outcome["error"] = e }
        return .object(outcome)
    }

    /// `{"class", "message"}` as the oracle reports exceptions.
    public static func describe(_ error: any Error) -> JSONValue {
        switch error {
        case let e as MagnumError: return ["class": .string(e.className), "message": .string(e.message)]
        case let e as ObjectError: return ["class": "ValueError", "message": .string(e.message)]
        case let e as ApplicationCredentialError: return ["class": "ApplicationCredentialError", "message": .string(e.message)]
        default: return ["class": .string(String(describing: type(of: error))), "message": .string(String(describing: error))]
        }
    }

    static func context(_ c: JSONValue) -> RequestContext {
        RequestContext(userId: c["user_id"]?.stringValue, userName: c["user_name"]?.stringValue,
                       projectId: c["project_id"]?.stringValue, projectName: c["project_name"]?.stringValue,
                       authURL: c["auth_url"]?.stringValue, roles: (c["roles"]?.arrayValue ?? []).compactMap(\.stringValue),
                       isAdmin: false, requestId: c["request_id"]?.stringValue, authToken: c["auth_token"]?.stringValue)
    }

    // MARK: - Objects

    static func build<T: MagnumObject>(_ type: T.Type, _ fields: JSONValue?) throws(ObjectError) -> T {
        var object = T()
        for (key, value) in fields?.objectValue ?? [:] {
            guard T.schema.field(key) != nil else { continue }  // unknown keyword arguments are ignored
            try object.setValue(value, for: key)
        }
        return object
    }

    /// The template, cluster and nodegroups of the input, stored as Magnum's database would.
    func loadObjects(_ store: InMemoryClusterStore) async throws -> (Cluster, ClusterTemplate) {
        var template = try Self.build(ClusterTemplate.self, input["cluster_template"])
        template.id = 1
        template = try store.insert(template)
        var cluster = try Self.build(Cluster.self, input["cluster"])
        cluster.clusterTemplateId = template.uuid
        cluster = try store.insert(cluster)
        for (i, ngInput) in (input["nodegroups"]?.arrayValue ?? []).enumerated() {
            _ = try await insertNodeGroup(ngInput, cluster: cluster, store: store, ordinal: i)
        }
        return (cluster, template)
    }

    func insertNodeGroup(_ fields: JSONValue, cluster: Cluster, store: InMemoryClusterStore, ordinal: Int) async throws -> NodeGroup {
        var ng = try Self.build(NodeGroup.self, fields)
        if ng.uuid == nil { ng.uuid = Self.syntheticUUID(cluster.uuid ?? "", ordinal) }
        ng.clusterId = cluster.uuid
        if ng.projectId == nil { ng.projectId = cluster.projectId }
        return try store.insert(ng)
    }

    static func syntheticUUID(_ seed: String, _ n: Int) -> String {
        var h: UInt64 = 1469598103934665603
        for b in "\(seed)/\(n)".utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let hex = String(h, radix: 16)
        let p = String(repeating: "0", count: 16 - hex.count) + hex
        let a = Array(p)
        return "\(String(a[0..<8]))-\(String(a[8..<12]))-4\(String(a[13..<16]))-8\(String(a[1..<4]))-\(String(a[4..<16]))"
    }

    func nodeGroup(named name: String?, of cluster: Cluster, store: InMemoryClusterStore) async throws -> NodeGroup {
        let want = name ?? "default-worker"
        guard let ng = try await store.nodeGroups(clusterUUID: cluster.uuid ?? "").first(where: { $0.name == want }) else {
            throw MagnumError.nodeGroupNotFound(want)
        }
        return ng
    }

    // MARK: - Operations

    func perform(_ driver: CapiHelmDriver, cluster loaded: Cluster, store: InMemoryClusterStore,
                 context: RequestContext) async throws -> JSONValue? {
        var cluster = loaded
        let args = input["operation_args"] ?? [:]
        switch operation {
        case "create_cluster":
            if let resume = input["resume"] {
                // An attempt resumed after an interruption inside the driver call (the worker's
                // journal): `resume.earlier_credential_ids`.
                let ids = (resume["earlier_credential_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
                try await driver.createCluster(&cluster, context: context, resume: .init(earlierCredentialIDs: ids), credentialMade: nil)
            } else {
                try await driver.createCluster(&cluster, context: context)
            }
        case "update_cluster":
            try await driver.updateCluster(&cluster, context: context)
        case "resize_cluster":
            var ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            let count = args["node_count"] ?? .null
            try ng.setValue(count, for: "node_count")
            try await store.saveNodeGroup(ng)
            ng.resetChanges()
            let nodes = (args["nodes_to_remove"]?.arrayValue ?? []).map(PythonStr.of)
            try await driver.resizeCluster(&cluster, nodeCount: ng.nodeCount ?? 0, nodesToRemove: nodes, nodeGroup: ng, context: context)
        case "upgrade_cluster":
            var fields = input["cluster_template"]?.objectValue ?? [:]
            for (k, v) in args["new_template"]?.objectValue ?? [:] { fields[k] = v }
            if fields["uuid"] == nil || args["new_template"]?["uuid"] == nil {
                fields["uuid"] = .string(Self.syntheticUUID(cluster.uuid ?? "", 1000))
            }
            var newTemplate = try Self.build(ClusterTemplate.self, .object(fields))
            newTemplate.id = 2
            newTemplate = try store.insert(newTemplate)
            let ng = try await nodeGroup(named: args["nodegroup"]?.stringValue, of: cluster, store: store)
            try await driver.upgradeCluster(&cluster, to: newTemplate, maxBatchSize: args["max_batch_size"]?.intValue ?? 1,
                                            nodeGroup: ng, context: context)
        case "create_nodegroup":
            let existing = try await store.nodeGroups(clusterUUID: cluster.uuid ?? "")
            let count = existing.count
            // Magnum's conductor creates the row before calling the driver; the database's unique
            // (cluster_id, name) refuses a name the cluster already has (as SQLClusterStore does).
            if let name = args["nodegroup"]?["name"]?.stringValue, existing.contains(where: { $0.name == name }) {
                throw MagnumError("NodeGroupAlreadyExists", ["cluster_id": .string(cluster.uuid ?? "None"), "name": .string(name)])
            }
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
        case "poll_health_status":
            let health = try await driver.pollHealthStatus(cluster)
            var reason = JSONObject()
            for (k, v) in health.reason { reason[k] = .string(v) }
            return ["status": .string(health.status.rawValue), "reason": .object(reason)]
        default:
            throw FormatError(message: "unknown operation \(operation)")
        }
        return nil
    }
}
