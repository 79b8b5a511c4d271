/// The column types of Magnum's SQLAlchemy models (`magnum/db/sqlalchemy/models.py`).
public enum ColumnType: Sendable, Equatable {
    case integer
    /// `String(n)`: `VARCHAR(n)`.
    case string(Int)
    /// `Text`.
    case text
    /// `Boolean`: 0/1 (`BOOLEAN` in SQLite, `tinyint(1)` in MariaDB).
    case boolean
    /// `DateTime` without time zone, UTC by convention.
    case dateTime
    /// `JSONEncodedDict`: a JSON object in a `TEXT` column; `None` is stored as `{}`.
    case jsonDict
    /// `JSONEncodedList`: a JSON list in a `TEXT` column; `None` is stored as `[]`.
    case jsonList

    /// The type as SQLAlchemy renders it in SQLite DDL.
    var sqliteDDL: String {
        switch self {
        case .integer: return "INTEGER"
        case .string(let n): return "VARCHAR(\(n))"
        case .text, .jsonDict, .jsonList: return "TEXT"
        case .boolean: return "BOOLEAN"
        case .dateTime: return "DATETIME"
        }
    }

    var isJSON: Bool { self == .jsonDict || self == .jsonList }
}

/// A Python-side column default (`Column(..., default=...)`): applied by SQLAlchemy when an
/// INSERT leaves the column out or sets it to `None`. None of Magnum's columns has a server-side
/// default in the models.
public enum ColumnDefault: Sendable, Equatable {
    case bool(Bool)
    case int(Int)
    /// `timeutils.utcnow()` (`created_at`).
    case now
}

/// One column of a Magnum table.
public struct ColumnSpec: Sendable, Equatable {
    public let name: String
    public let type: ColumnType
    public let nullable: Bool
    public let primaryKey: Bool
    public let defaultValue: ColumnDefault?

    init(_ name: String, _ type: ColumnType, nullable: Bool = true, primaryKey: Bool = false, default defaultValue: ColumnDefault? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable && !primaryKey
        self.primaryKey = primaryKey
        self.defaultValue = defaultValue
    }
}

/// A unique constraint: named ones as the models name them, unnamed ones (`cluster`,
/// `cluster_template`) as SQLAlchemy leaves them.
public struct UniqueConstraint: Sendable, Equatable {
    public let name: String?
    public let columns: [String]
}

/// One of Magnum's tables as its SQLAlchemy model declares it (column order included: the
/// model's own columns, then `created_at` and `updated_at` from oslo.db's `TimestampMixin`).
public struct TableSpec: Sendable {
    public let name: String
    public let columns: [ColumnSpec]
    public let uniqueConstraints: [UniqueConstraint]
    private let index: [String: Int]

    init(_ name: String, _ columns: [ColumnSpec], unique: [UniqueConstraint]) {
        self.name = name
        self.columns = columns + [
            ColumnSpec("created_at", .dateTime, default: .now),
            ColumnSpec("updated_at", .dateTime),
        ]
        self.uniqueConstraints = unique
        var index: [String: Int] = [:]
        for (i, c) in self.columns.enumerated() { index[c.name] = i }
        self.index = index
    }

    public func column(_ name: String) -> ColumnSpec? {
        index[name].map { columns[$0] }
    }

    public var columnNames: [String] { columns.map(\.name) }

    /// `CREATE TABLE` exactly as SQLAlchemy's `metadata.create_all` emits it for SQLite.
    public var sqliteDDL: String {
        var lines: [String] = []
        for c in columns {
            lines.append("\t\(c.name) \(c.type.sqliteDDL)\(c.nullable ? "" : " NOT NULL")")
        }
        let keys = columns.filter(\.primaryKey).map(\.name)
        lines.append("\tPRIMARY KEY (\(keys.joined(separator: ", ")))")
        for u in uniqueConstraints {
            let prefix = u.name.map { "CONSTRAINT \($0) " } ?? ""
            lines.append("\t\(prefix)UNIQUE (\(u.columns.joined(separator: ", ")))")
        }
        return "CREATE TABLE \(name) (\n" + lines.joined(separator: ", \n") + "\n)"
    }
}

/// Magnum 23's schema: the seven tables the conductor reads and writes, as the models define
/// them. MariaDB gets its schema from `magnum-db-manage upgrade` (alembic head
/// `b3e1cf4a2d5e`); the embedded SQLite database is created from these definitions, which a
/// test checks column by column against the models' own `create_all`.
public enum MagnumSchema {
    /// The alembic revision these definitions correspond to.
    public static let alembicHead = "b3e1cf4a2d5e"

    private static func s(_ name: String, _ length: Int = 255) -> ColumnSpec { ColumnSpec(name, .string(length)) }
    private static func i(_ name: String) -> ColumnSpec { ColumnSpec(name, .integer) }
    private static let id = ColumnSpec("id", .integer, primaryKey: true)

    public static let cluster = TableSpec("cluster", [
        id, s("project_id"), s("user_id"), s("uuid", 36), s("name"), s("cluster_template_id"), s("keypair"),
        i("docker_volume_size"), ColumnSpec("labels", .jsonDict), s("master_flavor_id"), s("flavor_id"),
        s("stack_id"), s("api_address"), s("status", 20), ColumnSpec("status_reason", .text),
        s("health_status", 20), ColumnSpec("health_status_reason", .jsonDict), i("create_timeout"),
        s("discovery_url"), s("coe_version"), s("container_version"), s("ca_cert_ref", 512),
        s("magnum_cert_ref", 512), s("etcd_ca_cert_ref", 512), s("front_proxy_ca_cert_ref", 512),
        s("fixed_network"), s("fixed_subnet"), ColumnSpec("floating_ip_enabled", .boolean, default: .bool(true)),
        ColumnSpec("master_lb_enabled", .boolean, default: .bool(false)),
    ], unique: [UniqueConstraint(name: nil, columns: ["uuid"])])

    public static let clusterTemplate = TableSpec("cluster_template", [
        id, s("uuid", 36), s("project_id"), s("user_id"), s("name"), s("image_id"), s("flavor_id"),
        s("master_flavor_id"), s("keypair_id"), s("external_network_id"), s("fixed_network"), s("fixed_subnet"),
        s("network_driver"), s("volume_driver"), s("dns_nameserver"), i("apiserver_port"), i("docker_volume_size"),
        s("docker_storage_driver"), s("cluster_distro"), s("coe"), s("http_proxy"), s("https_proxy"), s("no_proxy"),
        ColumnSpec("registry_enabled", .boolean, default: .bool(false)), ColumnSpec("labels", .jsonDict),
        ColumnSpec("tls_disabled", .boolean, default: .bool(false)), ColumnSpec("public", .boolean, default: .bool(false)),
        s("server_type"), s("insecure_registry"), ColumnSpec("master_lb_enabled", .boolean, default: .bool(false)),
        ColumnSpec("floating_ip_enabled", .boolean, default: .bool(true)),
        ColumnSpec("hidden", .boolean, default: .bool(false)), s("tags"), s("driver"),
    ], unique: [UniqueConstraint(name: nil, columns: ["uuid"])])

    public static let x509KeyPair = TableSpec("x509keypair", [
        id, s("uuid", 36), ColumnSpec("certificate", .text), ColumnSpec("private_key", .text),
        ColumnSpec("private_key_passphrase", .text), ColumnSpec("intermediates", .text), s("project_id"), s("user_id"),
    ], unique: [UniqueConstraint(name: "uniq_x509keypair0uuid", columns: ["uuid"])])

    public static let magnumService = TableSpec("magnum_service", [
        id, s("host"), s("binary"), ColumnSpec("disabled", .boolean, default: .bool(false)), s("disabled_reason"),
        ColumnSpec("last_seen_up", .dateTime), ColumnSpec("forced_down", .boolean, default: .bool(false)),
        ColumnSpec("report_count", .integer, nullable: false, default: .int(0)),
    ], unique: [UniqueConstraint(name: "uniq_magnum_service0host0binary", columns: ["host", "binary"])])

    public static let quotas = TableSpec("quotas", [
        id, s("project_id"), s("resource"), i("hard_limit"),
    ], unique: [UniqueConstraint(name: "uniq_quotas0project_id0resource", columns: ["project_id", "resource"])])

    public static let federation = TableSpec("federation", [
        id, s("project_id"), s("uuid", 36), s("name"), s("hostcluster_id"), ColumnSpec("member_ids", .jsonList),
        s("status", 20), ColumnSpec("status_reason", .text), ColumnSpec("properties", .jsonDict),
    ], unique: [UniqueConstraint(name: "uniq_federation0uuid", columns: ["uuid"])])

    public static let nodeGroup = TableSpec("nodegroup", [
        id, s("uuid", 36), s("name"), s("cluster_id"), s("project_id"), i("docker_volume_size"),
        ColumnSpec("labels", .jsonDict), s("flavor_id"), s("image_id"), ColumnSpec("node_addresses", .jsonList),
        i("node_count"), s("role"), i("max_node_count"), i("min_node_count"),
        ColumnSpec("is_default", .boolean, default: .bool(false)), s("stack_id"), s("status", 20),
        ColumnSpec("status_reason", .text), s("version", 20), ColumnSpec("node_labels", .jsonDict),
        ColumnSpec("node_taints", .jsonList),
    ], unique: [
        UniqueConstraint(name: "uniq_nodegroup0uuid", columns: ["uuid"]),
        UniqueConstraint(name: "uniq_nodegroup0cluster_id0name", columns: ["cluster_id", "name"]),
    ])

    /// Every table, in the order the models declare them (and `create_all` creates them).
    public static let tables: [TableSpec] = [cluster, clusterTemplate, x509KeyPair, magnumService, quotas, federation, nodeGroup]
}
