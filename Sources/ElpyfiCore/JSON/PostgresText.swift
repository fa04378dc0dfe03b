/// Turns PostgreSQL's text output of a value into the contract's JSON form.
///
/// Sessions run with `DateStyle=ISO` and timestamps are selected
/// `AT TIME ZONE 'UTC'`, so the inputs here have one known shape each.
public enum PostgresText {
    /// True when `text` is a JSON number (RFC 8259 §6). PostgreSQL's `numeric`
    /// and `float8` text are, except `NaN` and `±Infinity`, which the contract writes as `null`.
    public static func isJSONNumber<C: Collection>(_ text: C) -> Bool where C.Element == UInt8 {
        var index = text.startIndex
        func peek() -> UInt8? { index < text.endIndex ? text[index] : nil }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 48 && $0 <= 57 } ?? false }
        func advance() { index = text.index(after: index) }
        if peek() == UInt8(ascii: "-") { advance() }
        guard isDigit(peek()) else { return false }
        if peek() == UInt8(ascii: "0") {
            advance()
        } else {
            while isDigit(peek()) { advance() }
        }
        if peek() == UInt8(ascii: ".") {
            advance()
            guard isDigit(peek()) else { return false }
            while isDigit(peek()) { advance() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            advance()
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { advance() }
            guard isDigit(peek()) else { return false }
            while isDigit(peek()) { advance() }
        }
        return index == text.endIndex
    }

    /// True when `text` has the one shape a UTC timestamp has here (`YYYY-MM-DD HH:MM:SS[.f]`);
    /// `infinity` and BC dates do not, and the encoder writes those as `null`.
    public static func isUTCTimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        text.count >= 19 && text[10] == UInt8(ascii: " ")
            && text.allSatisfy({ ($0 >= 48 && $0 <= 58) || $0 == 0x2D || $0 == 0x20 || $0 == 0x2E })
    }

    /// `2024-01-15 10:31:00.5` (UTC, ISO DateStyle) → `2024-01-15T10:31:00.5Z`; nil for anything
    /// `isUTCTimestamp` refuses. PostgreSQL already trims trailing fractional zeros.
    public static func rfc3339(fromUTC text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard isUTCTimestamp(text) else { return nil }
        var out = [UInt8](text)
        out[10] = UInt8(ascii: "T")
        out.append(UInt8(ascii: "Z"))
        return out
    }
}
