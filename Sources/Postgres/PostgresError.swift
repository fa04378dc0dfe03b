/// A failure talking to PostgreSQL.
///
/// `description` is deliberately generic; the server's own message (which can
/// quote SQL or values) is in `detail`, for the log only, never for a client.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure, so callers can decide whether to reconnect.
    public enum Kind: Sendable, Equatable {
        /// Could not connect (or the connection is gone).
        case connection
        /// A statement failed on a live connection.
        case query
    }

    /// The failure's kind.
    public let kind: Kind
    /// libpq's message: for logs only (may contain SQL text or values).
    public let detail: String

    /// Creates an error; `detail` goes to logs only.
    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Generic on purpose: safe to print anywhere.
    public var description: String {
        switch kind {
        case .connection: "database connection failed"
        case .query: "database query failed"
        }
    }
}
