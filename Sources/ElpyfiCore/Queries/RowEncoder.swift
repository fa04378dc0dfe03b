/// Writes query rows as the contract's JSON, straight from the database's text.
///
/// This is the worker's hot path (a 100-row `/positions` body is 600 values), so it
/// measures first and writes second: one pass adds up the exact encoded size,
/// the second copies into a buffer of exactly that size through a raw cursor.
/// No per-value allocation, no growth, no uniqueness checks; profiled, a
/// general JSON writer spent most of its time here in array bookkeeping.
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
                let valueCount = rowsToWrite * columns.count
                let stride = rows.columnCount  // ≥ columns.count: SQL may select a trailing check column (Endpoint.body)
                // Pass one: each value's encoded length (negative: written as `null`), and the total.
                var size = (asArray ? 2 + max(0, rowsToWrite - 1) : 0) + rowsToWrite * (2 + max(0, columns.count - 1))
                let lengths = [Int](unsafeUninitializedCapacity: valueCount) { lengths, count in
                    for index in 0..<valueCount {
                        let column = index % columns.count
                        let length = encodedLength(values[index / columns.count * stride + column], kind: columns.kinds[column])
                        lengths[index] = length
                        size += columns.prefix(column).count + abs(length)
                    }
                    count = valueCount
                }
                // Pass two: the bytes, into a buffer of exactly that size.
                return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                    var out = ByteCursor(buffer)
                    if asArray { out.put(UInt8(ascii: "[")) }
                    for row in 0..<rowsToWrite {
                        if row > 0 { out.put(UInt8(ascii: ",")) }
                        out.put(UInt8(ascii: "{"))
                        for column in 0..<columns.count {
                            let index = row * columns.count + column
                            if column > 0 { out.put(UInt8(ascii: ",")) }
                            out.put(columns.prefix(column))
                            write(values[row * stride + column], kind: columns.kinds[column], length: lengths[index], into: &out)
                        }
                        out.put(UInt8(ascii: "}"))
                    }
                    if asArray { out.put(UInt8(ascii: "]")) }
                    count = out.finish(expected: size)
                }
            }
        }
    }

    // MARK: - Pass one: lengths

    /// The bytes a value takes in JSON; negative when the value is written as `null` instead
    /// (a number or timestamp without a JSON form), so pass two need not look at it again.
    private static func encodedLength(_ text: UnsafeBufferPointer<UInt8>?, kind: ColumnKind) -> Int {
        guard let text else { return kind == .json ? 2 : 4 }  // `{}` / `null`
        switch kind {
        case .text, .date: return 2 + text.count + escapeOverhead(text)
        case .number, .integer: return PostgresText.isJSONNumber(text) ? text.count : -4
        case .boolean: return isTrue(text) ? 4 : 5
        case .timestamp: return PostgresText.isUTCTimestamp(text) ? text.count + 3 : -4  // quotes, `Z`
        case .json: return text.count
        }
    }

    /// Extra bytes escaping adds to `text` (`JSONEscape`).
    private static func escapeOverhead(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var extra = 0
        for byte in text { extra += JSONEscape.overhead(byte) }
        return extra
    }

    // MARK: - Pass two: bytes

    private static func write(_ text: UnsafeBufferPointer<UInt8>?, kind: ColumnKind, length: Int, into out: inout ByteCursor) {
        guard let text else {
            if kind == .json { out.put("{}") } else { out.put("null") }
            return
        }
        guard length >= 0 else { out.put("null"); return }
        switch kind {
        case .text, .date:
            out.put(UInt8(ascii: "\""))
            if length == text.count + 2 { out.put(text) } else { writeEscaped(text, into: &out) }
            out.put(UInt8(ascii: "\""))
        case .number, .integer, .json:
            out.put(text)
        case .boolean:
            out.put(isTrue(text) ? "true" : "false")
        case .timestamp:
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

/// A write position in a buffer whose size was computed beforehand.
private struct ByteCursor {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var position = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func put(_ byte: UInt8) {
        precondition(position < buffer.count, "RowEncoder sized its buffer wrongly")
        buffer[position] = byte
        position += 1
    }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(position + bytes.count <= buffer.count, "RowEncoder sized its buffer wrongly")
        (buffer.baseAddress! + position).update(from: source, count: bytes.count)
        position += bytes.count
    }

    mutating func put(_ text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The bytes written; they must be exactly the size pass one computed.
    func finish(expected: Int) -> Int {
        precondition(position == expected, "RowEncoder sized its buffer wrongly")
        return position
    }
}
