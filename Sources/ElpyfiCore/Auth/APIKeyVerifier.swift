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
    private let digests: [[UInt8]]

    /// Keys from `ELPYFI_API_KEYS` (plaintext) and `ELPYFI_API_KEY_HASHES` (SHA-256 digests).
    public init(keys: [String], hashes: [[UInt8]]) {
        let usable = keys.map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
        digests = usable.map(APIKeyVerifier.sha256) + hashes.filter { $0.count == 32 }
    }

    /// The keys of `config`.
    public init(config: Config) {
        self.init(keys: config.apiKeys, hashes: config.apiKeyHashes)
    }

    /// No keys configured: every request passes (the processes warn loudly at start).
    public var isDevelopmentMode: Bool { digests.isEmpty }

    /// The outcome for a presented header value (nil when the header is absent).
    public func check(_ presented: String?) -> AuthOutcome {
        let key = presented?.trimmingASCIIWhitespace() ?? ""
        if isDevelopmentMode { return .allowed }
        guard !key.isEmpty else { return .missing }
        let candidate = APIKeyVerifier.sha256(key)
        var matched: UInt8 = 0
        for digest in digests {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= digest[index] ^ candidate[index] }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1 ? .allowed : .invalid
    }

    /// The SHA-256 of a key's UTF-8 bytes, as `ELPYFI_API_KEY_HASHES` stores it.
    public static func sha256(_ key: String) -> [UInt8] {
        SHA256.hash(Array(key.utf8))
    }
}
