/// RFC 8259 §7 string escaping, byte by byte: the one definition `RowEncoder` and every hand-written body share.
///
/// Quotes, backslashes and control characters are escaped; every other byte (UTF-8 included) is kept.
/// Why no `JSONEncoder`: the API passes PostgreSQL's text of each value straight through (exact numerics, stored
/// JSON), which a Codable model would round-trip through `Double`; the few small bodies of our own (errors, control
/// messages, health, log lines) are string interpolation around `quoted`.
public enum JSONEscape {
    /// `text` as a JSON string literal, quotes included. Most text needs no escape: then no byte loop at all.
    public static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: isNeeded) else { return "\"" + text + "\"" }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            if isNeeded(byte) { bytes += sequence(byte) } else { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True for the bytes that cannot appear as themselves inside a JSON string.
    @inline(__always)
    static func isNeeded(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The letter after `\` for bytes with a two-character escape; nil for the `\u00XX` ones.
    static func shortLetter(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        default: nil
        }
    }

    /// The escape for a byte `isNeeded` accepts: `\` and a letter, or `\u00` and two lowercase hex digits.
    static func sequence(_ byte: UInt8) -> [UInt8] {
        if let letter = shortLetter(byte) { return [UInt8(ascii: "\\"), letter] }
        return [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                Hex.digit(byte >> 4), Hex.digit(byte & 0xF)]
    }
}
