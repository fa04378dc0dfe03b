/// A query's result columns as the row encoder reads them: every `"name":` in one byte
/// array (with the comma before it for all but the first column), each column's place in it
/// and kind, and the bytes a row adds around its values.
///
/// Flat storage so that encoding a request touches two arrays, not one array per column.
public struct ColumnLayout: Sendable {
    /// One column: where its `"name":` lies in the prefix bytes, and how its values are written.
    struct Column {
        let prefixStart: Int
        let prefixCount: Int
        let kind: ColumnKind
    }

    /// Every `"name":`, then `wordSlack` zero bytes: the encoder copies a prefix in whole 8-byte
    /// words (at least three), so it may read up to 23 bytes past the last one.
    private let prefixBytes: [UInt8]
    private let columns: [Column]
    /// The most bytes one row writes besides 6 per value byte: braces, prefixes (commas included), and for each
    /// value a constant that covers quotes, `null`, `{}` or `Z` (`RowEncoder.array`'s bound).
    let rowOverhead: Int

    /// Bytes the encoder's buffer holds beyond its bound, and the prefix bytes beyond their end,
    /// so that a word copy of the last bytes stays inside both.
    static let wordSlack = 24

    init(_ columns: [(name: String, kind: ColumnKind)]) {
        var bytes: [UInt8] = []
        var laidOut: [Column] = []
        for (index, column) in columns.enumerated() {
            let prefix = Array(((index == 0 ? "" : ",") + JSONEscape.quoted(column.name) + ":").utf8)
            laidOut.append(Column(prefixStart: bytes.count, prefixCount: prefix.count, kind: column.kind))
            bytes += prefix
        }
        rowOverhead = 2 + bytes.count + 6 * columns.count
        bytes += [UInt8](repeating: 0, count: ColumnLayout.wordSlack)
        prefixBytes = bytes
        self.columns = laidOut
    }

    /// Borrowed views of the layout, valid during `body`.
    func withColumns<R>(_ body: (_ prefixes: UnsafePointer<UInt8>, _ columns: UnsafeBufferPointer<Column>) throws -> R) rethrows -> R {
        try prefixBytes.withUnsafeBufferPointer { bytes in
            try columns.withUnsafeBufferPointer { columns in try body(bytes.baseAddress!, columns) }
        }
    }
}
