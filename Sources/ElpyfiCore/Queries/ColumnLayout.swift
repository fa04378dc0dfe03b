/// A query's result columns as the row encoder reads them: every `"name":` in one byte
/// array, and the kinds in select order.
///
/// Flat storage so that encoding a request touches two arrays, not one array per column.
public struct ColumnLayout: Sendable {
    private let prefixBytes: [UInt8]
    /// Where each column's prefix ends in `prefixBytes` (it starts where the previous one ends).
    private let prefixEnds: [Int]
    private let kinds: [ColumnKind]

    init(_ columns: [(name: String, kind: ColumnKind)]) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for column in columns {
            bytes += Array((JSONEscape.quoted(column.name) + ":").utf8)
            ends.append(bytes.count)
        }
        prefixBytes = bytes
        prefixEnds = ends
        kinds = columns.map(\.kind)
    }

    /// Borrowed views of the layout, valid during `body`.
    struct Columns {
        let count: Int
        let kinds: UnsafeBufferPointer<ColumnKind>
        fileprivate let bytes: UnsafeBufferPointer<UInt8>
        fileprivate let ends: UnsafeBufferPointer<Int>

        /// `"name":` of the column at `index`.
        func prefix(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let start = index == 0 ? 0 : ends[index - 1]
            return UnsafeBufferPointer(rebasing: bytes[start..<ends[index]])
        }
    }

    func withColumns<R>(_ body: (Columns) throws -> R) rethrows -> R {
        try prefixBytes.withUnsafeBufferPointer { bytes in
            try prefixEnds.withUnsafeBufferPointer { ends in
                try kinds.withUnsafeBufferPointer { kinds in
                    try body(Columns(count: kinds.count, kinds: kinds, bytes: bytes, ends: ends))
                }
            }
        }
    }
}
