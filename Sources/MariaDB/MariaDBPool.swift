import BlockingIO
public import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded pool of MariaDB connections for async code. Each connection lives on its own
/// dedicated thread (blocking Connector/C calls never run on Swift's cooperative pool), is opened
/// lazily, and is reopened when the server went away.
///
/// Units of work (`withConnection`, `transaction`) are retried on a fresh connection when the
/// connection was lost *before* anything that changes data was sent in that unit — a server
/// restart between two requests costs a reconnect, not an error — and when InnoDB chose the
/// transaction as a deadlock victim (it was rolled back whole). A connection lost after writes
/// is reported as `connectionLostAfterWrites`, never retried: the change may have been applied.
public actor MariaDBPool {
    /// Pool size and reconnect behaviour; oslo.db's `[database]` options map onto these.
    public struct Configuration: Sendable, Equatable {
        /// At most this many connections (`[database] max_pool_size`, oslo.db's default 5).
        public var maxConnections: Int
        /// How long a unit of work waits for a free connection (`[database] pool_timeout`);
        /// `nil` waits forever.
        public var checkoutTimeout: Duration?
        /// Reconnect attempts for one unit of work before giving up (`[database] db_max_retries`).
        public var maxReconnectAttempts: Int
        /// Pause between reconnect attempts (`[database] db_retry_interval`).
        public var reconnectInterval: Duration
        /// Connections older than this are reopened before use (`[database] connection_recycle_time`).
        public var recycleAfter: Duration?
        /// Retries of a transaction InnoDB rolled back as a deadlock victim.
        public var deadlockRetries: Int

        public init(maxConnections: Int = 5, checkoutTimeout: Duration? = .seconds(30), maxReconnectAttempts: Int = 20,
                    reconnectInterval: Duration = .milliseconds(500), recycleAfter: Duration? = .seconds(3600),
                    deadlockRetries: Int = 5) {
            self.maxConnections = max(1, maxConnections)
            self.checkoutTimeout = checkoutTimeout
            self.maxReconnectAttempts = max(0, maxReconnectAttempts)
            self.reconnectInterval = reconnectInterval
            self.recycleAfter = recycleAfter
            self.deadlockRetries = max(0, deadlockRetries)
        }
    }

    public nonisolated let options: MariaDBOptions
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var idle: [PooledConnection] = []
    private var total = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<PooledConnection, any Error>)] = []
    private var nextWaiterID = 0
    private var closed = false
    private var serial = 0
    /// Times a lost connection was reopened, for tests and metrics.
    public private(set) var reconnects = 0

    public init(options: MariaDBOptions, configuration: Configuration = Configuration(), logger: Logger) {
        self.options = options
        self.configuration = configuration
        self.logger = logger
    }

    /// Connections currently open or being opened.
    public var connectionCount: Int { total }

    private func checkout() async throws -> PooledConnection {
        if closed { throw MariaDBError(kind: .poolClosed, message: "the connection pool for \(options) is closed") }
        if let connection = idle.popLast() { return connection }
        if total < configuration.maxConnections {
            total += 1
            serial += 1
            return PooledConnection(name: "mariadb-\(serial)")
        }
        let id = nextWaiterID
        nextWaiterID += 1
        if let timeout = configuration.checkoutTimeout {
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expireWaiter(id)
            }
        }
        return try await withCheckedThrowingContinuation { waiters.append((id, $0)) }
    }

    private func expireWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: MariaDBError(
            kind: .poolTimeout,
            message: "no database connection became free within \(configuration.checkoutTimeout.map { "\($0)" } ?? "-") (pool of \(configuration.maxConnections) to \(options))"))
    }

    private func checkin(_ connection: PooledConnection) {
        if closed {
            total -= 1
            Task { await connection.shutdown() }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    private func noteReconnects(_ count: Int) {
        reconnects += count
    }

    /// Runs `body` with one connection (autocommit). Retried on a new connection when the
    /// connection was lost before `body` sent anything that changes data.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await run(transactional: false, body)
    }

    /// Runs `body` in one transaction (`START TRANSACTION` … `COMMIT`; `ROLLBACK` when it throws).
    /// Retried when the connection was lost before any write, or after a deadlock.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await run(transactional: true, body)
    }

    private func run<T: Sendable>(transactional: Bool, _ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let pooled = try await checkout()
        let options = self.options
        let configuration = self.configuration
        let logger = self.logger
        do {
            let (result, reconnected) = try await pooled.thread.run {
                try pooled.runUnit(options: options, configuration: configuration, logger: logger,
                                   transactional: transactional, body)
            }
            if reconnected > 0 { noteReconnects(reconnected) }
            checkin(pooled)
            return result
        } catch {
            checkin(pooled)
            throw error
        }
    }

    /// Closes every connection; units of work waiting for one fail with `poolClosed`.
    public func close() async {
        closed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: MariaDBError(kind: .poolClosed, message: "the connection pool for \(options) is closed"))
        }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        total -= connections.count
        for connection in connections { await connection.shutdown() }
    }
}

/// One pooled connection and the thread it lives on. `connection` is only touched on `thread`.
final class PooledConnection: @unchecked Sendable {
    let thread: DedicatedThread
    private var connection: MariaDBConnection?

    init(name: String) {
        thread = DedicatedThread(name: name)
    }

    func shutdown() async {
        _ = try? await thread.run { [self] in
            connection?.close()
            connection = nil
        }
        thread.shutdown()
    }

    /// On `thread`: runs one unit of work with the reconnect and retry policy. Returns the result
    /// and how many times the connection was reopened because it had been lost.
    func runUnit<T>(options: MariaDBOptions, configuration: MariaDBPool.Configuration, logger: Logger,
                    transactional: Bool, _ body: (MariaDBConnection) throws -> T) throws -> (T, Int) {
        var reconnectAttempts = 0
        var reconnected = 0
        var deadlocks = 0
        var lastError: MariaDBError?
        while true {
            let conn: MariaDBConnection
            do {
                conn = try ready(options: options, configuration: configuration, hadError: lastError != nil)
                if lastError != nil {
                    reconnected += 1
                    logger.info("reconnected to the database", metadata: ["database": "\(options)", "attempts": "\(reconnectAttempts)"])
                    lastError = nil
                }
            } catch let error as MariaDBError where error.isConnectionLost && reconnectAttempts < configuration.maxReconnectAttempts {
                reconnectAttempts += 1
                lastError = error
                logger.warning("database unreachable, retrying", metadata: [
                    "database": "\(options)", "attempt": "\(reconnectAttempts)", "error": "\(error.message)"])
                sleep(configuration.reconnectInterval)
                continue
            }
            conn.beginUnitOfWork()
            do {
                if transactional {
                    try conn.begin()
                    do {
                        let result = try body(conn)
                        try conn.commit()
                        return (result, reconnected)
                    } catch {
                        if conn.isOpen && conn.inTransaction { try? conn.rollback() }
                        throw error
                    }
                } else {
                    return (try body(conn), reconnected)
                }
            } catch let error as MariaDBError where error.isConnectionLost {
                conn.close()
                guard conn.writesInUnit == 0 else {
                    throw MariaDBError(
                        kind: .connectionLostAfterWrites, code: error.code, sqlState: error.sqlState,
                        message: "the database connection was lost after changes had been sent; they may or may not have been applied (\(error.message))",
                        sql: error.sql)
                }
                guard reconnectAttempts < configuration.maxReconnectAttempts else { throw error }
                reconnectAttempts += 1
                lastError = error
                logger.warning("database connection lost before any change was sent; reconnecting and retrying", metadata: [
                    "database": "\(options)", "attempt": "\(reconnectAttempts)", "error": "\(error.message)"])
                continue
            } catch let error as MariaDBError where error.isDeadlock && transactional && deadlocks < configuration.deadlockRetries {
                deadlocks += 1
                logger.info("transaction rolled back by the database (\(error.code)); retrying", metadata: [
                    "database": "\(options)", "attempt": "\(deadlocks)"])
                continue
            }
        }
    }

    /// The connection, opened or reopened as needed.
    private func ready(options: MariaDBOptions, configuration: MariaDBPool.Configuration, hadError: Bool) throws -> MariaDBConnection {
        if let connection, connection.isOpen {
            if let recycle = configuration.recycleAfter, connection.openedAt.duration(to: .now) > recycle {
                try connection.reconnect()
            }
            return connection
        }
        if let connection {
            try connection.reconnect()
            return connection
        }
        let connection = try MariaDBConnection(options: options)
        self.connection = connection
        return connection
    }

    private func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 { request = remaining }
    }
}
