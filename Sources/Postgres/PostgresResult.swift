import CLibPQ

/// Rows of a finished query, read in libpq's text format without copying.
///
/// Text format on purpose: PostgreSQL's own text of a `numeric` is the exact
/// value (`150.250`), which the API must pass through digit for digit.
public final class PostgresResult {
    private let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }

    deinit { PQclear(raw) }

    /// Number of rows.
    public var rowCount: Int { Int(PQntuples(raw)) }

    /// Number of columns.
    public var columnCount: Int { Int(PQnfields(raw)) }

    /// True when the value at (`row`, `column`) is SQL NULL.
    public func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(raw, Int32(row), Int32(column)) == 1
    }

    /// Calls `body` with the text bytes of a value (empty for NULL); the bytes live only for the call.
    public func withValue<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(raw, Int32(row), Int32(column)) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return try pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            try body(UnsafeBufferPointer(start: bytes, count: length))
        }
    }

    /// The value as a Swift string, nil for NULL (for the few places that need one).
    public func string(row: Int, column: Int) -> String? {
        if isNull(row: row, column: column) { return nil }
        return withValue(row: row, column: column) { String(decoding: $0, as: UTF8.self) }
    }
}
