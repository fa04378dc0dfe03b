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
    /// Each column's `"name":` bytes and kind, laid out once here for the row encoder.
    public let layout: ColumnLayout

    /// A statement; `name` must be unique among `EndpointTable.all`'s queries.
    public init(name: String, sql: String, columns: [(name: String, kind: ColumnKind)]) {
        self.name = name
        self.sql = sql
        self.columns = columns
        layout = ColumnLayout(columns)
    }
}

/// Rows as the database returned them, in text format: each value's bytes, row by row.
///
/// The bytes live in memory the database adapter owns (a libpq result); `owner`
/// keeps that memory alive as long as these rows are. Gathered once per request
/// so the encoder reads plain memory, not one library call per value and pass.
public struct QueryRows {
    public let rowCount: Int
    public let columnCount: Int
    /// Row-major; SQL NULL is a buffer with no base address (a non-NULL empty value has one). A slice: the adapter
    /// lends the front of an array it keeps from one query to the next.
    private let values: ArraySlice<UnsafeBufferPointer<UInt8>>
    /// The sum of every value's byte count: with the layout's per-row overhead, the encoder's bound.
    let valueBytes: Int
    private let owner: AnyObject?

    /// `values` holds `rowCount × columnCount` entries, row by row, pointing into memory `owner` keeps alive;
    /// SQL NULL is a buffer whose `baseAddress` is nil; `valueBytes` is the sum of their counts.
    /// The adapter's form: it gathers the values and their total in its one pass over the result. The encoder sizes
    /// its buffer from `trustedValueBytes` and writes through raw pointers, so a total below the real one would
    /// overrun it: hence package access only (the adapter in this package), checked in debug builds.
    package init(rowCount: Int, columnCount: Int, values: ArraySlice<UnsafeBufferPointer<UInt8>>, trustedValueBytes valueBytes: Int,
                 keepingAlive owner: AnyObject?) {
        precondition(values.count == rowCount * columnCount, "QueryRows: values do not fill rows × columns")
        assert(valueBytes == values.reduce(0) { $0 + $1.count }, "QueryRows: valueBytes is not the values' total")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
        self.valueBytes = valueBytes
        self.owner = owner
    }

    /// `values` holds `rowCount × columnCount` entries, row by row, pointing into memory `owner` keeps alive;
    /// nil is SQL NULL.
    public init(rowCount: Int, columnCount: Int, values: [UnsafeBufferPointer<UInt8>?], keepingAlive owner: AnyObject?) {
        let plain = values.map { value in
            guard let value else { return UnsafeBufferPointer<UInt8>(start: nil, count: 0) }
            return value.baseAddress == nil ? QueryRows.emptyValue : value
        }
        self.init(rowCount: rowCount, columnCount: columnCount, values: plain[...], trustedValueBytes: plain.reduce(0) { $0 + $1.count },
                  keepingAlive: owner)
    }

    /// A non-NULL empty value whose buffer had no address of its own.
    private static var emptyValue: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: UnsafePointer(emptyByte), count: 0) }
    /// Holds a 0, as libpq's terminator would: an empty boolean reads its first byte.
    nonisolated(unsafe) private static let emptyByte: UnsafeMutablePointer<UInt8> = {
        let byte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        byte.initialize(to: 0)
        return byte
    }()

    /// One value's bytes, copied (nil is SQL NULL): for the odd check, not the encoder's loop.
    func value(row: Int, column: Int) -> [UInt8]? {
        withValues { values in
            let value = values[row * columnCount + column]
            return value.baseAddress == nil ? nil : Array(value)
        }
    }

    /// The values, borrowed for the duration of `body`.
    func withValues<R>(_ body: (UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try values.withUnsafeBufferPointer(body) }
    }
}

/// Runs a query; the only thing the API needs of a database.
///
/// Implementations log the real failure and throw `.databaseUnavailable`:
/// the client never sees why.
public protocol Database {
    func run(_ query: Query, parameters: [String?]) throws(APIError) -> QueryRows
}
