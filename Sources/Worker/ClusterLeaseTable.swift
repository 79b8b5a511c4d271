public import ClusterStore
public import MagnumObjects

/// The worker's `capi_worker_lease` table (migration `0002_capi_worker_lease`, never a Magnum
/// table): one row per leased resource (a cluster uuid), naming its owner and when the lease
/// runs out. Each operation is one statement or one transaction, so two workers racing for a
/// resource cannot both win: the row's primary key and a conditional `UPDATE` decide.
///
/// Times are the workers' clocks (as Magnum's `service_down_time` already assumes): keep the
/// workers' clocks in sync (NTP); the lease time should be large against the skew.
public struct ClusterLeaseTable: Sendable {
    public static let table = "capi_worker_lease"
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// One lease as stored.
    public struct Lease: Sendable, Equatable {
        public let resource: String
        public let owner: String
        public let expiresAt: Timestamp
    }

    /// Takes `resource` for `owner` until `expiresAt` when it is free, expired, or `owner`'s
    /// already. Returns whether `owner` holds it now.
    public func acquire(_ resource: String, owner: String, now: Timestamp, expiresAt: Timestamp) async throws -> Bool {
        let dialect = database.dialect
        let table = dialect.quote(Self.table)
        let insert = dialect == .sqlite
            ? "INSERT OR IGNORE INTO \(table) (resource, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
            : "INSERT IGNORE INTO \(table) (resource, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
        let takeOver = "UPDATE \(table) SET owner = ?, acquired_at = ?, expires_at = ? WHERE resource = ? AND (owner = ? OR expires_at < ?)"
        let now = now.sqlFormatMicroseconds, until = expiresAt.sqlFormatMicroseconds
        return try await database.write { connection in
            if try connection.execute(insert, [.text(resource), .text(owner), .text(now), .text(until)]).affectedRows == 1 {
                return true
            }
            let changed = try connection.execute(takeOver, [.text(owner), .text(now), .text(until), .text(resource), .text(owner), .text(now)])
            return changed.affectedRows == 1
        }
    }

    /// Extends `owner`'s lease; false when it is no longer `owner`'s (expired and taken over,
    /// or released).
    public func renew(_ resource: String, owner: String, expiresAt: Timestamp) async throws -> Bool {
        let sql = "UPDATE \(database.dialect.quote(Self.table)) SET expires_at = ? WHERE resource = ? AND owner = ?"
        let until = expiresAt.sqlFormatMicroseconds
        return try await database.write { connection in
            try connection.execute(sql, [.text(until), .text(resource), .text(owner)]).affectedRows == 1
        }
    }

    /// Gives `resource` up if `owner` holds it.
    public func release(_ resource: String, owner: String) async throws {
        let sql = "DELETE FROM \(database.dialect.quote(Self.table)) WHERE resource = ? AND owner = ?"
        try await database.write { connection in _ = try connection.execute(sql, [.text(resource), .text(owner)]) }
    }

    /// Gives up every lease of `owner` (shutdown); returns how many there were.
    @discardableResult
    public func releaseAll(owner: String) async throws -> Int {
        let sql = "DELETE FROM \(database.dialect.quote(Self.table)) WHERE owner = ?"
        return try await database.write { connection in try connection.execute(sql, [.text(owner)]).affectedRows }
    }

    /// The lease on `resource`, expired or not.
    public func lease(_ resource: String) async throws -> Lease? {
        let sql = "SELECT resource, owner, expires_at FROM \(database.dialect.quote(Self.table)) WHERE resource = ?"
        let rows = try await database.read { connection in try connection.query(sql, [.text(resource)]).rows }
        guard let row = rows.first, row.count == 3, case .text(let r) = row[0], case .text(let o) = row[1],
              case .text(let e) = row[2], let expires = Timestamp(parsing: e) else { return nil }
        return Lease(resource: r, owner: o, expiresAt: expires)
    }
}

extension Timestamp {
    /// `YYYY-MM-DD HH:MM:SS.ffffff`, always with six fractional digits, so that SQLite compares
    /// the text in time order (MariaDB parses it as a `DATETIME(6)`).
    var sqlFormatMicroseconds: String {
        let text = sqlFormat
        return text.contains(".") ? text : text + ".000000"
    }
}
