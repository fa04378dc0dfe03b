/// Appends RFC 8259 JSON to a byte buffer, with no intermediate objects.
///
/// Why not `JSONEncoder`: the API passes PostgreSQL's text of each value
/// straight through (exact numerics, stored JSON), which a Codable model
/// would round-trip through `Double` and re-serialise. Commas are placed by
/// the writer, so callers only say what comes next.
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    /// Per open container: does the next member need a comma first?
    private var needsComma: [Bool] = []
    private var afterKey = false

    /// An empty writer with room for `capacity` bytes (one allocation for a typical body).
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Opens `{`.
    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    /// Closes `}`.
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    /// Opens `[`.
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    /// Closes `]`.
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// An object member's name; the next value written is its value.
    public mutating func key(_ name: String) {
        separate()
        var name = name
        name.withUTF8 { appendQuoted($0) }
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// `"name":` as bytes, prepared once per column (`ColumnLayout`).
    public static func memberPrefix(_ name: String) -> [UInt8] {
        var writer = JSONWriter(capacity: name.utf8.count + 3)
        writer.beginObject()
        writer.key(name)
        return Array(writer.bytes.dropFirst())
    }

    /// A JSON string from Swift text.
    public mutating func string(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { appendQuoted($0) }
    }

    /// `null`.
    public mutating func null() { raw(JSONWriter.nullBytes) }
    /// `true` / `false`.
    public mutating func bool(_ value: Bool) { raw(value ? JSONWriter.trueBytes : JSONWriter.falseBytes) }
    /// A whole number.
    public mutating func integer(_ value: Int) { raw(Array(String(value).utf8)) }

    /// Bytes that are already valid JSON (a number's text, stored `jsonb`); the caller vouches for them.
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 {
        separate()
        bytes.append(contentsOf: json)
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)

    /// Writes the comma a new array element or object member needs; a value right after its key needs none.
    private mutating func separate() {
        if afterKey { afterKey = false; return }
        guard let last = needsComma.last else { return }
        if last { bytes.append(UInt8(ascii: ",")) } else { needsComma[needsComma.count - 1] = true }
    }

    /// `"…"` with quotes, backslashes and control characters escaped; other bytes (UTF-8 included) kept.
    /// Most values need no escape at all: then one bulk copy instead of a byte-by-byte loop.
    private mutating func appendQuoted(_ value: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        if value.contains(where: JSONEscape.isNeeded) {
            for byte in value {
                if JSONEscape.isNeeded(byte) { bytes += JSONEscape.sequence(byte) } else { bytes.append(byte) }
            }
        } else {
            bytes.append(contentsOf: value)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
