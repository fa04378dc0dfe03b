/// Turns PostgreSQL's text output of a value into the contract's JSON form.
///
/// Sessions run with `DateStyle=ISO` and timestamps are selected
/// `AT TIME ZONE 'UTC'`, so the inputs here have one known shape each.
public enum PostgresText {
    /// True when `text` is a JSON number (RFC 8259 §6). PostgreSQL's `numeric`
    /// and `float8` text are, except `NaN` and `±Infinity`, which the contract writes as `null`.
    public static func isJSONNumber<C: Collection>(_ text: C) -> Bool where C.Element == UInt8 {
        JSONNumber.end(of: text, from: text.startIndex) == text.endIndex
    }

    /// True when PostgreSQL's text of a `numeric`, `double precision` or integer value is a finite number,
    /// i.e. already a JSON number: its output functions write a JSON number (`-1.5`, `150.250`, `1e+100`)
    /// for every finite value, and `NaN`, `Infinity` or `-Infinity` otherwise. So the first byte or two tell,
    /// with no pass over the digits (`isJSONNumber` is the full grammar, for text of unknown origin).
    @inline(__always)
    public static func isFiniteNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        if first &- 48 < 10 { return true }
        return first == UInt8(ascii: "-") && text.count > 1 && text[1] &- 48 < 10
    }

    /// True when `text` has the one shape a UTC timestamp has here (`YYYY-MM-DD HH:MM:SS[.f]`);
    /// `infinity` and BC dates do not, and the encoder writes those as `null`.
    public static func isUTCTimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        text.count >= 19 && text[10] == UInt8(ascii: " ")
            && text.allSatisfy({ ($0 >= 48 && $0 <= 58) || $0 == 0x2D || $0 == 0x20 || $0 == 0x2E })
    }
}
