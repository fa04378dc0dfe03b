/// What a request on a keyed endpoint amounts to: the one decision whether it may go on, and how.
public enum AccessDecision: Equatable, Sendable {
    /// A configured key (or development mode): the keyed answer (`Cache-Control: no-cache`, the per-key limit).
    case keyed
    /// No key on a public path: the keyed body, cacheable by anyone (`Cache-Control: public`).
    case anonymous
    /// No key on a private path: 401 `missing_api_key`.
    case missing
    /// A key that is not configured, on any path (a bad key never falls back to anonymous): 403 `invalid_api_key`.
    case invalid

    /// The refusal this decision calls for, nil when the request may go on. The only place a denial becomes an
    /// `APIError`, for the REST worker and the stream sidecar alike.
    public var refusal: APIError? {
        switch self {
        case .keyed, .anonymous: nil
        case .missing: .missingAPIKey
        case .invalid: .invalidAPIKey
        }
    }
}

/// What a client presented as its key, as the transport found it.
public enum PresentedKey: Equatable, Sendable {
    /// A value (the `X-API-Key` header, or a stream's `api_key` parameter); blank counts as no key.
    case value(String)
    /// Nothing at all.
    case absent
    /// Something that can never be one key (two `api_key` parameters, a broken percent-encoding): 403.
    case unusable
}

/// Decides, for every keyed endpoint, whether a request is keyed, anonymous or refused.
///
/// Inputs are the endpoint's *template* (`/metrics/{strategy}`, `/ws/trades`: what the router matched, never the
/// raw path) and the presented key. Nothing else a client sends (other headers, query parameters, path spelling)
/// reaches this decision, which is what keeps a private path private.
public struct AccessPolicy: Sendable {
    private let verifier: APIKeyVerifier
    private let publicPaths: PublicPaths

    /// Keys from `verifier`; anonymous access on `publicPaths` only.
    public init(verifier: APIKeyVerifier, publicPaths: PublicPaths = .none) {
        self.verifier = verifier
        self.publicPaths = publicPaths
    }

    /// The keys and public paths of `config`.
    public init(config: Config) {
        self.init(verifier: APIKeyVerifier(config: config), publicPaths: config.publicPaths)
    }

    /// No keys configured: every request passes (the processes warn loudly at start).
    public var isDevelopmentMode: Bool { verifier.isDevelopmentMode }

    /// The public templates, sorted: what `/health` announces in `X-Public-Paths` so that the status page can show
    /// the public panels at once and ask for a key only for the rest (nothing secret: anyone can try a path).
    public var publicTemplates: [String] { publicPaths.templates.sorted() }

    /// The decision for a request on the endpoint `template` that presented `key`.
    public func decide(template: String, key: PresentedKey) -> AccessDecision {
        switch key {
        case .unusable: return verifier.isDevelopmentMode ? .keyed : .invalid
        case .absent: return keyless(template: template)
        case .value(var value):
            // The bytes in place: a trimmed copy of the key cost two allocations per request.
            return value.withUTF8 { bytes in
                if ASCIIWhitespace.trimmed(bytes).isEmpty { return keyless(template: template) }
                return verifier.check(bytes) == .allowed ? .keyed : .invalid
            }
        }
    }

    /// No key, or a blank one: anonymous on a public path, else development mode or 401.
    private func keyless(template: String) -> AccessDecision {
        if publicPaths.contains(template: template) { return .anonymous }
        return verifier.isDevelopmentMode ? .keyed : .missing
    }

    /// The same for a header value that may be absent (REST reads `X-API-Key` only).
    public func decide(template: String, header: String?) -> AccessDecision {
        decide(template: template, key: header.map(PresentedKey.value) ?? .absent)
    }
}
