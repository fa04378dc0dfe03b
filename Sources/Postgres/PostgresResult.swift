import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The text bytes of a value, nil for SQL NULL. They belong to this result: valid while it
    /// is alive (`PQclear` runs in `deinit`), so callers keep it alive while they read.
    public func value(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        let row = Int32(row), column = Int32(column)
        guard PQgetisnull(raw, row, column) == 0, let pointer = PQgetvalue(raw, row, column) else { return nil }
        let length = Int(PQgetlength(raw, row, column))
        return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: length)
    }

    /// Every value, row by row (`value(row:column:)` of each, SQL NULL as a buffer with no base address), written
    /// over the first `rowCount × columnCount` entries of `values` (grown to that when shorter, never shrunk), with
    /// the same lifetime rule; returns the sum of their byte counts (the row encoder's bound).
    ///
    /// The caller keeps `values` from one query to the next (a thread's database does), so a request allocates no
    /// array for them: a new one went through the standard library's unspecialised allocation, a metadata lookup
    /// and a malloc, ~1.1k instructions a request (callgrind, bench/rest-instructions). An array still shared (rows
    /// of an earlier query still alive) is copied first, as any Swift array is, so those rows are never overwritten.
    ///
    /// One libpq call per value, not three: the length is `strlen` of the value, which libpq documents as the same
    /// as `PQgetlength` for text format (what every statement here asks for: PostgreSQL's text output holds no NUL
    /// byte), and only an empty value can be NULL, so `PQgetisnull` is asked only then. `PQgetlength` checked the row
    /// and column again and cost 24 instructions a value, `strlen` 13 (a 100-row `/positions` answer has 600 values:
    /// 225k → 218k instructions per request, callgrind, bench/rest-instructions).
    public func allValues(into values: inout [UnsafeBufferPointer<UInt8>]) -> Int {
        let rows = PQntuples(raw), columns = PQnfields(raw)
        let total = Int(rows) * Int(columns)
        if values.count < total {
            values.append(contentsOf: repeatElement(UnsafeBufferPointer(start: nil, count: 0), count: total - values.count))
        }
        var byteCount = 0
        values.withUnsafeMutableBufferPointer { values in
            guard var slot = values.baseAddress else { return }  // no values at all
            var row: Int32 = 0
            while row < rows {
                var column: Int32 = 0
                while column < columns {
                    // Never nil for a row and column inside the result (libpq's NULL is "" there).
                    let pointer = UnsafeRawPointer(PQgetvalue(raw, row, column)).map { $0.assumingMemoryBound(to: UInt8.self) }
                    let length = pointer.map { strlen($0) } ?? 0
                    if length == 0, PQgetisnull(raw, row, column) != 0 || pointer == nil {
                        slot.initialize(to: UnsafeBufferPointer(start: nil, count: 0))
                    } else {
                        slot.initialize(to: UnsafeBufferPointer(start: pointer, count: length))
                        byteCount &+= length
                    }
                    slot += 1
                    column &+= 1
                }
                row &+= 1
            }
        }
        return byteCount
    }
}
