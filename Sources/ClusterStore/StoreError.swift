/// A database failure that is not one of Magnum's own exceptions (those are `MagnumError`):
/// the database is unreachable, a statement failed, a stored row cannot be decoded, the schema is
/// not the one we expect, or a list call was given a sort direction or filter Magnum's database
/// layer rejects. Carries the Python exception class a Magnum conductor would raise, so RPC
/// replies keep the same class. Never contains passwords or bound values.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The database cannot be reached (oslo.db `DBConnectionError`).
        case connection
        /// The connection broke after changes were sent; they may or may not have been applied.
        case connectionLostAfterWrites
        /// A unique constraint failed (oslo.db `DBDuplicateEntry`); stores turn it into Magnum's
        /// `...AlreadyExists` where Magnum does.
        case duplicateEntry
        /// Any other database error (oslo.db `DBError`).
        case database
        /// A stored value cannot be decoded (bad JSON, bad datetime).
        case corruptRow
        /// The database schema is missing or at an unexpected revision.
        case schema
        /// oslo.db's `paginate_query` rejects the sort direction (Python `ValueError`).
        case invalidSortDirection
        /// A filter Magnum's query cannot apply (SQLAlchemy `InvalidRequestError`/`ArgumentError`,
        /// or a `TypeError` binding a JSON column).
        case invalidFilter
        /// The `[database] connection` URL cannot be used.
        case invalidConnectionURL
    }

    public let kind: Kind
    public let message: String
    /// The table involved, when known.
    public let table: String?

    public init(_ kind: Kind, _ message: String, table: String? = nil) {
        self.kind = kind
        self.message = message
        self.table = table
    }

    public var description: String { message }

    /// The Python exception class a Magnum conductor raises in the same situation.
    public var pythonClassName: String {
        switch kind {
        case .connection, .connectionLostAfterWrites: return "DBConnectionError"
        case .duplicateEntry: return "DBDuplicateEntry"
        case .database, .corruptRow, .schema: return "DBError"
        case .invalidSortDirection: return "ValueError"
        case .invalidFilter: return "InvalidRequestError"
        case .invalidConnectionURL: return "ArgumentError"
        }
    }

    /// The module of `pythonClassName`.
    public var pythonModuleName: String {
        switch kind {
        case .connection, .connectionLostAfterWrites, .duplicateEntry, .database, .corruptRow, .schema:
            return "oslo_db.exception"
        case .invalidSortDirection: return "builtins"
        case .invalidFilter, .invalidConnectionURL: return "sqlalchemy.exc"
        }
    }
}
