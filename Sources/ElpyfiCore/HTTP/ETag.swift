/// Strong entity tags over a response body, and `If-None-Match` matching.
public enum ETag {
    /// `"<16 hex>"`: FNV-1a 64 over the body's 8-byte words, then its last bytes. Not cryptographic, and need
    /// not be: it only has to change when the body does, and it runs on every 200 (word steps: 8x fewer
    /// dependent multiplies than byte steps, which made this 10% of a /positions request).
    public static func of(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        body.withUnsafeBytes { raw in
            let words = raw.count / 8
            for index in 0..<words {
                hash ^= raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            for byte in raw[(words * 8)...] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        // `"` + 16 hex digits + `"`, written in place: one allocation for the whole tag.
        return String(unsafeUninitializedCapacity: 18) { tag in
            tag[0] = UInt8(ascii: "\"")
            for index in 0..<16 { tag[1 + index] = Hex.digit(UInt8(truncatingIfNeeded: hash >> (60 - 4 * UInt64(index))) & 0x0F) }
            tag[17] = UInt8(ascii: "\"")
            return 18
        }
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
