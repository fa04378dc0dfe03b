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
    /// `infinity` and BC dates do not, and the encoder writes those as `null`. The rule: 19 bytes or more,
    /// a space at 10, and every byte a digit, `:`, `-`, `.` or space (`isTimestampByte`); tested 8 bytes at a
    /// time (two signal timestamps per row made the byte loop a twentieth of a `/signals/recent` request).
    @inline(__always)
    public static func isUTCTimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = text.count
        guard count >= 19, let base = text.baseAddress, base[10] == UInt8(ascii: " ") else { return false }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while true {
            guard wordIsTimestampBytes(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            if offset == count - 8 { return true }
            offset = min(offset + 8, count - 8)
        }
    }

    /// The byte rule of `isUTCTimestamp`, one byte at a time (the word test must agree with it).
    public static func isTimestampByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 58) || byte == 0x2D || byte == 0x20 || byte == 0x2E
    }

    /// True when every byte of `word` passes `isTimestampByte`. Each byte's test lands in its high bit with no
    /// carry or borrow between bytes: bytes of 0x80 and up fail first, so every other step works on 7-bit values.
    @inline(__always)
    public static func wordIsTimestampBytes(_ word: UInt64) -> Bool {
        let lows: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        guard word & highs == 0 else { return false }
        let atLeastDash = (word | highs) &- lows &* 0x2D  // high bit: byte ≥ 0x2D
        let atMostColon = (highs | lows &* 0x3A) &- word  // high bit: byte ≤ 0x3A
        let notSlash = ((word ^ lows &* 0x2F) | highs) &- lows  // high bit: byte ≠ 0x2F
        let space = ~(((word ^ lows &* 0x20) | highs) &- lows)  // high bit: byte = 0x20
        return ((atLeastDash & atMostColon & notSlash) | space) & highs == highs
    }
}
