import JSON
public import OrderedCollections

/// Magnum's `X509KeyPair` (1.2): a certificate and its (encrypted) private key, as the
/// `x509keypair` cert manager stores them.
public struct X509KeyPair: MagnumObject {
    public static let schema = ObjectSchema(name: "X509KeyPair", version: ObjectVersion(1, 2), fields: [
        FieldSpec("id", .integer),
        FieldSpec("uuid", .uuid, nullable: true),
        FieldSpec("certificate", .string, nullable: true),
        FieldSpec("private_key", .string, nullable: true),
        FieldSpec("intermediates", .string, nullable: true),
        FieldSpec("private_key_passphrase", .string, nullable: true),
        FieldSpec("project_id", .string, nullable: true),
        FieldSpec("user_id", .string, nullable: true),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var uuid: String? { get { base.string("uuid") } set { base.set("uuid", string: newValue) } }
    public var certificate: String? { get { base.string("certificate") } set { base.set("certificate", string: newValue) } }
    public var privateKey: String? { get { base.string("private_key") } set { base.set("private_key", string: newValue) } }
    public var intermediates: String? {
        get { base.string("intermediates") }
        set { base.set("intermediates", string: newValue) }
    }
    public var privateKeyPassphrase: String? {
        get { base.string("private_key_passphrase") }
        set { base.set("private_key_passphrase", string: newValue) }
    }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var userId: String? { get { base.string("user_id") } set { base.set("user_id", string: newValue) } }
}

/// Magnum's `MagnumService` (1.0): one conductor process's heartbeat row, what
/// `openstack coe service list` shows.
public struct MagnumService: MagnumObject {
    public static let schema = ObjectSchema(name: "MagnumService", version: ObjectVersion(1, 0), fields: [
        FieldSpec("id", .integer),
        FieldSpec("host", .string, nullable: true),
        FieldSpec("binary", .string, nullable: true),
        FieldSpec("disabled", .boolean),
        FieldSpec("disabled_reason", .string, nullable: true),
        FieldSpec("last_seen_up", .dateTime, nullable: true),
        FieldSpec("forced_down", .boolean),
        FieldSpec("report_count", .integer),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var host: String? { get { base.string("host") } set { base.set("host", string: newValue) } }
    public var binary: String? { get { base.string("binary") } set { base.set("binary", string: newValue) } }
    public var disabled: Bool? { get { base.bool("disabled") } set { base.set("disabled", bool: newValue) } }
    public var disabledReason: String? {
        get { base.string("disabled_reason") }
        set { base.set("disabled_reason", string: newValue) }
    }
    public var lastSeenUp: Timestamp? {
        get { base.timestamp("last_seen_up") }
        set { base.set("last_seen_up", timestamp: newValue) }
    }
    public var forcedDown: Bool? { get { base.bool("forced_down") } set { base.set("forced_down", bool: newValue) } }
    public var reportCount: Int? { get { base.int("report_count") } set { base.set("report_count", int: newValue) } }
}

/// Magnum's `Certificate` (1.2): a CSR to sign, or a CA certificate handed back (not stored).
public struct Certificate: MagnumObject {
    public static let schema = ObjectSchema(name: "Certificate", version: ObjectVersion(1, 2), fields: [
        FieldSpec("project_id", .string, nullable: true),
        FieldSpec("user_id", .string, nullable: true),
        FieldSpec("cluster_uuid", .string, nullable: true),
        FieldSpec("csr", .string, nullable: true),
        FieldSpec("pem", .string, nullable: true),
        FieldSpec("ca_cert_type", .string, nullable: true),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var userId: String? { get { base.string("user_id") } set { base.set("user_id", string: newValue) } }
    public var clusterUUID: String? {
        get { base.string("cluster_uuid") }
        set { base.set("cluster_uuid", string: newValue) }
    }
    public var csr: String? { get { base.string("csr") } set { base.set("csr", string: newValue) } }
    public var pem: String? { get { base.string("pem") } set { base.set("pem", string: newValue) } }
    public var caCertType: String? {
        get { base.string("ca_cert_type") }
        set { base.set("ca_cert_type", string: newValue) }
    }
}

/// Magnum's `Federation` (1.0).
public struct Federation: MagnumObject {
    public static let schema = ObjectSchema(name: "Federation", version: ObjectVersion(1, 0), fields: [
        FieldSpec("id", .integer),
        FieldSpec("uuid", .uuid, nullable: true),
        FieldSpec("name", .string, nullable: true),
        FieldSpec("project_id", .string, nullable: true),
        FieldSpec("hostcluster_id", .string, nullable: true),
        FieldSpec("member_ids", .listOfStrings, nullable: true),
        FieldSpec("status", .enumeration(FederationStatus.allCases.map(\.rawValue)), nullable: true),
        FieldSpec("status_reason", .string, nullable: true),
        FieldSpec("properties", .dictOfStrings, nullable: true),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var uuid: String? { get { base.string("uuid") } set { base.set("uuid", string: newValue) } }
    public var name: String? { get { base.string("name") } set { base.set("name", string: newValue) } }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var hostclusterId: String? {
        get { base.string("hostcluster_id") }
        set { base.set("hostcluster_id", string: newValue) }
    }
    public var memberIds: [String]? { get { base.stringList("member_ids") } set { base.set("member_ids", stringList: newValue) } }
    public var status: FederationStatus? {
        get { base.string("status").flatMap(FederationStatus.init(rawValue:)) }
        set { base.set("status", string: newValue?.rawValue) }
    }
    public var statusReason: String? {
        get { base.string("status_reason") }
        set { base.set("status_reason", string: newValue) }
    }
    public var properties: OrderedDictionary<String, String>? {
        get { base.stringDictionary("properties") }
        set { base.set("properties", stringDictionary: newValue) }
    }
}

/// Magnum's `Quota` (1.0): a project's hard limit on one resource ("Cluster").
public struct Quota: MagnumObject {
    public static let schema = ObjectSchema(name: "Quota", version: ObjectVersion(1, 0), fields: [
        FieldSpec("id", .integer),
        FieldSpec("project_id", .string),
        FieldSpec("resource", .string),
        FieldSpec("hard_limit", .integer),
    ] + persistentFields)

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var id: Int? { get { base.int("id") } set { base.set("id", int: newValue) } }
    public var projectId: String? { get { base.string("project_id") } set { base.set("project_id", string: newValue) } }
    public var resource: String? { get { base.string("resource") } set { base.set("resource", string: newValue) } }
    public var hardLimit: Int? { get { base.int("hard_limit") } set { base.set("hard_limit", int: newValue) } }
}

/// Magnum's `Stats` (1.0): what `Cluster.get_stats` answers (cluster and node totals).
public struct Stats: MagnumObject {
    public static let schema = ObjectSchema(name: "Stats", version: ObjectVersion(1, 0), fields: [
        FieldSpec("clusters", .integer),
        FieldSpec("nodes", .integer, nullable: true),
    ])

    public var base: VersionedObject
    public init(unchecked base: VersionedObject) { self.base = base }

    public var clusters: Int? { get { base.int("clusters") } set { base.set("clusters", int: newValue) } }
    public var nodes: Int? { get { base.int("nodes") } set { base.set("nodes", int: newValue) } }
}
