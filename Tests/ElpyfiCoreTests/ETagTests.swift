import ElpyfiCore
import Testing

@Suite struct ETagTests {
    @Test func etagIsAStrongQuoted16HexDigitTag() {
        let etag = ETag.of(Array("[]".utf8))
        #expect(!etag.hasPrefix("W/"))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
        let digits = etag.utf8.dropFirst().dropLast()
        #expect(digits.count == 16)
        #expect(digits.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
    }

    @Test func shortBodiesHashAsPlainFNV1a64() {
        // Under 8 bytes there are no whole words, so the published FNV-1a 64 vectors hold.
        #expect(ETag.of([UInt8]()) == "\"cbf29ce484222325\"")
        #expect(ETag.of(Array("a".utf8)) == "\"af63dc4c8601ec8c\"")
        #expect(ETag.of(Array("foobar".utf8)) == "\"85944171f73967e8\"")
    }

    @Test func sameBodySameETag() {
        let body = Array(#"[{"symbol":"AAPL","quantity":100}]"#.utf8)
        #expect(ETag.of(body) == ETag.of(Array(body)))
        #expect(ETag.of(body) == ETag.of(Array(body[...])))
    }

    @Test func changingAnySingleByteChangesTheETag() {
        // 21 bytes: two whole 8-byte words and a 5-byte tail, so both hashing paths are covered.
        let body = Array(#"[{"quantity":150.25}]"#.utf8)
        let original = ETag.of(body)
        for index in body.indices {
            var changed = body
            changed[index] ^= 0x01
            #expect(ETag.of(changed) != original, "byte \(index)")
        }
    }

    @Test func wordOrderMatters() {
        #expect(ETag.of(Array("aaaaaaaabbbbbbbb".utf8)) != ETag.of(Array("bbbbbbbbaaaaaaaa".utf8)))
    }

    @Test func differentBodiesDiffer() {
        #expect(ETag.of(Array("[]".utf8)) != ETag.of(Array("{}".utf8)))
        #expect(ETag.of(Array(#"{"quantity":150.25}"#.utf8)) != ETag.of(Array(#"{"quantity":150.250}"#.utf8)))
        #expect(ETag.of(Array("ab".utf8)) != ETag.of(Array("ba".utf8)))
    }

    private let etag = ETag.of(Array("[]".utf8))

    @Test func starMatchesAnything() {
        #expect(ETag.noneMatchHits("*", etag: etag))
        #expect(ETag.noneMatchHits(" * ", etag: etag))
    }

    @Test func exactTagMatches() {
        #expect(ETag.noneMatchHits(etag, etag: etag))
    }

    @Test func listContainingTheTagMatches() {
        #expect(ETag.noneMatchHits("\"0000000000000000\", \(etag), \"ffffffffffffffff\"", etag: etag))
        #expect(ETag.noneMatchHits("\"0000000000000000\",\(etag)", etag: etag))
    }

    @Test func weakFormOfTheTagMatches() {
        #expect(ETag.noneMatchHits("W/\(etag)", etag: etag))
        #expect(ETag.noneMatchHits("\"x\", W/\(etag)", etag: etag))
    }

    @Test(arguments: ["\"0000000000000000\"", "W/\"0000000000000000\"", "garbage", "", ",", " , ", "**", "\"*\""])
    func otherTagsDoNotMatch(header: String) {
        #expect(!ETag.noneMatchHits(header, etag: etag))
    }

    @Test func unquotedOrAlteredTagDoesNotMatch() {
        let bare = String(etag.dropFirst().dropLast())
        #expect(!ETag.noneMatchHits(bare, etag: etag))
        #expect(!ETag.noneMatchHits(etag + "x", etag: etag))
        #expect(etag != etag.uppercased())
        #expect(!ETag.noneMatchHits(etag.uppercased(), etag: etag))
        #expect(!ETag.noneMatchHits("w/\(etag)", etag: etag))
    }
}
