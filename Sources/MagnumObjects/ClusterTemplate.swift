import JSON
public import OrderedCollections

/// Magnum's `ClusterTemplate` object (version 1.21): the image, flavors, networking and labels
/// clusters are created from.
public struct ClusterTemplate: MagnumObject {
    public static let schema = ObjectSchema(name: "ClusterTemplate", version: ObjectVersion(1, 21), fields: [
        FieldSpec("id", .integer),
        FieldSpec("uuid", .string, nullable: true),
        FieldSpec("project_id", .string, nullable: true),
        FieldSpec("user_id", .string, nullable: true),
        FieldSpec("name", .string, nullable: true),
        FieldSpec("image_id", .string, nullable: true),
        FieldSpec("flavor_id", .string, nullable: true),
        FieldSpec("master_flavor_id", .string, nullable: true),
        FieldSpec("keypair_id", .string, nullable: true),
        FieldSpec("dns_nameserver", .string, nullable: true),
        FieldSpec("external_network_id", .string, nullable: true),
        FieldSpec("fixed_network", .string, nullable: true),
        FieldSpec("fixed_subnet", .string, nullable: true),
        FieldSpec("network_driver", .string, nullable: true),
        FieldSpec("volume_driver", .string, nullable: true),
        FieldSpec("apiserver_port", .integer, nullable: true),
        FieldSpec("docker_volume_size", .integer, nullable: true),
        FieldSpec("docker_storage_driver", .string, nullable: true),
        FieldSpec("cluster_distro", .string, nullable: true),
        FieldSpec("coe", .enumeration(["kubernetes"]), nullable: true),
        FieldSpec("http_proxy", .string, nullable: true),
        FieldSpec("https_proxy", .string, nullable: true),
        FieldSpec("no_proxy", .string, nullable: true),
        FieldSpec("registry_enabled", .boolean, default: false),
        FieldSpec("labels", .dictOfStrings, nullable: true),
        FieldSpec("tls_disabled", .boolean, default: false),
        FieldSpec("public", .boolean, default: false),
        FieldSpec("server_type", .string, nullable: true),
        FieldSpec("insecure_registry", .string, nullable: true),
        FieldSpec("master_lb_enabled", .boolean, default: false),
        FieldSpec("floating_ip_enabled", .boolean, default: true),
        FieldSpec("hidden", .boolean, default: false),
        FieldSpec("tags", .string, nullable: true),
        FieldSpec("driver", .string, nullable: true),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var uuid: String? { get { base.string("uuid") } set { base.set("uuid", string: newValue) } }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var userId: String? { get { base.string("user_id") } set { base.set("user_id", string: newValue) } }
    public var name: String? { get { base.string("name") } set { base.set("name", string: newValue) } }
    public var imageId: String? { get { base.string("image_id") } set { base.set("image_id", string: newValue) } }
    public var flavorId: String? { get { base.string("flavor_id") } set { base.set("flavor_id", string: newValue) } }
    public var masterFlavorId: String? {
        get { base.string("master_flavor_id") }
        set { base.set("master_flavor_id", string: newValue) }
    }
    public var keypairId: String? { get { base.string("keypair_id") } set { base.set("keypair_id", string: newValue) } }
    public var dnsNameserver: String? {
        get { base.string("dns_nameserver") }
        set { base.set("dns_nameserver", string: newValue) }
    }
    public var externalNetworkId: String? {
        get { base.string("external_network_id") }
        set { base.set("external_network_id", string: newValue) }
    }
    public var fixedNetwork: String? {
        get { base.string("fixed_network") }
        set { base.set("fixed_network", string: newValue) }
    }
    public var fixedSubnet: String? {
        get { base.string("fixed_subnet") }
        set { base.set("fixed_subnet", string: newValue) }
    }
    public var networkDriver: String? {
        get { base.string("network_driver") }
        set { base.set("network_driver", string: newValue) }
    }
    public var volumeDriver: String? {
        get { base.string("volume_driver") }
        set { base.set("volume_driver", string: newValue) }
    }
    public var apiserverPort: Int? { get { base.int("apiserver_port") } set { base.set("apiserver_port", int: newValue) } }
    public var dockerVolumeSize: Int? {
        get { base.int("docker_volume_size") }
        set { base.set("docker_volume_size", int: newValue) }
    }
    public var dockerStorageDriver: String? {
        get { base.string("docker_storage_driver") }
        set { base.set("docker_storage_driver", string: newValue) }
    }
    public var clusterDistro: String? {
        get { base.string("cluster_distro") }
        set { base.set("cluster_distro", string: newValue) }
    }
    public var coe: String? { get { base.string("coe") } set { base.set("coe", string: newValue) } }
    public var httpProxy: String? { get { base.string("http_proxy") } set { base.set("http_proxy", string: newValue) } }
    public var httpsProxy: String? { get { base.string("https_proxy") } set { base.set("https_proxy", string: newValue) } }
    public var noProxy: String? { get { base.string("no_proxy") } set { base.set("no_proxy", string: newValue) } }
    public var registryEnabled: Bool? {
        get { base.bool("registry_enabled") }
        set { base.set("registry_enabled", bool: newValue) }
    }
    public var labels: OrderedDictionary<String, String>? {
        get { base.stringDictionary("labels") }
        set { base.set("labels", stringDictionary: newValue) }
    }
    public var tlsDisabled: Bool? { get { base.bool("tls_disabled") } set { base.set("tls_disabled", bool: newValue) } }
    public var isPublic: Bool? { get { base.bool("public") } set { base.set("public", bool: newValue) } }
    public var serverType: String? { get { base.string("server_type") } set { base.set("server_type", string: newValue) } }
    public var insecureRegistry: String? {
        get { base.string("insecure_registry") }
        set { base.set("insecure_registry", string: newValue) }
    }
    public var masterLBEnabled: Bool? {
        get { base.bool("master_lb_enabled") }
        set { base.set("master_lb_enabled", bool: newValue) }
    }
    public var floatingIPEnabled: Bool? {
        get { base.bool("floating_ip_enabled") }
        set { base.set("floating_ip_enabled", bool: newValue) }
    }
    public var hidden: Bool? { get { base.bool("hidden") } set { base.set("hidden", bool: newValue) } }
    public var tags: String? { get { base.string("tags") } set { base.set("tags", string: newValue) } }
    public var driver: String? { get { base.string("driver") } set { base.set("driver", string: newValue) } }
}
