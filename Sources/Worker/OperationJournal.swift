public import ClusterStore
import JSON
public import MagnumObjects

/// The worker's `capi_worker_journal` table (migration `0003_capi_worker_journal`): one row per
/// RPC message that acts on a cluster, keyed by oslo's `_unique_id` (the same on every
/// redelivery), with the cluster, the method, how often it was started, the steps done
/// (driver calls begun and finished) and, once finished, its outcome.
///
/// A redelivered message whose row is `done` is not run again; one whose row is `started` was
/// interrupted (a worker died, the broker or database went away) and is resumed: the handler
/// skips what the journal or the database say is done — rows that exist, driver calls that
/// finished. See docs/reliability.md.
public struct OperationJournal: Sendable {
    public static let table = "capi_worker_journal"
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public enum State: String, Sendable, Equatable {
        case started
        case done
    }

    /// A message's row after `begin`.
    public struct Entry: Sendable, Equatable {
        public let messageID: String
        public let clusterUUID: String
        public let method: String
        public let state: State
        /// Times the message was started, this one included.
        public let attempts: Int
        public let steps: [String]
        /// For `done`: `ok`, or the failure's class and text.
        public let outcome: String?
    }

    /// Records that the message starts (again); a `done` row is returned unchanged.
    public func begin(messageID: String, clusterUUID: String, method: String, now: Timestamp) async throws -> Entry {
        let dialect = database.dialect
        let table = dialect.quote(Self.table)
        let select = "SELECT state, attempts, steps, outcome FROM \(table) WHERE message_id = ?" + (dialect == .mariadb ? " FOR UPDATE" : "")
        let insert = "INSERT INTO \(table) (message_id, cluster_uuid, method, state, attempts, steps, outcome, updated_at) VALUES (?, ?, ?, 'started', 1, '', NULL, ?)"
        let update = "UPDATE \(table) SET attempts = ?, updated_at = ? WHERE message_id = ?"
        let stamp = now.sqlFormatMicroseconds
        return try await database.write { connection in
            let rows = try connection.query(select, [.text(messageID)]).rows
            guard let row = rows.first, row.count == 4 else {
                _ = try connection.execute(insert, [.text(messageID), .text(clusterUUID), .text(method), .text(stamp)])
                return Entry(messageID: messageID, clusterUUID: clusterUUID, method: method, state: .started, attempts: 1, steps: [], outcome: nil)
            }
            let state: State = if case .text(let s) = row[0], s == State.done.rawValue { .done } else { .started }
            var attempts = 0
            if case .integer(let n) = row[1] { attempts = Int(n) }
            var steps: [String] = []
            if case .text(let s) = row[2] { steps = s.split(separator: ",").map(String.init) }
            var outcome: String?
            if case .text(let o) = row[3] { outcome = o }
            if state == .started {
                attempts += 1
                _ = try connection.execute(update, [.integer(Int64(attempts)), .text(stamp), .text(messageID)])
            }
            return Entry(messageID: messageID, clusterUUID: clusterUUID, method: method, state: state, attempts: attempts,
                         steps: steps, outcome: outcome)
        }
    }

    /// Appends a step (`driver:create_cluster:started`, `...:done`).
    public func record(step: String, messageID: String, now: Timestamp) async throws {
        let dialect = database.dialect
        let table = dialect.quote(Self.table)
        let concat = dialect == .sqlite ? "steps || ? " : "CONCAT(steps, ?)"
        let sql = "UPDATE \(table) SET steps = \(concat), updated_at = ? WHERE message_id = ?"
        let stamp = now.sqlFormatMicroseconds
        try await database.write { connection in
            _ = try connection.execute(sql, [.text(step + ","), .text(stamp), .text(messageID)])
        }
    }

    /// Marks the message done with its outcome: a redelivery is then acknowledged without
    /// running anything.
    public func finish(messageID: String, outcome: String, now: Timestamp) async throws {
        let sql = "UPDATE \(database.dialect.quote(Self.table)) SET state = 'done', outcome = ?, updated_at = ? WHERE message_id = ?"
        let stamp = now.sqlFormatMicroseconds
        try await database.write { connection in
            _ = try connection.execute(sql, [.text(String(outcome.prefix(4000))), .text(stamp), .text(messageID)])
        }
    }

    /// The row of a message, if any (tests, operators).
    public func entry(messageID: String) async throws -> Entry? {
        let sql = "SELECT cluster_uuid, method, state, attempts, steps, outcome FROM \(database.dialect.quote(Self.table)) WHERE message_id = ?"
        let rows = try await database.read { connection in try connection.query(sql, [.text(messageID)]).rows }
        guard let row = rows.first, row.count == 6, case .text(let cluster) = row[0], case .text(let method) = row[1],
              case .text(let state) = row[2], case .integer(let attempts) = row[3] else { return nil }
        var steps: [String] = []
        if case .text(let s) = row[4] { steps = s.split(separator: ",").map(String.init) }
        var outcome: String?
        if case .text(let o) = row[5] { outcome = o }
        return Entry(messageID: messageID, clusterUUID: cluster, method: method, state: State(rawValue: state) ?? .started,
                     attempts: Int(attempts), steps: steps, outcome: outcome)
    }

    /// Deletes finished rows last touched before `time` (kept a while so late redeliveries are
    /// recognised); returns how many.
    @discardableResult
    public func prune(finishedBefore time: Timestamp) async throws -> Int {
        let sql = "DELETE FROM \(database.dialect.quote(Self.table)) WHERE state = 'done' AND updated_at < ?"
        let stamp = time.sqlFormatMicroseconds
        return try await database.write { connection in try connection.execute(sql, [.text(stamp)]).affectedRows }
    }
}

/// The journalled message a handler runs for, visible to the handler and the driver wrapper
/// (`JournaledClusterDriver`) through a task-local. `key` identifies the operation for drivers
/// that make their external effects idempotent.
public struct OperationAttempt: Sendable {
    public let messageID: String
    public let clusterUUID: String
    public let method: String
    /// 1 for the first start; more when a redelivery resumes an interrupted one.
    public let attempt: Int
    /// Steps recorded by earlier attempts.
    public let earlierSteps: Set<String>
    let journal: OperationJournal
    let clock: any WorkerClock

    /// `cluster_uuid:method:message_id`: the same on every redelivery of one operation.
    public var key: String { "\(clusterUUID):\(method):\(messageID)" }
    /// A redelivery of a message whose first run was interrupted.
    public var isResume: Bool { attempt > 1 }

    @TaskLocal public static var current: OperationAttempt?

    /// Whether an earlier attempt finished driver call `method`.
    public func driverCallFinished(_ method: String) -> Bool { earlierSteps.contains("driver:\(method):done") }
    /// Whether an earlier attempt began driver call `method` without the journal seeing it end.
    public func driverCallInterrupted(_ method: String) -> Bool {
        earlierSteps.contains("driver:\(method):started") && !driverCallFinished(method)
    }

    func record(_ step: String) async throws {
        try await journal.record(step: step, messageID: messageID, now: clock.now())
    }
}
