/// Writes query rows as the contract's JSON, straight from the database's text.
///
/// This is the worker's hot path (a 100-row `/positions` body is 600 values), so it makes one pass over
/// the bytes into a buffer whose size is bounded beforehand from the sum of the values' lengths (the
/// database adapter adds them up while it gathers the values), through raw pointers: no per-value
/// allocation, growth, bounds or uniqueness check, and no library call for the short copies that make
/// up most of a body (`"name":` prefixes go in 8-byte words, short values in two overlapping moves).
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
        let layout = query.layout
        return layout.withColumns { prefixes, columns in
            rows.withValues { values in
                let stride = rows.columnCount  // ≥ columns.count: SQL may select a trailing check column (Endpoint.body)
                var valueBytes = rows.valueBytes
                if rowsToWrite != rows.rowCount {
                    valueBytes = 0
                    for index in 0..<rowsToWrite * stride { valueBytes &+= values[index].count }
                }
                // Each value takes at most 6 bytes per byte (`\u00XX`) plus what `rowOverhead` allows for it.
                let bound = 2 + rowsToWrite * (layout.rowOverhead + 1) + 6 * valueBytes
                return [UInt8](unsafeUninitializedCapacity: bound + ColumnLayout.wordSlack) { buffer, count in
                    let start = buffer.baseAddress!
                    var out = start
                    if asArray { out.put(UInt8(ascii: "[")) }
                    // An empty array need not have an address; every query has a column.
                    if rowsToWrite > 0, var rowStart = values.baseAddress, let firstColumn = columns.baseAddress {
                        let columnsEnd = firstColumn + columns.count
                        for row in 0..<rowsToWrite {
                            if row > 0 { out.put(UInt8(ascii: ",")) }
                            out.put(UInt8(ascii: "{"))
                            // Column and value walked by pointer together: the indexed loop kept neither in a register.
                            var column = firstColumn, value = rowStart
                            repeat {
                                out.putWords(prefixes + column.pointee.prefixStart, count: column.pointee.prefixCount)
                                write(value.pointee, kind: column.pointee.kind, into: &out)
                                column += 1
                                value += 1
                            } while column < columnsEnd
                            out.put(UInt8(ascii: "}"))
                            rowStart += stride
                        }
                    }
                    if asArray { out.put(UInt8(ascii: "]")) }
                    count = out - start
                    precondition(count <= bound, "RowEncoder bounded its buffer wrongly")
                }
            }
        }
    }

    @inline(__always)
    private static func write(_ text: UnsafeBufferPointer<UInt8>, kind: ColumnKind, into out: inout UnsafeMutablePointer<UInt8>) {
        guard let base = text.baseAddress else {
            if kind == .json { out.put("{}") } else { out.put("null") }
            return
        }
        switch kind {
        case .number, .integer:
            if PostgresText.isFiniteNumber(text) { out.putShort(base, count: text.count) } else { out.put("null") }
        case .text, .date:
            out.put(UInt8(ascii: "\""))
            if JSONEscape.anyNeeded(text) { writeEscaped(text, into: &out) } else { out.putShort(base, count: text.count) }
            out.put(UInt8(ascii: "\""))
        case .json:
            out.putShort(base, count: text.count)
        case .boolean:
            if base.pointee == UInt8(ascii: "t") { out.put("true") } else { out.put("false") }  // libpq's text: `t` or `f`
        case .timestamp:
            guard PostgresText.isUTCTimestamp(text) else { out.put("null"); return }
            // `2024-01-15 10:31:00.5` → `"2024-01-15T10:31:00.5Z"`
            out.put(UInt8(ascii: "\""))
            out.putShort(base, count: text.count)
            out[10 - text.count] = UInt8(ascii: "T")
            out.put(UInt8(ascii: "Z"))
            out.put(UInt8(ascii: "\""))
        }
    }

    /// Copies runs of plain bytes in bulk and escapes the rest (`JSONEscape`; escapes are rare).
    private static func writeEscaped(_ text: UnsafeBufferPointer<UInt8>, into out: inout UnsafeMutablePointer<UInt8>) {
        var runStart = 0
        for index in 0..<text.count where JSONEscape.isNeeded(text[index]) {
            out.putShort(text.baseAddress! + runStart, count: index - runStart)
            JSONEscape.sequence(text[index]).withUnsafeBufferPointer { out.putShort($0.baseAddress!, count: $0.count) }
            runStart = index + 1
        }
        out.putShort(text.baseAddress! + runStart, count: text.count - runStart)
    }
}

/// The encoder's write position: a pointer into a buffer whose capacity was bounded beforehand.
extension UnsafeMutablePointer<UInt8> {
    @inline(__always)
    fileprivate mutating func put(_ byte: UInt8) {
        pointee = byte
        self += 1
    }

    @inline(__always)
    fileprivate mutating func put(_ text: StaticString) {
        putShort(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// `count` bytes from `source` in whole 8-byte words, three of them when that covers it (every prefix of the
    /// API's queries: no loop): `source` must be readable, and this buffer writable, up to 23 bytes past
    /// `count` (`ColumnLayout.wordSlack`); the bytes written past `count` are overwritten by what follows.
    @inline(__always)
    fileprivate mutating func putWords(_ source: UnsafePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(self)
        if count <= 24 {
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
        } else {
            var offset = 0
            while offset < count {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                offset &+= 8
            }
        }
        self += count
    }

    /// `count` bytes from `source`, reading and writing none beyond them: up to 16 in at most two
    /// overlapping moves of one width (what most values are), longer ones by `memcpy`.
    @inline(__always)
    fileprivate mutating func putShort(_ source: UnsafePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(self)
        if count >= 8 {
            if count <= 16 {
                let head = from.loadUnaligned(as: UInt64.self), tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                to.storeBytes(of: head, as: UInt64.self)
                to.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
            } else {
                to.copyMemory(from: from, byteCount: count)
            }
        } else if count >= 4 {
            let head = from.loadUnaligned(as: UInt32.self), tail = from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        } else if count > 0 {
            to.storeBytes(of: source[0], as: UInt8.self)
            to.storeBytes(of: source[count >> 1], toByteOffset: count >> 1, as: UInt8.self)
            to.storeBytes(of: source[count - 1], toByteOffset: count - 1, as: UInt8.self)
        }
        self += count
    }
}
