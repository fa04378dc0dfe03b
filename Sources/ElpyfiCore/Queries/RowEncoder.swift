/// Writes query rows as the contract's JSON, straight from the database's text.
public enum RowEncoder {
    /// `[{...}, ...]`: every row.
    public static func array(_ rows: any QueryRows, query: Query) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + rows.rowCount * 160)
        writer.beginArray()
        for row in 0..<rows.rowCount { object(rows, row: row, kinds: query.kinds, keys: query.memberPrefixes, into: &writer) }
        writer.endArray()
        return writer.bytes
    }

    /// The first row as an object, or `{}` when there is none.
    public static func firstOrEmptyObject(_ rows: any QueryRows, query: Query) -> [UInt8] {
        var writer = JSONWriter()
        if rows.rowCount > 0 {
            object(rows, row: 0, kinds: query.kinds, keys: query.memberPrefixes, into: &writer)
        } else {
            writer.beginObject()
            writer.endObject()
        }
        return writer.bytes
    }

    /// One row as an object.
    static func object(_ rows: any QueryRows, row: Int, kinds: [ColumnKind], keys: [[UInt8]], into writer: inout JSONWriter) {
        writer.beginObject()
        for index in kinds.indices {
            writer.key(prepared: keys[index])
            if rows.isNull(row: row, column: index) {
                if kinds[index] == .json { writer.raw(emptyObject) } else { writer.null() }
                continue
            }
            rows.withValue(row: row, column: index) { text in value(text, kind: kinds[index], into: &writer) }
        }
        writer.endObject()
    }

    private static let emptyObject: [UInt8] = Array("{}".utf8)

    /// One non-NULL value.
    static func value(_ text: UnsafeBufferPointer<UInt8>, kind: ColumnKind, into writer: inout JSONWriter) {
        switch kind {
        case .text, .date:
            writer.string(utf8: text)
        case .number, .integer:
            if PostgresText.isJSONNumber(text) { writer.raw(text) } else { writer.null() }
        case .boolean:
            writer.bool(text.first == UInt8(ascii: "t"))
        case .timestamp:
            if PostgresText.isUTCTimestamp(text) {
                // `2024-01-15 10:31:00.5` → `"2024-01-15T10:31:00.5Z"`: date, T, time, Z, no copy.
                writer.raw(CollectionOfOne(UInt8(ascii: "\"")))
                writer.appendUnseparated(UnsafeBufferPointer(rebasing: text[..<10]))
                writer.appendUnseparated(CollectionOfOne(UInt8(ascii: "T")))
                writer.appendUnseparated(UnsafeBufferPointer(rebasing: text[11...]))
                writer.appendUnseparated(CollectionOfOne(UInt8(ascii: "Z")))
                writer.appendUnseparated(CollectionOfOne(UInt8(ascii: "\"")))
            } else {
                writer.null()
            }
        case .json:
            writer.raw(text)
        }
    }
}
