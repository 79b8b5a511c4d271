import BlockingIO

/// An SQLite database for async code: one connection that lives on its own dedicated thread, so
/// blocking `sqlite3_step` calls never run on Swift's cooperative pool. Work is serialised, which
/// is also how SQLite serialises writers.
public final class SQLiteDatabase: Sendable {
    private let thread: DedicatedThread
    private let box: ConnectionBox
    public let path: String

    /// Opens the database at `path` on a new thread. File databases use the write-ahead log, so
    /// readers in other processes (the `sqlite3` shell, a Python peer) do not block us.
    public init(path: String, busyTimeout: Duration = .seconds(10)) async throws {
        self.path = path
        let thread = DedicatedThread(name: "sqlite \(path)")
        self.thread = thread
        self.box = try await thread.run {
            let connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
            if path != ":memory:" && !path.hasPrefix("file::memory:") {
                _ = try connection.query("PRAGMA journal_mode = WAL")
            }
            try connection.executeScript("PRAGMA foreign_keys = OFF")
            return ConnectionBox(connection)
        }
    }

    /// Runs `body` with the connection, on the database's thread.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let box = self.box
        return try await thread.run { try body(box.connection) }
    }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE` … `COMMIT`, rolled back when it throws).
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withConnection { try $0.transaction(body) }
    }

    /// Closes the connection and ends the thread.
    public func close() async {
        let box = self.box
        _ = try? await thread.run { box.connection.close() }
        thread.shutdown()
    }
}

/// Carries the connection to its thread. Only ever touched from that thread.
private final class ConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
