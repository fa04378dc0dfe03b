import Digest
import Testing

/// Lower-case hex, so expectations read like the published vectors.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
}

/// The FIPS 180-2 appendix B vectors, hashed through libcrypto.
@Suite struct SHA256Tests {
    @Test func oneBlockMessageABCMatchesFIPS180Vector() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyMessageMatchesKnownDigest() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func twoBlock448BitMessageMatchesFIPS180Vector() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(message.utf8.count * 8 == 448)
        #expect(hex(SHA256.hash(Array(message.utf8))) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func millionAsMatchesFIPS180Vector() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func digestIsAlwaysThirtyTwoBytes() {
        for count in [0, 1, 55, 56, 63, 64, 65, 1000] {
            #expect(SHA256.hash([UInt8](repeating: 7, count: count)).count == SHA256.byteCount)
        }
    }

    @Test func hashIntoABufferEqualsTheArrayForm() {
        for count in [0, 1, 48, 55, 56, 64, 1000] {
            let message = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var digest = [UInt8](repeating: 0xEE, count: SHA256.byteCount + 4)
            message.withUnsafeBytes { bytes in digest.withUnsafeMutableBytes { SHA256.hash(bytes, into: $0) } }
            #expect(Array(digest.prefix(SHA256.byteCount)) == SHA256.hash(message))
            #expect(digest.suffix(4).allSatisfy { $0 == 0xEE })
        }
    }
}
