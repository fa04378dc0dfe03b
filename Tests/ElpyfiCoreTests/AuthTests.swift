import ElpyfiCore
import Testing

private let plainKey = "elpyfi_plaintextKeyForTheCoreTests_0123456789ab"
private let hashedKey = "elpyfi_hashedKeyForTheCoreTests_ZYXWVUTSRQPONM"

/// A verifier with one plaintext key and one key configured only by its SHA-256.
private func verifier() -> APIKeyVerifier {
    APIKeyVerifier(keys: [plainKey], hashes: [APIKeyVerifier.sha256(hashedKey)])
}

/// A deterministic generator (SplitMix64), so key format tests are reproducible.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let base64URLAlphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

@Suite struct AuthTests {
    @Test func sha256MatchesTheFIPSTestVector() {
        #expect(Hex.encode(APIKeyVerifier.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(APIKeyVerifier.sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func plaintextKeyIsAllowed() {
        #expect(verifier().check(plainKey) == .allowed)
    }

    @Test func keyConfiguredOnlyByItsHashIsAllowed() {
        #expect(verifier().check(hashedKey) == .allowed)
    }

    @Test func keyConfiguredByAHexHashFromTheEnvironmentIsAllowed() throws {
        // The operator's path: `keygen` prints the hex digest, config decodes it, the client sends the key.
        let config = try Config(environment: ["ELPYFI_API_KEY_HASHES": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])
        let verifier = APIKeyVerifier(config: config)
        #expect(verifier.check("abc") == .allowed)
        #expect(verifier.check("abd") == .invalid)
        #expect(!verifier.isDevelopmentMode)
    }

    @Test func plaintextKeyFromTheEnvironmentIsAllowed() throws {
        let verifier = APIKeyVerifier(config: try Config(environment: ["ELPYFI_API_KEYS": " , k-one , k-two"]))
        #expect(verifier.check("k-one") == .allowed)
        #expect(verifier.check("k-two") == .allowed)
        #expect(verifier.check("k-three") == .invalid)
    }

    @Test func everyConfiguredKeyIsAllowedNotOnlyTheFirst() {
        let verifier = APIKeyVerifier(keys: ["one", "two", "three"], hashes: [APIKeyVerifier.sha256("four"), APIKeyVerifier.sha256("five")])
        for key in ["one", "two", "three", "four", "five"] { #expect(verifier.check(key) == .allowed) }
        #expect(verifier.check("six") == .invalid)
    }

    @Test(arguments: [nil, "", " ", "   ", "\t", " \t \r\n "] as [String?])
    func absentEmptyOrWhitespaceKeyIsMissing(presented: String?) {
        #expect(verifier().check(presented) == .missing)
    }

    static let wrongKeys: [String] = [
        "wrong",
        plainKey.uppercased(),
        plainKey.lowercased(),
        plainKey + "x",
        "x" + plainKey,
        String(plainKey.dropLast()),
        plainKey + "," + plainKey,
        plainKey + ", " + hashedKey,
        String(repeating: "j", count: 10_240),
        Hex.encode(APIKeyVerifier.sha256(hashedKey)),
        Hex.encode(APIKeyVerifier.sha256(hashedKey)).uppercased(),
        "elpyfi_",
    ]

    @Test(arguments: wrongKeys)
    func anyOtherValueIsInvalid(presented: String) {
        #expect(verifier().check(presented) == .invalid)
    }

    @Test func surroundingWhitespaceOfAPresentedKeyIsIgnored() {
        // HTTP strips it on the wire; the worker must agree with nginx.
        #expect(verifier().check("  \(plainKey)\t") == .allowed)
    }

    @Test func noKeysConfiguredIsDevelopmentModeAndAllowsEverything() {
        let verifier = APIKeyVerifier(keys: [], hashes: [])
        #expect(verifier.isDevelopmentMode)
        #expect(verifier.check(nil) == .allowed)
        #expect(verifier.check("") == .allowed)
        #expect(verifier.check("anything") == .allowed)
    }

    @Test func onlyBlankKeysConfiguredIsDevelopmentMode() {
        #expect(APIKeyVerifier(keys: ["", "  ", "\t"], hashes: []).isDevelopmentMode)
    }

    @Test func configuredKeysAreNotDevelopmentMode() {
        #expect(!verifier().isDevelopmentMode)
        #expect(!APIKeyVerifier(keys: ["k"], hashes: []).isDevelopmentMode)
        #expect(!APIKeyVerifier(keys: [], hashes: [APIKeyVerifier.sha256("k")]).isDevelopmentMode)
    }

    @Test func blankConfiguredKeyDoesNotLetABlankKeyIn() {
        let verifier = APIKeyVerifier(keys: ["", "real"], hashes: [])
        #expect(verifier.check("") == .missing)
        #expect(verifier.check("real") == .allowed)
    }

    @Test func hashOfTheWrongLengthIsNeverAKey() {
        // A 31-byte "digest" must not become a key, nor turn off development mode by accident of its own.
        let verifier = APIKeyVerifier(keys: ["k"], hashes: [Array(repeating: 0, count: 31)])
        #expect(verifier.check("k") == .allowed)
        #expect(verifier.check("") == .missing)
        #expect(APIKeyVerifier(keys: [], hashes: [[1, 2, 3]]).isDevelopmentMode)
    }
}

@Suite struct PresentedKeyBytesTests {
    @Test(arguments: [nil, "", "  ", plainKey, hashedKey, " \(plainKey)\r\n", plainKey + "x", "wrong"] as [String?])
    func bytesOfAPresentedKeyGiveTheSameOutcomeAsItsString(presented: String?) {
        let expected = verifier().check(presented)
        let outcome = Array((presented ?? "").utf8).withUnsafeBufferPointer { verifier().check($0) }
        #expect(outcome == expected)
    }

    @Test(arguments: [("", ""), ("k", "k"), ("  k\t", "k"), ("\r\n a b \n", "a b"), (" \t ", ""), ("x\u{0B}", "x\u{0B}")])
    func trimmingDropsOnlySurroundingSpaceTabCRAndLF(input: String, expected: String) {
        let trimmed = Array(input.utf8).withUnsafeBufferPointer { Array(ASCIIWhitespace.trimmed($0)) }
        #expect(trimmed == Array(expected.utf8))
        #expect(input.trimmingASCIIWhitespace() == expected)
    }
}

@Suite struct KeyGeneratorTests {
    private func expectWellFormed(_ key: String) {
        #expect(key.hasPrefix("elpyfi_"))
        let body = Array(key.utf8.dropFirst(7))
        #expect(body.count == 43)
        #expect(body.allSatisfy { base64URLAlphabet.contains($0) })
    }

    @Test func newKeyIsElpyfiPrefixAnd43URLSafeCharacters() {
        expectWellFormed(KeyGenerator.newKey())
        var generator = SplitMix64(state: 42)
        for _ in 0..<200 { expectWellFormed(KeyGenerator.newKey(using: &generator)) }
    }

    @Test func twoNewKeysDiffer() {
        #expect(KeyGenerator.newKey() != KeyGenerator.newKey())
    }

    @Test func sameSeedGivesTheSameKeyAndAnotherSeedAnother() {
        var first = SplitMix64(state: 7)
        var second = SplitMix64(state: 7)
        var third = SplitMix64(state: 8)
        let key = KeyGenerator.newKey(using: &first)
        #expect(key == KeyGenerator.newKey(using: &second))
        #expect(key != KeyGenerator.newKey(using: &third))
    }

    @Test func generatedKeyIsAcceptedByItsHash() {
        let key = KeyGenerator.newKey()
        let verifier = APIKeyVerifier(keys: [], hashes: [APIKeyVerifier.sha256(key)])
        #expect(verifier.check(key) == .allowed)
        #expect(verifier.check(KeyGenerator.newKey()) == .invalid)
    }
}

@Suite struct Base64URLTests {
    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                      ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")])
    func rfc4648VectorsWithoutPadding(input: String, expected: String) {
        #expect(Base64URL.encode(Array(input.utf8)) == expected)
    }

    @Test func usesTheURLSafeAlphabetForTheLastTwoDigits() {
        // Standard base64 of FB FF is "+/8="; base64url is "-_8".
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([0xFF, 0xFF, 0xFF]) == "____")
        #expect(Base64URL.encode([0x00, 0x00, 0x00]) == "AAAA")
    }

    @Test func thirtyTwoBytesAre43Characters() {
        #expect(Base64URL.encode(Array(repeating: 0xFF, count: 32)) == String(repeating: "_", count: 42) + "8")
    }
}

@Suite struct RepeatedHeaderTests {
    @Test func aValidKeyFollowedByARepeatedJunkLineIsInvalid() {
        let verifier = APIKeyVerifier(keys: ["good-key"], hashes: [])
        let joined = APIRequest.headerValue(fromLines: ["good-key", "junk"])
        #expect(joined == "good-key, junk")
        #expect(verifier.check(joined) == .invalid)
    }

    @Test func theSameValidKeyTwiceIsStillInvalid() {
        let verifier = APIKeyVerifier(keys: ["good-key"], hashes: [])
        #expect(verifier.check(APIRequest.headerValue(fromLines: ["good-key", "good-key"])) == .invalid)
    }

    @Test func oneLineIsPassedThroughAndNoLineIsAbsent() {
        #expect(APIRequest.headerValue(fromLines: ["good-key"]) == "good-key")
        #expect(APIRequest.headerValue(fromLines: []) == nil)
    }
}
