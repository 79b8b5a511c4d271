import ClusterStore
import JSON
import MagnumObjects

/// The remotable instance methods of Magnum's objects (`create`, `save`, `destroy`, `refresh`,
/// `report_state_up`, `delete`), run on the caller's object against the store, changing the
/// object the way the Python method changes `self`.
struct InstanceActions {
    let store: any ClusterStore
    let context: StoreContext

    /// Objects whose persistent methods Magnum defines, and their lazily loaded fields.
    static let lazyFields: [String: Set<String>] = ["Cluster": ["cluster_template"]]

    func run(_ object: inout VersionedObject, _ method: String, _ args: [JSONValue], _ kwargs: JSONObject) async throws -> JSONValue {
        let name = object.name
        let supported: Set<String>
        switch name {
        case "Cluster", "ClusterTemplate", "NodeGroup", "X509KeyPair", "Federation": supported = ["create", "save", "destroy", "refresh"]
        case "MagnumService": supported = ["create", "save", "destroy", "report_state_up"]
        case "Quota": supported = ["create", "delete"]
        default: supported = []
        }
        guard supported.contains(method) else {
            throw IndirectionFailure.builtin("AttributeError", "'\(name)' object has no attribute '\(method)'")
        }
        // Every one of them is `def method(self, context=None)`.
        _ = try PythonSignature("\(name).\(method)", [], contextOptional: true).bind(args, kwargs)

        switch method {
        case "create":
            let created: VersionedObject
            let values = object.changedValues
            switch name {
            case "Cluster": created = try await store.createCluster(values).base
            case "ClusterTemplate": created = try await store.createClusterTemplate(values).base
            case "NodeGroup": created = try await store.createNodeGroup(values).base
            case "X509KeyPair": created = try await store.createX509KeyPair(values).base
            case "Federation": created = try await store.createFederation(values).base
            case "MagnumService": created = try await store.createMagnumService(values).base
            default: created = try await store.createQuota(values).base
            }
            Self.copyFields(from: created, into: &object)
            object.resetChanges(recursive: false)
        case "save":
            let values = object.changedValues
            switch name {
            case "Cluster": _ = try await store.updateCluster(.uuid(try field(object, "uuid")), values: values)
            case "ClusterTemplate": _ = try await store.updateClusterTemplate(.uuid(try field(object, "uuid")), values: values)
            case "NodeGroup":
                _ = try await store.updateNodeGroup(clusterId: try field(object, "cluster_id"), .uuid(try field(object, "uuid")), values: values)
            case "X509KeyPair": _ = try await store.updateX509KeyPair(.uuid(try field(object, "uuid")), values: values)
            case "Federation": _ = try await store.updateFederation(.uuid(try field(object, "uuid")), values: values)
            default: _ = try await store.updateMagnumService(try ObjectIdentity(try value(object, "id")), values: values)
            }
            object.resetChanges(recursive: false)
        case "report_state_up":
            guard let count = try value(object, "report_count").intValue else {
                throw IndirectionFailure.typeError("unsupported operand type(s) for +=: 'NoneType' and 'int'")
            }
            object.set("report_count", .int(Int64(count + 1)))
            _ = try await store.updateMagnumService(try ObjectIdentity(try value(object, "id")), values: object.changedValues)
            object.resetChanges(recursive: false)
        case "destroy":
            switch name {
            case "Cluster": try await store.destroyCluster(.uuid(try field(object, "uuid")))
            case "ClusterTemplate": try await store.destroyClusterTemplate(.uuid(try field(object, "uuid")))
            case "NodeGroup": try await store.destroyNodeGroup(clusterId: try field(object, "cluster_id"), .uuid(try field(object, "uuid")))
            case "X509KeyPair": try await store.destroyX509KeyPair(.uuid(try field(object, "uuid")))
            case "Federation": try await store.destroyFederation(.uuid(try field(object, "uuid")))
            default: try await store.destroyMagnumService(try ObjectIdentity(try value(object, "id")))
            }
            object.resetChanges(recursive: false)
        case "delete":
            try await store.deleteQuota(projectId: try field(object, "project_id"), resource: try field(object, "resource"))
            object.resetChanges(recursive: false)
        case "refresh":
            let uuid = try field(object, "uuid")
            let current: VersionedObject
            switch name {
            case "Cluster": current = try await store.cluster(uuid: uuid, context: context).base
            case "ClusterTemplate": current = try await store.clusterTemplate(uuid: uuid, context: context).base
            case "NodeGroup": current = try await store.nodeGroup(uuid: uuid, clusterId: try field(object, "cluster_id"), context: context).base
            case "X509KeyPair": current = try await store.x509KeyPair(uuid: uuid, context: context).base
            default: current = try await store.federation(uuid: uuid, context: context).base
            }
            for spec in object.schema.fields where object.isSet(spec.name) {
                if Self.lazyFields[name]?.contains(spec.name) == true {
                    // `current[field]` lazy-loads the template; Python then compares two objects
                    // by identity, so the fresh template always replaces ours.
                    guard case .string(let templateId)? = current["cluster_template_id"] else { continue }
                    let template = try await store.clusterTemplate(uuid: templateId, context: context)
                    object.set(spec.name, try template.primitive())
                    continue
                }
                if let fresh = current[spec.name], fresh != object[spec.name] {
                    object.set(spec.name, fresh)
                }
            }
        default:
            throw IndirectionFailure.builtin("AttributeError", "'\(name)' object has no attribute '\(method)'")
        }
        return .null
    }

    /// `_from_db_object(self, db_obj)`: every non-lazy field from the stored row.
    static func copyFields(from source: VersionedObject, into object: inout VersionedObject) {
        for spec in object.schema.fields where lazyFields[object.name]?.contains(spec.name) != true {
            if let v = source[spec.name] { object.set(spec.name, v) }
        }
    }

    /// An attribute the method reads; unset ones fail as oslo's `obj_load_attr` does.
    func value(_ object: VersionedObject, _ name: String) throws(IndirectionFailure) -> JSONValue {
        guard let v = object[name] else {
            throw .builtin("NotImplementedError", "Cannot load '\(name)' in the base class")
        }
        return v
    }

    func field(_ object: VersionedObject, _ name: String) throws(IndirectionFailure) -> String {
        let v = try value(object, name)
        return v.stringValue ?? PythonFormat.str(v)
    }
}
