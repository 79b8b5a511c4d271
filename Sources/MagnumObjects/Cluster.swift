import JSON
public import OrderedCollections

/// Magnum's `Cluster` object (version 1.24): one Kubernetes cluster as magnum-api knows it.
/// `node_count` and `master_count` are not fields; they are sums over the cluster's nodegroups.
public struct Cluster: MagnumObject {
    public static let schema = ObjectSchema(name: "Cluster", version: ObjectVersion(1, 24), fields: [
        FieldSpec("id", .integer),
        FieldSpec("uuid", .uuid, nullable: true),
        FieldSpec("name", .string, nullable: true),
        FieldSpec("project_id", .string, nullable: true),
        FieldSpec("user_id", .string, nullable: true),
        FieldSpec("cluster_template_id", .string, nullable: true),
        FieldSpec("keypair", .string, nullable: true),
        FieldSpec("docker_volume_size", .integer, nullable: true),
        FieldSpec("labels", .dictOfStrings, nullable: true),
        FieldSpec("master_flavor_id", .string, nullable: true),
        FieldSpec("flavor_id", .string, nullable: true),
        FieldSpec("stack_id", .string, nullable: true),
        FieldSpec("status", .enumeration(ClusterStatus.allCases.map(\.rawValue)), nullable: true),
        FieldSpec("status_reason", .string, nullable: true),
        FieldSpec("health_status", .enumeration(ClusterHealthStatus.allCases.map(\.rawValue)), nullable: true),
        FieldSpec("health_status_reason", .dictOfStrings, nullable: true),
        FieldSpec("create_timeout", .integer, nullable: true),
        FieldSpec("api_address", .string, nullable: true),
        FieldSpec("discovery_url", .string, nullable: true),
        FieldSpec("ca_cert_ref", .string, nullable: true),
        FieldSpec("magnum_cert_ref", .string, nullable: true),
        FieldSpec("etcd_ca_cert_ref", .string, nullable: true),
        FieldSpec("front_proxy_ca_cert_ref", .string, nullable: true),
        FieldSpec("cluster_template", .object("ClusterTemplate")),
        FieldSpec("coe_version", .string, nullable: true),
        FieldSpec("container_version", .string, nullable: true),
        FieldSpec("fixed_network", .string, nullable: true),
        FieldSpec("fixed_subnet", .string, nullable: true),
        FieldSpec("floating_ip_enabled", .boolean, default: true),
        FieldSpec("master_lb_enabled", .boolean, default: false),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var uuid: String? { get { base.string("uuid") } set { base.set("uuid", string: newValue) } }
    public var name: String? { get { base.string("name") } set { base.set("name", string: newValue) } }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var userId: String? { get { base.string("user_id") } set { base.set("user_id", string: newValue) } }
    public var clusterTemplateId: String? {
        get { base.string("cluster_template_id") }
        set { base.set("cluster_template_id", string: newValue) }
    }
    public var keypair: String? { get { base.string("keypair") } set { base.set("keypair", string: newValue) } }
    public var dockerVolumeSize: Int? {
        get { base.int("docker_volume_size") }
        set { base.set("docker_volume_size", int: newValue) }
    }
    public var labels: OrderedDictionary<String, String>? {
        get { base.stringDictionary("labels") }
        set { base.set("labels", stringDictionary: newValue) }
    }
    public var masterFlavorId: String? {
        get { base.string("master_flavor_id") }
        set { base.set("master_flavor_id", string: newValue) }
    }
    public var flavorId: String? { get { base.string("flavor_id") } set { base.set("flavor_id", string: newValue) } }
    public var stackId: String? { get { base.string("stack_id") } set { base.set("stack_id", string: newValue) } }
    public var status: ClusterStatus? {
        get { base.string("status").flatMap(ClusterStatus.init(rawValue:)) }
        set { base.set("status", string: newValue?.rawValue) }
    }
    public var statusReason: String? {
        get { base.string("status_reason") }
        set { base.set("status_reason", string: newValue) }
    }
    public var healthStatus: ClusterHealthStatus? {
        get { base.string("health_status").flatMap(ClusterHealthStatus.init(rawValue:)) }
        set { base.set("health_status", string: newValue?.rawValue) }
    }
    public var healthStatusReason: OrderedDictionary<String, String>? {
        get { base.stringDictionary("health_status_reason") }
        set { base.set("health_status_reason", stringDictionary: newValue) }
    }
    public var createTimeout: Int? {
        get { base.int("create_timeout") }
        set { base.set("create_timeout", int: newValue) }
    }
    public var apiAddress: String? { get { base.string("api_address") } set { base.set("api_address", string: newValue) } }
    public var discoveryURL: String? {
        get { base.string("discovery_url") }
        set { base.set("discovery_url", string: newValue) }
    }
    public var caCertRef: String? { get { base.string("ca_cert_ref") } set { base.set("ca_cert_ref", string: newValue) } }
    public var magnumCertRef: String? {
        get { base.string("magnum_cert_ref") }
        set { base.set("magnum_cert_ref", string: newValue) }
    }
    public var etcdCACertRef: String? {
        get { base.string("etcd_ca_cert_ref") }
        set { base.set("etcd_ca_cert_ref", string: newValue) }
    }
    public var frontProxyCACertRef: String? {
        get { base.string("front_proxy_ca_cert_ref") }
        set { base.set("front_proxy_ca_cert_ref", string: newValue) }
    }
    public var coeVersion: String? { get { base.string("coe_version") } set { base.set("coe_version", string: newValue) } }
    public var containerVersion: String? {
        get { base.string("container_version") }
        set { base.set("container_version", string: newValue) }
    }
    public var fixedNetwork: String? {
        get { base.string("fixed_network") }
        set { base.set("fixed_network", string: newValue) }
    }
    public var fixedSubnet: String? {
        get { base.string("fixed_subnet") }
        set { base.set("fixed_subnet", string: newValue) }
    }
    public var floatingIPEnabled: Bool? {
        get { base.bool("floating_ip_enabled") }
        set { base.set("floating_ip_enabled", bool: newValue) }
    }
    public var masterLBEnabled: Bool? {
        get { base.bool("master_lb_enabled") }
        set { base.set("master_lb_enabled", bool: newValue) }
    }

    /// The nested template when the sender included it (Python loads it lazily otherwise).
    public var clusterTemplate: ClusterTemplate? {
        get {
            guard let p = base["cluster_template"], !p.isNull else { return nil }
            return try? ClusterTemplate(primitive: p)
        }
        set {
            if let newValue, let p = try? newValue.primitive() {
                base.set("cluster_template", p)
            } else {
                base.unset("cluster_template")
            }
        }
    }
}
