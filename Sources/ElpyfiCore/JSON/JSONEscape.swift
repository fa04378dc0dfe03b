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

    /// True when some byte of `text` is one `isNeeded` accepts. Eight bytes at a time (two overlapping
    /// words up to 16 bytes, the usual strategy name), never reading outside `text`; the
    /// word test is exact: `(x - 0x20…) & ~x & 0x80…` is non-zero iff some byte of `x` is below 0x20.
    /// Under 8 bytes (a ticker symbol) the bytes are gathered into one word too, by overlapping loads,
    /// rather than tested one by one: ~20 instructions instead of ~40 for a 4-letter symbol, 100 per
    /// `/positions` answer (callgrind, bench/rest-instructions).
    @inline(__always)
    static func anyNeeded(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = text.count
        guard count > 0, let base = text.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        guard count >= 8 else { return wordHasNeeded(shortWord(raw, count: count)) }
        var offset = 0
        while true {
            if wordHasNeeded(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) { return true }
            if offset == count - 8 { return false }
            offset = min(offset + 8, count - 8)
        }
    }

    /// The 1 to 7 bytes at `raw` in one word that has a byte needing an escape iff they do: two overlapping 4-byte
    /// loads from 4 bytes on; below that the first, middle and last byte (which cover all of them) and spaces.
    @inline(__always)
    private static func shortWord(_ raw: UnsafeRawPointer, count: Int) -> UInt64 {
        if count >= 4 {
            return UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
        }
        let first = UInt64(raw.load(as: UInt8.self)), middle = UInt64(raw.load(fromByteOffset: count >> 1, as: UInt8.self))
        let last = UInt64(raw.load(fromByteOffset: count - 1, as: UInt8.self))
        return first | middle << 8 | last << 16 | 0x2020_2020_2000_0000
    }

    /// True when a byte of `word` is below 0x20, a quote or a backslash.
    @inline(__always)
    private static func wordHasNeeded(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let control = (word &- ones &* 0x20) & ~word & highs
        return control | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) != 0
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
