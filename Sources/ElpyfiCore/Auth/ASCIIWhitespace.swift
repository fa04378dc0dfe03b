/// The whitespace HTTP and `.env` values may carry around a key or a setting: space, tab, CR, LF.
public enum ASCIIWhitespace {
    /// True for space, tab, CR and LF.
    @inline(__always)
    public static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// `bytes` without leading and trailing whitespace, as a view of the same memory: the API key check trims the
    /// presented key on every request, and a trimmed `String` cost two allocations each time (callgrind,
    /// bench/rest-instructions).
    public static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
