import ClusterStore
import JSON
import MagnumObjects
public import OsloMessaging

/// The RPC endpoints magnum-conductor registers (`magnum/cmd/conductor.py`), in Magnum's order:
/// indirection API, cluster, listener, credential, CA, federation and nodegroup handlers. Like
/// Magnum's, none declares a target: all are in the default namespace at version 1.0, and the
/// first endpoint with a method serves it.
public enum ConductorEndpoints {
    public static func all(conductor: Conductor, indirection: IndirectionAPI) -> [any RPCEndpoint] {
        [
            IndirectionEndpoint(api: indirection),
            ClusterConductorEndpoint(conductor: conductor),
            ConductorListenerEndpoint(),
            CredentialConductorEndpoint(conductor: conductor),
            CAConductorEndpoint(conductor: conductor),
            FederationConductorEndpoint(conductor: conductor),
            NodeGroupConductorEndpoint(conductor: conductor),
        ]
    }

    /// Every method magnum-api sends on the conductor topic.
    public static let methods: [String] = IndirectionEndpoint.methods + ClusterConductorEndpoint.methods
        + ConductorListenerEndpoint.methods + CredentialConductorEndpoint.methods + CAConductorEndpoint.methods
        + FederationConductorEndpoint.methods + NodeGroupConductorEndpoint.methods
}

/// `indirection_api.Handler`: object methods run for magnum-api.
struct IndirectionEndpoint: RPCEndpoint {
    static let methods = ["object_class_action_versions", "object_action", "object_backport_versions"]
    let api: IndirectionAPI

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        try await api.call(method: invocation.method, context: StoreContext(invocation.context), args: invocation.args)
    }
}

/// `cluster_conductor.Handler`.
struct ClusterConductorEndpoint: RPCEndpoint {
    static let methods = ["cluster_create", "cluster_update", "cluster_delete", "cluster_resize", "cluster_upgrade"]
    let conductor: Conductor

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        let context = invocation.context
        switch invocation.method {
        case "cluster_create":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster", "master_count", "node_count", "create_timeout"))
            let cluster = try a.object("cluster", Cluster.self)
            return try await conductor.clusterCreate(context: context, cluster: cluster, masterCount: a["master_count"],
                                                     nodeCount: a["node_count"], createTimeout: a["create_timeout"]).primitive()
        case "cluster_update":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster", "node_count", "health_status", "health_status_reason")
                                               + [("rollback", false)])
            let cluster = try a.object("cluster", Cluster.self)
            let result = try await conductor.clusterUpdate(context: context, cluster: cluster, nodeCount: a["node_count"],
                                                           healthStatus: a["health_status"],
                                                           healthStatusReason: a["health_status_reason"], rollback: a.bool("rollback"))
            return try result?.primitive() ?? .null
        case "cluster_delete":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args, parameters: PythonSignature.required("uuid"))
            try await conductor.clusterDelete(context: context, uuid: a["uuid"])
            return .null
        case "cluster_resize":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster", "node_count", "nodes_to_remove", "nodegroup"))
            let cluster = try a.object("cluster", Cluster.self)
            let nodeGroup = try a.object("nodegroup", NodeGroup.self)
            return try await conductor.clusterResize(context: context, cluster: cluster, nodeCount: a["node_count"],
                                                     nodesToRemove: try a.strings("nodes_to_remove"), nodeGroup: nodeGroup).primitive()
        case "cluster_upgrade":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster", "cluster_template", "max_batch_size", "nodegroup")
                                               + [("rollback", false)])
            let cluster = try a.object("cluster", Cluster.self)
            let template = try a.object("cluster_template", ClusterTemplate.self)
            let nodeGroup = try a.object("nodegroup", NodeGroup.self)
            return try await conductor.clusterUpgrade(context: context, cluster: cluster, clusterTemplate: template,
                                                      maxBatchSize: try a.int("max_batch_size", optional: true), nodeGroup: nodeGroup,
                                                      rollback: a.bool("rollback")).primitive()
        default:
            throw NoSuchMethod(method: invocation.method)
        }
    }
}

/// `conductor_listener.Handler`: `ping_conductor` answers `True`.
struct ConductorListenerEndpoint: RPCEndpoint {
    static let methods = ["ping_conductor"]

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        _ = try ConductorArguments(method: invocation.method, args: invocation.args, parameters: [])
        return true
    }
}

/// `credential_conductor.Handler`.
struct CredentialConductorEndpoint: RPCEndpoint {
    static let methods = ["credential_rotate"]
    let conductor: Conductor

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        let a = try ConductorArguments(method: invocation.method, args: invocation.args, parameters: PythonSignature.required("cluster"))
        try await conductor.credentialRotate(context: invocation.context, cluster: try a.object("cluster", Cluster.self))
        return .null
    }
}

/// `ca_conductor.Handler`.
struct CAConductorEndpoint: RPCEndpoint {
    static let methods = ["sign_certificate", "get_ca_certificate", "rotate_ca_certificate"]
    let conductor: Conductor

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        let context = invocation.context
        switch invocation.method {
        case "sign_certificate":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster", "certificate"))
            let cluster = try a.object("cluster", Cluster.self)
            let certificate = try a.object("certificate", MagnumObjects.Certificate.self)
            return try await conductor.signCertificate(context: context, cluster: cluster, certificate: certificate).primitive()
        case "get_ca_certificate":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                           parameters: PythonSignature.required("cluster") + [("ca_cert_type", .null)])
            let cluster = try a.object("cluster", Cluster.self)
            return try await conductor.getCACertificate(context: context, cluster: cluster, caCertType: a.string("ca_cert_type")).primitive()
        case "rotate_ca_certificate":
            let a = try ConductorArguments(method: invocation.method, args: invocation.args, parameters: PythonSignature.required("cluster"))
            return try await conductor.rotateCACertificate(context: context, cluster: try a.object("cluster", Cluster.self)).primitive()
        default:
            throw NoSuchMethod(method: invocation.method)
        }
    }
}

/// `federation_conductor.Handler`: Magnum 23 raises `NotImplementedError` after binding the
/// arguments (and deserialising the `Federation`).
struct FederationConductorEndpoint: RPCEndpoint {
    static let methods = ["federation_create", "federation_update", "federation_delete"]
    let conductor: Conductor

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        let parameters: [(String, JSONValue?)]
        switch invocation.method {
        case "federation_create": parameters = PythonSignature.required("federation", "create_timeout")
        case "federation_update": parameters = PythonSignature.required("federation") + [("rollback", false)]
        default: parameters = PythonSignature.required("uuid")
        }
        _ = try ConductorArguments(method: invocation.method, args: invocation.args, parameters: parameters)
        try conductor.federationNotImplemented()
    }
}

/// `nodegroup_conductor.Handler`.
struct NodeGroupConductorEndpoint: RPCEndpoint {
    static let methods = ["nodegroup_create", "nodegroup_update", "nodegroup_delete"]
    let conductor: Conductor

    func handles(method: String) -> Bool { Self.methods.contains(method) }

    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        let a = try ConductorArguments(method: invocation.method, args: invocation.args,
                                       parameters: PythonSignature.required("cluster", "nodegroup"))
        let cluster = try a.object("cluster", Cluster.self)
        let nodeGroup = try a.object("nodegroup", NodeGroup.self)
        switch invocation.method {
        case "nodegroup_create":
            return try await conductor.nodeGroupCreate(context: invocation.context, cluster: cluster, nodeGroup: nodeGroup).primitive()
        case "nodegroup_update":
            return try await conductor.nodeGroupUpdate(context: invocation.context, cluster: cluster, nodeGroup: nodeGroup).primitive()
        default:
            try await conductor.nodeGroupDelete(context: invocation.context, cluster: cluster, nodeGroup: nodeGroup)
            return .null
        }
    }
}
