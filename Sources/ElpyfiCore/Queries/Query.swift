/// How a result column becomes JSON.
public enum ColumnKind: Sendable {
    /// A JSON string (escaped).
    case text
    /// `numeric` or `double precision` text written as a JSON number; `NaN`/`±Infinity` → `null`.
    case number
    /// `integer`/`bigint` text, written as is.
    case integer
    /// `t`/`f` → `true`/`false`.
    case boolean
    /// A UTC `timestamp` (selected `AT TIME ZONE 'UTC'`) → RFC 3339 with `Z`.
    case timestamp
    /// A `date` in ISO style → `"YYYY-MM-DD"`.
    case date
    /// Stored `jsonb`, written as is; NULL → `{}` (the contract's `metadata`).
    case json
}

/// One named, constant SQL statement and the JSON shape of its rows.
///
/// The SQL is constant text with `$n` parameters, prepared once per
/// connection under `name`; no request value is ever spliced into it.
public struct Query: Sendable {
    /// The prepared-statement name; unique per statement.
    public let name: String
    /// Constant SQL with `$n` placeholders.
    public let sql: String
    /// Result columns in select order: the JSON member name and how to write the value.
    public let columns: [(name: String, kind: ColumnKind)]
    /// `"name":` of each column, encoded once here instead of once per row.
    public let memberPrefixes: [[UInt8]]
    /// Each column's kind, in select order: kept apart so the encoder does not rebuild it per request.
    public let kinds: [ColumnKind]

    /// A statement; `name` must be unique among `Queries.all`.
    public init(name: String, sql: String, columns: [(name: String, kind: ColumnKind)]) {
        self.name = name
        self.sql = sql
        self.columns = columns
        memberPrefixes = columns.map { JSONWriter.memberPrefix($0.name) }
        kinds = columns.map(\.kind)
    }
}

/// Rows as the database returned them, in text format; implemented over libpq by the worker.
public protocol QueryRows {
    var rowCount: Int { get }
    func isNull(row: Int, column: Int) -> Bool
    /// Calls `body` with the value's text bytes, valid only during the call.
    func withValue<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
}

/// Runs a query; the only thing the API needs of a database.
///
/// Implementations log the real failure and throw `.databaseUnavailable`:
/// the client never sees why.
public protocol Database {
    func run(_ query: Query, parameters: [String?]) throws(APIError) -> any QueryRows
}
