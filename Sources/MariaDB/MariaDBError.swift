/// An error from MariaDB or its client library, with the error number an operator can look up
/// (`1062` duplicate entry, `2006` server gone, ...) and the SQLSTATE. Never contains a password
/// or bound values.
public struct MariaDBError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server reported an error for the statement.
        case server
        /// The connection is gone (server restarted, network cut) or could not be made.
        case connection
        /// TLS could not be set up or the server certificate failed verification.
        case tls
        /// The connection broke after statements that change data had been sent in the same unit
        /// of work, so it was not retried: the change may or may not have been applied.
        case connectionLostAfterWrites
        /// No pooled connection became free in time.
        case poolTimeout
        /// The pool was closed.
        case poolClosed
        /// Misuse of the API (wrong number of parameters, ...).
        case usage
    }

    public let kind: Kind
    /// MariaDB error number (`mysql_errno`), 0 when not from the server or library.
    public let code: UInt32
    public let sqlState: String
    public let message: String
    /// The SQL being run, when there was one (parameters are never included).
    public let sql: String?

    public init(kind: Kind, code: UInt32 = 0, sqlState: String = "HY000", message: String, sql: String? = nil) {
        self.kind = kind
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    /// Client error numbers meaning the connection is unusable: `CR_CONNECTION_ERROR` (2002),
    /// `CR_CONN_HOST_ERROR` (2003), `CR_SERVER_GONE_ERROR` (2006), `CR_SERVER_LOST` (2013),
    /// `CR_SERVER_LOST_EXTENDED` (2055); and server ones sent while it shuts down or kills us:
    /// `ER_SERVER_SHUTDOWN` (1053), `ER_CONNECTION_KILLED` (1927).
    public static let connectionLostCodes: Set<UInt32> = [2002, 2003, 2006, 2013, 2055, 1053, 1927]

    /// The connection is gone: reconnecting may help.
    public var isConnectionLost: Bool { kind == .connection || Self.connectionLostCodes.contains(code) }

    /// `ER_DUP_ENTRY` (1062): a unique key was violated (oslo.db's `DBDuplicateEntry`).
    public var isDuplicateEntry: Bool { code == 1062 }

    /// `ER_LOCK_DEADLOCK` (1213) or `ER_LOCK_WAIT_TIMEOUT` (1205): the transaction can be retried.
    public var isDeadlock: Bool { code == 1213 || code == 1205 }

    public var description: String {
        var text = "MariaDB error"
        if code != 0 { text += " \(code) (\(sqlState))" }
        text += ": \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}
