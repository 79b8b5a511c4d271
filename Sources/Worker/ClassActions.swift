import ClusterStore
import JSON
import MagnumObjects

/// What a remotable method returned: one object (answered at the caller's version), a list of
/// objects (each at its own version, as the RPC serializer writes them) or a plain value.
enum ActionResult {
    case object(VersionedObject)
    case objects([VersionedObject])
    case value(JSONValue)
}

/// Argument reading shared by class and instance actions, with Python's coercions.
struct BoundArguments {
    let values: [String: JSONValue]

    subscript(_ name: String) -> JSONValue { values[name] ?? .null }

    /// A string argument (`uuid`, `name`); other JSON values as Python's `str()` would give them.
    func string(_ name: String) -> String {
        let v = self[name]
        return v.stringValue ?? PythonFormat.str(v)
    }

    func optionalString(_ name: String) -> String? {
        let v = self[name]
        return v.isNull ? nil : string(name)
    }

    func optionalInt(_ name: String) throws(IndirectionFailure) -> Int? {
        let v = self[name]
        if v.isNull { return nil }
        guard let i = ObjectIdentity.intLike(v) ?? v.intValue else {
            throw .builtin("ValueError", "invalid literal for int() with base 10: \(PythonFormat.repr(v))")
        }
        return i
    }

    func dictionary(_ name: String) throws(IndirectionFailure) -> JSONObject {
        let v = self[name]
        if v.isNull { return [:] }
        guard case .object(let o) = v else { throw .typeError("'\(v.pythonTypeName)' object is not a mapping (\(name))") }
        return o
    }

    /// `limit`, `marker` (an object primitive), `sort_key`, `sort_dir`.
    func listOptions() throws(IndirectionFailure) -> ListOptions {
        var marker: VersionedObject?
        if !self["marker"].isNull { marker = try IndirectionAPI.hydrate(self["marker"], registry: .magnum) }
        return ListOptions(limit: try optionalInt("limit"), marker: marker,
                           sortKey: optionalString("sort_key"), sortDirection: optionalString("sort_dir"))
    }
}

/// The remotable classmethods of Magnum's objects, run against the store.
struct ClassActions {
    let store: any ClusterStore
    let context: StoreContext

    static let listParameters: [(String, JSONValue?)] = [("limit", .null), ("marker", .null), ("sort_key", .null), ("sort_dir", .null)]
    static let listWithFilters = listParameters + [("filters", .null)]

    func bind(_ qualifiedName: String, _ parameters: [(String, JSONValue?)], _ args: [JSONValue],
              _ kwargs: JSONObject) throws(IndirectionFailure) -> BoundArguments {
        BoundArguments(values: try PythonSignature(qualifiedName, parameters).bind(args, kwargs))
    }

    /// `filter_by(id=value)`: a value that is not an integer matches no row.
    func notFoundUnlessInt<T>(_ value: JSONValue, _ notFound: MagnumError, _ body: (Int) async throws -> T) async throws -> T {
        guard let id = ObjectIdentity.intLike(value) ?? value.intValue else { throw notFound }
        return try await body(id)
    }

    func run(_ objname: String, _ method: String, _ args: [JSONValue], _ kwargs: JSONObject) async throws -> ActionResult {
        let name = "\(objname).\(method)"
        switch (objname, method) {
        // MARK: Cluster
        case ("Cluster", "get"):
            let a = try bind(name, PythonSignature.required("cluster_id"), args, kwargs)
            switch try ObjectIdentity(a["cluster_id"]) {
            case .id(let id): return .object(try await store.cluster(id: id, context: context).base)
            case .uuid(let uuid): return .object(try await store.cluster(uuid: uuid, context: context).base)
            }
        case ("Cluster", "get_by_id"):
            let a = try bind(name, PythonSignature.required("cluster_id"), args, kwargs)
            let cluster = try await notFoundUnlessInt(a["cluster_id"], MagnumError("ClusterNotFound", ["cluster": a["cluster_id"]])) {
                try await store.cluster(id: $0, context: context)
            }
            return .object(cluster.base)
        case ("Cluster", "get_by_uuid"):
            let a = try bind(name, PythonSignature.required("uuid"), args, kwargs)
            return .object(try await store.cluster(uuid: a.string("uuid"), context: context).base)
        case ("Cluster", "get_by_name"):
            let a = try bind(name, PythonSignature.required("name"), args, kwargs)
            return .object(try await store.cluster(name: a.string("name"), context: context).base)
        case ("Cluster", "get_count_all"):
            let a = try bind(name, [("filters", .null)], args, kwargs)
            return .value(.int(Int64(try await store.clusterCount(context: context, filters: a.dictionary("filters")))))
        case ("Cluster", "list"):
            let a = try bind(name, Self.listWithFilters, args, kwargs)
            let clusters = try await store.clusters(context: context, filters: a.dictionary("filters"), options: a.listOptions())
            return .objects(clusters.map(\.base))
        case ("Cluster", "get_stats"):
            _ = try bind(name, [("project_id", .null)], args, kwargs)
            // Magnum passes project_id where the database API expects the context, so the
            // figures are always those of every project; we answer the same.
            let stats = try await store.clusterStats(projectId: nil)
            return .value(.array([.int(Int64(stats.clusters)), .int(Int64(stats.nodes))]))

        // MARK: ClusterTemplate
        case ("ClusterTemplate", "get"):
            let a = try bind(name, PythonSignature.required("cluster_template_id"), args, kwargs)
            let value = a["cluster_template_id"]
            if let id = ObjectIdentity.intLike(value) {
                return .object(try await store.clusterTemplate(id: id, context: context).base)
            } else if case .string(let s) = value, ObjectIdentity.isUUIDLike(s) {
                return .object(try await store.clusterTemplate(uuid: s, context: context).base)
            }
            return .object(try await store.clusterTemplate(name: a.string("cluster_template_id"), context: context).base)
        case ("ClusterTemplate", "get_by_id"):
            let a = try bind(name, PythonSignature.required("cluster_template_id"), args, kwargs)
            let value = a["cluster_template_id"]
            let template = try await notFoundUnlessInt(value, MagnumError("ClusterTemplateNotFound", ["clustertemplate": value])) {
                try await store.clusterTemplate(id: $0, context: context)
            }
            return .object(template.base)
        case ("ClusterTemplate", "get_by_uuid"):
            let a = try bind(name, PythonSignature.required("uuid"), args, kwargs)
            return .object(try await store.clusterTemplate(uuid: a.string("uuid"), context: context).base)
        case ("ClusterTemplate", "get_by_name"):
            let a = try bind(name, PythonSignature.required("name"), args, kwargs)
            return .object(try await store.clusterTemplate(name: a.string("name"), context: context).base)
        case ("ClusterTemplate", "list"):
            let a = try bind(name, Self.listParameters, args, kwargs)
            return .objects(try await store.clusterTemplates(context: context, filters: [:], options: a.listOptions()).map(\.base))

        // MARK: NodeGroup
        case ("NodeGroup", "get"):
            let a = try bind(name, PythonSignature.required("cluster_id", "nodegroup_id"), args, kwargs)
            return .object(try await nodeGroup(clusterId: a.string("cluster_id"), a["nodegroup_id"]).base)
        case ("NodeGroup", "get_by_id"):
            let a = try bind(name, PythonSignature.required("cluster", "id_"), args, kwargs)
            let ng = try await notFoundUnlessInt(a["id_"], MagnumError("NodeGroupNotFound", ["nodegroup": a["id_"]])) {
                try await store.nodeGroup(id: $0, clusterId: a.string("cluster"), context: context)
            }
            return .object(ng.base)
        case ("NodeGroup", "get_by_uuid"):
            let a = try bind(name, PythonSignature.required("cluster", "uuid"), args, kwargs)
            return .object(try await store.nodeGroup(uuid: a.string("uuid"), clusterId: a.string("cluster"), context: context).base)
        case ("NodeGroup", "get_by_name"):
            let a = try bind(name, PythonSignature.required("cluster", "name"), args, kwargs)
            return .object(try await store.nodeGroup(name: a.string("name"), clusterId: a.string("cluster"), context: context).base)
        case ("NodeGroup", "get_count_all"):
            let a = try bind(name, PythonSignature.required("cluster_id"), args, kwargs)
            return .value(.int(Int64(try await store.nodeGroupCount(clusterId: a.string("cluster_id"), context: context))))
        case ("NodeGroup", "list"):
            let a = try bind(name, [("cluster_id", nil)] + Self.listWithFilters, args, kwargs)
            let groups = try await store.nodeGroups(clusterId: a.string("cluster_id"), context: context,
                                                    filters: a.dictionary("filters"), options: a.listOptions())
            return .objects(groups.map(\.base))
        case ("NodeGroup", "update_nodegroup"):
            let a = try bind(name, PythonSignature.required("cluster_id", "nodegroup_id", "values"), args, kwargs)
            let clusterId = a.string("cluster_id")
            let values = try a.dictionary("values")
            let current = try await nodeGroup(clusterId: clusterId, a["nodegroup_id"])
            let updated = try await store.updateNodeGroup(clusterId: clusterId, .uuid(current.uuid ?? ""), values: values)
            return .object(updated.base)

        // MARK: X509KeyPair
        case ("X509KeyPair", "get"):
            let a = try bind(name, PythonSignature.required("x509keypair_id"), args, kwargs)
            switch try ObjectIdentity(a["x509keypair_id"]) {
            case .id(let id): return .object(try await store.x509KeyPair(id: id, context: context).base)
            case .uuid(let uuid): return .object(try await store.x509KeyPair(uuid: uuid, context: context).base)
            }
        case ("X509KeyPair", "get_by_id"):
            let a = try bind(name, PythonSignature.required("x509keypair_id"), args, kwargs)
            let value = a["x509keypair_id"]
            let pair = try await notFoundUnlessInt(value, MagnumError("X509KeyPairNotFound", ["x509keypair": value])) {
                try await store.x509KeyPair(id: $0, context: context)
            }
            return .object(pair.base)
        case ("X509KeyPair", "get_by_uuid"):
            let a = try bind(name, PythonSignature.required("uuid"), args, kwargs)
            return .object(try await store.x509KeyPair(uuid: a.string("uuid"), context: context).base)
        case ("X509KeyPair", "list"):
            let a = try bind(name, Self.listWithFilters, args, kwargs)
            let pairs = try await store.x509KeyPairs(context: context, filters: a.dictionary("filters"), options: a.listOptions())
            return .objects(pairs.map(\.base))

        // MARK: MagnumService
        case ("MagnumService", "get_by_host_and_binary"):
            let a = try bind(name, PythonSignature.required("host", "binary"), args, kwargs)
            guard let service = try await store.magnumService(host: a.string("host"), binary: a.string("binary")) else {
                return .value(.null)
            }
            return .object(service.base)
        case ("MagnumService", "list"):
            let a = try bind(name, Self.listParameters, args, kwargs)
            return .objects(try await store.magnumServices(disabled: nil, options: a.listOptions()).map(\.base))

        // MARK: Quota
        case ("Quota", "get_quota_by_project_id_resource"):
            let a = try bind(name, PythonSignature.required("project_id", "resource"), args, kwargs)
            return .object(try await store.quota(projectId: a.string("project_id"), resource: a.string("resource")).base)
        case ("Quota", "get_by_id"):
            let a = try bind(name, PythonSignature.required("quota_id"), args, kwargs)
            let value = a["quota_id"]
            let quota = try await notFoundUnlessInt(value, MagnumError("QuotaNotFound", ["msg": .string("quota id \(PythonFormat.str(value)) .")])) {
                try await store.quota(id: $0)
            }
            return .object(quota.base)
        case ("Quota", "list"):
            let a = try bind(name, Self.listWithFilters, args, kwargs)
            return .objects(try await store.quotas(filters: a.dictionary("filters"), options: a.listOptions()).map(\.base))
        case ("Quota", "quota_get_all_by_project_id"):
            let a = try bind(name, PythonSignature.required("project_id"), args, kwargs)
            return .objects(try await store.quotas(projectId: a.string("project_id")).map(\.base))
        case ("Quota", "update_quota"):
            let a = try bind(name, PythonSignature.required("project_id", "quota"), args, kwargs)
            return .object(try await store.updateQuota(projectId: a.string("project_id"), values: a.dictionary("quota")).base)

        // MARK: Federation
        case ("Federation", "get"):
            let a = try bind(name, PythonSignature.required("federation_id"), args, kwargs)
            switch try ObjectIdentity(a["federation_id"]) {
            case .id(let id): return .object(try await store.federation(id: id, context: context).base)
            case .uuid(let uuid): return .object(try await store.federation(uuid: uuid, context: context).base)
            }
        case ("Federation", "get_by_id"):
            let a = try bind(name, PythonSignature.required("federation_id"), args, kwargs)
            let value = a["federation_id"]
            let federation = try await notFoundUnlessInt(value, MagnumError("FederationNotFound", ["federation": value])) {
                try await store.federation(id: $0, context: context)
            }
            return .object(federation.base)
        case ("Federation", "get_by_uuid"):
            let a = try bind(name, PythonSignature.required("uuid"), args, kwargs)
            return .object(try await store.federation(uuid: a.string("uuid"), context: context).base)
        case ("Federation", "get_by_name"):
            let a = try bind(name, PythonSignature.required("name"), args, kwargs)
            return .object(try await store.federation(name: a.string("name"), context: context).base)
        case ("Federation", "get_count_all"):
            let a = try bind(name, [("filters", .null)], args, kwargs)
            return .value(.int(Int64(try await store.federationCount(context: context, filters: a.dictionary("filters")))))
        case ("Federation", "list"):
            let a = try bind(name, Self.listWithFilters, args, kwargs)
            return .objects(try await store.federations(context: context, filters: a.dictionary("filters"), options: a.listOptions()).map(\.base))

        // MARK: Stats
        case ("Stats", "get_cluster_stats"):
            let a = try bind(name, [("project_id", .null)], args, kwargs)
            let stats = try await store.clusterStats(projectId: a.optionalString("project_id"))
            var object = Stats()
            object.clusters = stats.clusters
            object.nodes = stats.nodes
            return .object(object.base)

        default:
            throw IndirectionFailure.builtin("AttributeError", "type object '\(objname)' has no attribute '\(method)'")
        }
    }

    /// `NodeGroup.get`: by id, uuid or name.
    func nodeGroup(clusterId: String, _ value: JSONValue) async throws -> NodeGroup {
        if let id = ObjectIdentity.intLike(value) {
            return try await store.nodeGroup(id: id, clusterId: clusterId, context: context)
        } else if case .string(let s) = value, ObjectIdentity.isUUIDLike(s) {
            return try await store.nodeGroup(uuid: s, clusterId: clusterId, context: context)
        }
        return try await store.nodeGroup(name: value.stringValue ?? PythonFormat.str(value), clusterId: clusterId, context: context)
    }
}
