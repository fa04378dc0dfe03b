/// Writes query rows as the contract's JSON, straight from the database's text.
public enum RowEncoder {
    /// `[{...}, ...]`: every row.
    public static func array(_ rows: any QueryRows, columns: [(name: String, kind: ColumnKind)]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + rows.rowCount * 160)
        writer.beginArray()
        for row in 0..<rows.rowCount { object(rows, row: row, columns: columns, into: &writer) }
        writer.endArray()
        return writer.bytes
    }

    /// The first row as an object, or `{}` when there is none.
    public static func firstOrEmptyObject(_ rows: any QueryRows, columns: [(name: String, kind: ColumnKind)]) -> [UInt8] {
        var writer = JSONWriter()
        if rows.rowCount > 0 {
            object(rows, row: 0, columns: columns, into: &writer)
        } else {
            writer.beginObject()
            writer.endObject()
        }
        return writer.bytes
    }

    /// One row as an object.
    static func object(_ rows: any QueryRows, row: Int, columns: [(name: String, kind: ColumnKind)], into writer: inout JSONWriter) {
        writer.beginObject()
        for (index, column) in columns.enumerated() {
            writer.key(column.name)
            if rows.isNull(row: row, column: index) {
                if column.kind == .json { writer.raw(emptyObject) } else { writer.null() }
                continue
            }
            rows.withValue(row: row, column: index) { text in value(text, kind: column.kind, into: &writer) }
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
            if let formatted = PostgresText.rfc3339(fromUTC: text) {
                formatted.withUnsafeBufferPointer { writer.string(utf8: $0) }
            } else {
                writer.null()
            }
        case .json:
            writer.raw(text)
        }
    }
}
