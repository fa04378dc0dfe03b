import Digest

/// What an `X-API-Key` header amounts to.
public enum AuthOutcome: Equatable, Sendable {
    /// A configured key, or development mode.
    case allowed
    /// Absent, empty or whitespace-only: 401 `missing_api_key`.
    case missing
    /// Anything else that is not configured: 403 `invalid_api_key`.
    case invalid
}

/// Checks presented keys against the configured ones in constant time.
///
/// Plaintext keys are hashed once at start, so every check is "SHA-256 the
/// presented key, then compare 32-byte digests against every configured
/// digest without an early exit": the time taken depends on neither the
/// presented key's content nor which key (if any) it matches.
public struct APIKeyVerifier: Sendable {
    /// Each configured digest as four 64-bit words: a comparison is four XORs.
    private let digests: [SIMD4<UInt64>]

    /// Keys from `ELPYFI_API_KEYS` (plaintext) and `ELPYFI_API_KEY_HASHES` (SHA-256 digests).
    public init(keys: [String], hashes: [[UInt8]]) {
        let usable = keys.map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
        digests = (usable.map(APIKeyVerifier.sha256) + hashes.filter { $0.count == 32 })
            .map { digest in digest.withUnsafeBytes(APIKeyVerifier.words) }
    }

    /// The keys of `config`.
    public init(config: Config) {
        self.init(keys: config.apiKeys, hashes: config.apiKeyHashes)
    }

    /// No keys configured: every request passes (the processes warn loudly at start).
    public var isDevelopmentMode: Bool { digests.isEmpty }

    /// The outcome for a presented header value (nil when the header is absent).
    public func check(_ presented: String?) -> AuthOutcome {
        guard var presented else { return isDevelopmentMode ? .allowed : .missing }
        return presented.withUTF8(check)
    }

    /// The outcome for a presented value's bytes, surrounding whitespace included. Read in place: trimmed as a view,
    /// hashed into a digest on the stack, compared word by word (no String, no array: a fifth of a `/pdt/status`
    /// request went to the copies around the hash; callgrind, bench/rest-instructions).
    public func check(_ presented: UnsafeBufferPointer<UInt8>) -> AuthOutcome {
        if isDevelopmentMode { return .allowed }
        let key = ASCIIWhitespace.trimmed(presented)
        guard !key.isEmpty else { return .missing }
        let candidate = withUnsafeTemporaryAllocation(byteCount: SHA256.byteCount, alignment: 8) { digest in
            SHA256.hash(UnsafeRawBufferPointer(key), into: digest)
            return APIKeyVerifier.words(UnsafeRawBufferPointer(digest))
        }
        var matched: UInt8 = 0
        for digest in digests {
            let difference = digest ^ candidate
            matched |= difference[0] | difference[1] | difference[2] | difference[3] == 0 ? 1 : 0
        }
        return matched == 1 ? .allowed : .invalid
    }

    /// The SHA-256 of a key's UTF-8 bytes, as `ELPYFI_API_KEY_HASHES` stores it.
    public static func sha256(_ key: String) -> [UInt8] {
        SHA256.hash(Array(key.utf8))
    }

    /// A 32-byte digest as four words, loaded in memory order (both sides of a comparison load alike).
    private static func words(_ digest: UnsafeRawBufferPointer) -> SIMD4<UInt64> {
        SIMD4(digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self), digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
              digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self), digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }
}
