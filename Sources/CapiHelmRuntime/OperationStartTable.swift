public import ClusterStore
public import MagnumObjects

/// The worker's `capi_worker_operation` table (created by `WorkerSchema.migrate`, never a
/// Magnum table): when each cluster's current create, update or delete began, for `[capi_worker]
/// operation_timeouts`. One row per cluster; a row is only believed while the cluster is still
/// in that operation (its `status` says so), so a start left over from an earlier operation is
/// never used to time out a later one.
public struct OperationStartTable: Sendable {
    public static let table = "capi_worker_operation"
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Creates the worker's tables (this one included) when missing; returns the migrations
    /// applied now.
    @discardableResult
    public static func migrate(_ database: any SQLDatabase) async throws -> [String] {
        try await WorkerSchema.migrate(database)
    }

    /// `create`, `update`, `delete`... for `CREATE_IN_PROGRESS`, `UPDATE_IN_PROGRESS`...
    public static func operation(of status: ClusterStatus?) -> String {
        guard let raw = status?.rawValue, let action = raw.split(separator: "_").first else { return "update" }
        return action.lowercased()
    }

    public func record(clusterUUID: String, operation: String, at time: Timestamp) async throws {
        let dialect = database.dialect
        let table = dialect.quote(Self.table)
        let upsert: String
        switch dialect {
        case .sqlite:
            upsert = "INSERT INTO \(table) (cluster_uuid, operation, started_at) VALUES (?, ?, ?) "
                + "ON CONFLICT(cluster_uuid) DO UPDATE SET operation = excluded.operation, started_at = excluded.started_at"
        case .mariadb:
            upsert = "INSERT INTO \(table) (cluster_uuid, operation, started_at) VALUES (?, ?, ?) "
                + "ON DUPLICATE KEY UPDATE operation = VALUES(operation), started_at = VALUES(started_at)"
        }
        let values: [SQLValue] = [.text(clusterUUID), .text(operation), .text(time.sqlFormat)]
        try await database.write { connection in _ = try connection.execute(upsert, values) }
    }

    /// When the cluster's current operation began: the recorded start if it was recorded for the
    /// operation the cluster's `status` is in now.
    public func start(clusterUUID: String) async throws -> Timestamp? {
        let dialect = database.dialect
        let sql = "SELECT o.operation, o.started_at, c.status FROM \(dialect.quote(Self.table)) o "
            + "JOIN \(dialect.quote("cluster")) c ON c.uuid = o.cluster_uuid WHERE o.cluster_uuid = ?"
        let rows = try await database.read { connection in try connection.query(sql, [.text(clusterUUID)]) }
        guard let row = rows.rows.first, row.count == 3, case .text(let operation) = row[0] else { return nil }
        let status: ClusterStatus? = if case .text(let text) = row[2] { ClusterStatus(rawValue: text) } else { nil }
        guard status?.isInProgress == true, Self.operation(of: status) == operation else { return nil }
        switch row[1] {
        case .text(let text): return Timestamp(parsing: text)
        default: return nil
        }
    }

    public func clear(clusterUUID: String) async throws {
        let sql = "DELETE FROM \(database.dialect.quote(Self.table)) WHERE cluster_uuid = ?"
        try await database.write { connection in _ = try connection.execute(sql, [.text(clusterUUID)]) }
    }
}
