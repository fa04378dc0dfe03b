/// Makes new API keys for `elpyfi-fcgi keygen`.
public enum KeyGenerator {
    /// A fresh key: `elpyfi_` + 32 random bytes in unpadded base64url (43 characters).
    public static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return newKey(using: &generator)
    }

    /// A key from `generator` (tests pass a seeded one to check the format).
    public static func newKey<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "elpyfi_" + Base64URL.encode(bytes)
    }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// `bytes` in base64url, no `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { word |= UInt32(byte) << (16 - 8 * offset) }
            let characters = chunk.count + 1
            for position in 0..<characters {
                out.append(alphabet[Int((word >> (18 - 6 * position)) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
