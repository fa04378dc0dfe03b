/// Strong entity tags over a response body, and `If-None-Match` matching.
public enum ETag {
    /// `"<16 hex>"`: FNV-1a 64 of the body. Not cryptographic, and need not be:
    /// it only has to change when the body does, and it runs on every 200.
    public static func of<C: Collection>(_ body: C) -> String where C.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        var digits = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 {
            let nibble = UInt8((hash >> UInt64(60 - 4 * index)) & 0xF)
            digits[index] = nibble < 10 ? nibble + 48 : nibble + 87
        }
        return "\"" + String(decoding: digits, as: UTF8.self) + "\""
    }

    /// True when an `If-None-Match` value matches `etag`: `*`, or a comma-separated
    /// list containing it. Weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`.
    public static func noneMatchHits(_ header: String, etag: String) -> Bool {
        for member in header.split(separator: ",") {
            var tag = String(member).trimmingASCIIWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag == etag { return true }
        }
        return false
    }
}
