/// Writes query rows as the contract's JSON, straight from the database's text.
///
/// This is the worker's hot path (a 100-row `/positions` body is 600 values), so it makes one pass over
/// the bytes: a bound on the encoded size comes from the values' lengths alone (no byte is looked at),
/// and the bytes then go into a buffer of that capacity through a raw cursor. No per-value allocation, no
/// growth, no uniqueness checks; profiled, a general JSON writer spent most of its time here in array
/// bookkeeping, and an exact first pass (escapes counted, numbers parsed) cost as much as the writing.
/// Escaping follows `JSONEscape`, as `JSONEscape.quoted` does (the tests compare both).
public enum RowEncoder {
    /// `[{...}, ...]`: every row.
    public static func array(_ rows: QueryRows, query: Query) -> [UInt8] {
        encode(rows, rowsToWrite: rows.rowCount, asArray: true, query: query)
    }

    /// The first row as an object, or `{}` when there is none.
    public static func firstOrEmptyObject(_ rows: QueryRows, query: Query) -> [UInt8] {
        guard rows.rowCount > 0 else { return Array("{}".utf8) }
        return encode(rows, rowsToWrite: 1, asArray: false, query: query)
    }

    private static func encode(_ rows: QueryRows, rowsToWrite: Int, asArray: Bool, query: Query) -> [UInt8] {
        query.layout.withColumns { columns in
            rows.withValues { values in
                let stride = rows.columnCount  // ≥ columns.count: SQL may select a trailing check column (Endpoint.body)
                // The bound: punctuation, every `"name":`, and each value's largest possible form.
                var bound = (asArray ? 2 + max(0, rowsToWrite - 1) : 0) + rowsToWrite * (2 + max(0, columns.count - 1))
                for row in 0..<rowsToWrite {
                    for column in 0..<columns.count {
                        bound += columns.prefix(column).count
                            + largestLength(values[row * stride + column]?.count, kind: columns.kinds[column])
                    }
                }
                return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
                    var out = ByteCursor(buffer)
                    if asArray { out.put(UInt8(ascii: "[")) }
                    for row in 0..<rowsToWrite {
                        if row > 0 { out.put(UInt8(ascii: ",")) }
                        out.put(UInt8(ascii: "{"))
                        for column in 0..<columns.count {
                            if column > 0 { out.put(UInt8(ascii: ",")) }
                            out.put(columns.prefix(column))
                            write(values[row * stride + column], kind: columns.kinds[column], into: &out)
                        }
                        out.put(UInt8(ascii: "}"))
                    }
                    if asArray { out.put(UInt8(ascii: "]")) }
                    count = out.written
                }
            }
        }
    }

    /// The most bytes a value of `length` text bytes (nil: SQL NULL) can take in JSON: every byte of a
    /// string escaped as `\u00XX`, a number or timestamp replaced by `null`.
    private static func largestLength(_ length: Int?, kind: ColumnKind) -> Int {
        guard let length else { return 4 }  // `null`, or `{}` for json
        switch kind {
        case .text, .date: return 2 + 6 * length
        case .number, .integer, .json: return max(length, 4)
        case .boolean: return 5
        case .timestamp: return max(length + 3, 4)  // quotes, `Z`
        }
    }

    private static func write(_ text: UnsafeBufferPointer<UInt8>?, kind: ColumnKind, into out: inout ByteCursor) {
        guard let text else {
            if kind == .json { out.put("{}") } else { out.put("null") }
            return
        }
        switch kind {
        case .text, .date:
            out.put(UInt8(ascii: "\""))
            if text.contains(where: JSONEscape.isNeeded) { writeEscaped(text, into: &out) } else { out.put(text) }
            out.put(UInt8(ascii: "\""))
        case .number, .integer:
            if PostgresText.isFiniteNumber(text) { out.put(text) } else { out.put("null") }
        case .json:
            out.put(text)
        case .boolean:
            out.put(isTrue(text) ? "true" : "false")
        case .timestamp:
            guard PostgresText.isUTCTimestamp(text) else { out.put("null"); return }
            // `2024-01-15 10:31:00.5` → `"2024-01-15T10:31:00.5Z"`
            out.put(UInt8(ascii: "\""))
            out.put(UnsafeBufferPointer(rebasing: text[..<10]))
            out.put(UInt8(ascii: "T"))
            out.put(UnsafeBufferPointer(rebasing: text[11...]))
            out.put(UInt8(ascii: "Z"))
            out.put(UInt8(ascii: "\""))
        }
    }

    /// Copies runs of plain bytes in bulk and escapes the rest (`JSONEscape`; escapes are rare).
    private static func writeEscaped(_ text: UnsafeBufferPointer<UInt8>, into out: inout ByteCursor) {
        var runStart = 0
        for index in 0..<text.count where JSONEscape.isNeeded(text[index]) {
            out.put(UnsafeBufferPointer(rebasing: text[runStart..<index]))
            JSONEscape.sequence(text[index]).withUnsafeBufferPointer { out.put($0) }
            runStart = index + 1
        }
        out.put(UnsafeBufferPointer(rebasing: text[runStart...]))
    }

    /// libpq's text of a boolean is `t` or `f`.
    private static func isTrue(_ text: UnsafeBufferPointer<UInt8>) -> Bool { text.first == UInt8(ascii: "t") }

}

/// A write position in a buffer whose capacity was bounded beforehand.
private struct ByteCursor {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var position = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    /// The bytes written so far.
    var written: Int { position }

    mutating func put(_ byte: UInt8) {
        precondition(position < buffer.count, "RowEncoder bounded its buffer wrongly")
        buffer[position] = byte
        position += 1
    }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(position + bytes.count <= buffer.count, "RowEncoder bounded its buffer wrongly")
        (buffer.baseAddress! + position).update(from: source, count: bytes.count)
        position += bytes.count
    }

    mutating func put(_ text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
