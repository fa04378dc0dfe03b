/// The JSON number grammar (RFC 8259 §6), once: for PostgreSQL's numeric text in the worker and for
/// numbers inside the engine's event payloads in the sidecar.
public enum JSONNumber {
    /// Where the number `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` starting at `start` ends;
    /// nil when no number starts there. What follows the number is the caller's to judge.
    @inlinable
    public static func end<C: Collection>(of text: C, from start: C.Index) -> C.Index? where C.Element == UInt8 {
        var index = start
        func isDigit(_ at: C.Index) -> Bool { at < text.endIndex && text[at] >= 48 && text[at] <= 57 }
        func digits() -> Bool {
            guard isDigit(index) else { return false }
            while isDigit(index) { index = text.index(after: index) }
            return true
        }
        if index < text.endIndex, text[index] == UInt8(ascii: "-") { index = text.index(after: index) }
        if index < text.endIndex, text[index] == UInt8(ascii: "0") {
            index = text.index(after: index)
        } else if !digits() {
            return nil
        }
        if index < text.endIndex, text[index] == UInt8(ascii: ".") {
            index = text.index(after: index)
            guard digits() else { return nil }
        }
        if index < text.endIndex, text[index] | 0x20 == UInt8(ascii: "e") {
            index = text.index(after: index)
            if index < text.endIndex, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                index = text.index(after: index)
            }
            guard digits() else { return nil }
        }
        return index
    }
}
