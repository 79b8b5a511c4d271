public import JSON
public import OrderedCollections

/// Magnum's `NodeGroup` object (version 1.2): a set of nodes of one flavor and role in a cluster.
/// `cluster_id` holds the cluster's uuid.
public struct NodeGroup: MagnumObject {
    public static let schema = ObjectSchema(name: "NodeGroup", version: ObjectVersion(1, 2), fields: [
        FieldSpec("id", .integer),
        FieldSpec("uuid", .uuid),
        FieldSpec("name", .string),
        FieldSpec("cluster_id", .string),
        FieldSpec("project_id", .string),
        FieldSpec("docker_volume_size", .integer, nullable: true),
        FieldSpec("labels", .dictOfStrings, nullable: true),
        FieldSpec("flavor_id", .string, nullable: true),
        FieldSpec("image_id", .string, nullable: true),
        FieldSpec("node_addresses", .listOfStrings, nullable: true),
        FieldSpec("node_count", .integer, default: 1),
        FieldSpec("role", .string),
        FieldSpec("max_node_count", .integer, nullable: true),
        FieldSpec("min_node_count", .integer, default: 0),
        FieldSpec("is_default", .boolean, default: false),
        FieldSpec("stack_id", .string, nullable: true),
        FieldSpec("status", .enumeration(ClusterStatus.allCases.map(\.rawValue)), nullable: true),
        FieldSpec("status_reason", .string, nullable: true),
        FieldSpec("version", .string, nullable: true),
        FieldSpec("node_labels", .dictOfStrings, nullable: true),
        FieldSpec("node_taints", .listOfDicts, nullable: true),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var uuid: String? { get { base.string("uuid") } set { base.set("uuid", string: newValue) } }
    public var name: String? { get { base.string("name") } set { base.set("name", string: newValue) } }
    /// The owning cluster's uuid.
    public var clusterId: String? { get { base.string("cluster_id") } set { base.set("cluster_id", string: newValue) } }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var dockerVolumeSize: Int? {
        get { base.int("docker_volume_size") }
        set { base.set("docker_volume_size", int: newValue) }
    }
    public var labels: OrderedDictionary<String, String>? {
        get { base.stringDictionary("labels") }
        set { base.set("labels", stringDictionary: newValue) }
    }
    public var flavorId: String? { get { base.string("flavor_id") } set { base.set("flavor_id", string: newValue) } }
    public var imageId: String? { get { base.string("image_id") } set { base.set("image_id", string: newValue) } }
    public var nodeAddresses: [String]? {
        get { base.stringList("node_addresses") }
        set { base.set("node_addresses", stringList: newValue) }
    }
    public var nodeCount: Int? { get { base.int("node_count") } set { base.set("node_count", int: newValue) } }
    public var role: String? { get { base.string("role") } set { base.set("role", string: newValue) } }
    public var maxNodeCount: Int? { get { base.int("max_node_count") } set { base.set("max_node_count", int: newValue) } }
    public var minNodeCount: Int? { get { base.int("min_node_count") } set { base.set("min_node_count", int: newValue) } }
    public var isDefault: Bool? { get { base.bool("is_default") } set { base.set("is_default", bool: newValue) } }
    public var stackId: String? { get { base.string("stack_id") } set { base.set("stack_id", string: newValue) } }
    public var status: ClusterStatus? {
        get { base.string("status").flatMap(ClusterStatus.init(rawValue:)) }
        set { base.set("status", string: newValue?.rawValue) }
    }
    public var statusReason: String? {
        get { base.string("status_reason") }
        set { base.set("status_reason", string: newValue) }
    }
    public var version: String? { get { base.string("version") } set { base.set("version", string: newValue) } }
    public var nodeLabels: OrderedDictionary<String, String>? {
        get { base.stringDictionary("node_labels") }
        set { base.set("node_labels", stringDictionary: newValue) }
    }
    /// Taints as Magnum stores them: a list of `{"key", "value", "effect"}` objects.
    public var nodeTaints: [JSONObject]? {
        get { base["node_taints"]?.arrayValue?.compactMap(\.objectValue) }
        set { base.set("node_taints", newValue.map { .array($0.map { .object($0) }) } ?? .null) }
    }

    public var isMaster: Bool { role == NodeGroupRole.master }
}
