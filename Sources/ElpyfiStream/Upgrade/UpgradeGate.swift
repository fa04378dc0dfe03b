import ElpyfiCore

/// An HTTP request as the gate sees it (transport-free).
public struct StreamRequest: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The raw request target, e.g. `/ws/signals?strategy=momentum`.
    public var uri: String
    /// Every `X-API-Key` header value (usually zero or one).
    public var apiKeyHeaders: [String]
    /// True when the request asks for a WebSocket upgrade.
    public var isUpgrade: Bool
    /// Every `Last-Event-ID` header value (an SSE resume point, `<epoch>:<seq>`).
    public var lastEventIDHeaders: [String]

    /// A request as the gate sees it.
    public init(method: String, uri: String, apiKeyHeaders: [String] = [], isUpgrade: Bool, lastEventIDHeaders: [String] = []) {
        self.method = method
        self.uri = uri
        self.apiKeyHeaders = apiKeyHeaders
        self.isUpgrade = isUpgrade
        self.lastEventIDHeaders = lastEventIDHeaders
    }
}

/// The gate's typed verdict.
public enum StreamOutcome: Equatable, Sendable {
    /// `GET`/`HEAD /stream/health`.
    case health
    /// Upgrade (WebSocket) or start the response (SSE, `subscription.framing`) and register with this subscription.
    case upgrade(Subscription)
    /// Answer this HTTP error; never upgrade.
    case refuse(StreamRefusal)
}

/// Decides every request before any upgrade, in the contract's order:
/// path (404) → method (405) → key (401/403) → parameters (400) → LISTEN (503).
public struct UpgradeGate: Sendable {
    private let policy: AccessPolicy

    /// A gate deciding keys and anonymous access with `policy` (the REST worker's rules).
    public init(policy: AccessPolicy) { self.policy = policy }

    /// The verdict for `request`; `isListening` and `retryAfterSeconds` describe LISTEN right now.
    public func decide(_ request: StreamRequest, isListening: Bool, retryAfterSeconds: Int) -> StreamOutcome {
        let target = APIRequest(method: request.method, uri: request.uri)
        let path = target.path
        if path == "/stream/health" {
            return request.method == "GET" || request.method == "HEAD" ? .health : .refuse(.api(.methodNotAllowed))
        }
        guard let (kind, framing) = UpgradeGate.stream(at: String(path)) else { return .refuse(.api(.notFound)) }
        guard request.method == "GET" || request.method == "HEAD" else { return .refuse(.api(.methodNotAllowed)) }
        let parameters = QueryParameters(target.query)
        // A stream's template is its path (`/ws/trades`), already matched exactly by `StreamKind`.
        let access = policy.decide(template: String(path), key: UpgradeGate.presentedKey(request.apiKeyHeaders, parameters))
        if let refusal = access.refusal { return .refuse(.api(refusal)) }
        var subscription: Subscription
        do {
            subscription = try UpgradeGate.subscription(kind: kind, parameters)
            // SSE: `Last-Event-ID` (what an EventSource sends by itself when it reconnects) wins over the query.
            if framing == .serverSentEvents, let resume = try UpgradeGate.lastEventID(request.lastEventIDHeaders) {
                subscription.resume = resume
            }
        } catch {
            return .refuse(.api(error))
        }
        subscription.framing = framing
        guard isListening else { return .refuse(.streamUnavailable(retryAfterSeconds: retryAfterSeconds)) }
        guard request.method == "GET" else { return .refuse(framing == .webSocket ? .upgradeRequired : .api(.methodNotAllowed)) }
        // A WebSocket path needs the upgrade; an SSE path is a plain GET.
        guard request.isUpgrade == (framing == .webSocket) else { return .refuse(.upgradeRequired) }
        return .upgrade(subscription)
    }

    /// The stream and transport at `path`: `/ws*` (WebSocket) or the same stream under `/sse*` (Server-Sent Events).
    static func stream(at path: String) -> (StreamKind, Framing)? {
        if let kind = StreamKind(path: path) { return (kind, .webSocket) }
        guard path.hasPrefix("/sse"), let kind = StreamKind(path: "/ws" + path.dropFirst(4)) else { return nil }
        return (kind, .serverSentEvents)
    }

    /// `Last-Event-ID: <epoch>:<seq>`: nil when absent or blank (an EventSource that has seen no id sends none);
    /// 400 naming it when repeated or not an epoch, a colon and plain digits. The epoch is then compared with the
    /// current one like `?epoch=` (an unknown one is a gap).
    static func lastEventID(_ headers: [String]) throws(APIError) -> Subscription.ResumePoint? {
        let values = headers.filter { !$0.trimmingASCIIWhitespace().isEmpty }
        guard let value = values.first else { return nil }
        let parts = value.trimmingASCIIWhitespace().split(separator: ":", omittingEmptySubsequences: false)
        guard values.count == 1, parts.count == 2, !parts[0].isEmpty, let seq = resumeSeq(String(parts[1])) else {
            throw APIError.invalidParameter(name: "Last-Event-ID", reason: "must be <epoch>:<seq> (an id this stream sent)")
        }
        return Subscription.ResumePoint(since: seq, epoch: String(parts[0]))
    }

    /// `X-API-Key` when it has a value, else the `api_key` query parameter (browsers cannot set headers on a WebSocket).
    static func presentedKey(_ headers: [String], _ parameters: QueryParameters) -> PresentedKey {
        let headerValues = headers.filter { !$0.trimmingASCIIWhitespace().isEmpty }
        // Two headers are never one valid key: joined as REST joins them (a proxy would do the same).
        if let joined = APIRequest.headerValue(fromLines: headerValues) { return .value(joined) }
        let values = parameters.pairs.filter { $0.name == "api_key" }.map(\.value)
        switch values.count {
        case 0: return .absent
        case 1: return values[0].map(PresentedKey.value) ?? .unusable
        default: return .unusable
        }
    }

    /// `strategy` (validated like REST), and `since` + `epoch` (both or neither, each given once and non-empty).
    ///
    /// `since` must be plain digits (else 400); digits too big for `Int` are a seq beyond the current
    /// one, so they get `stream.gap` like any other future seq. A non-empty `epoch` that is malformed
    /// or unknown is, to the client, simply not the current epoch: `stream.gap` too, not 400 — the
    /// registry compares it with the current epoch and nothing else.
    static func subscription(kind: StreamKind, _ parameters: QueryParameters) throws(APIError) -> Subscription {
        let strategy = try ParameterRule.name.bind(parameters.single("strategy"), name: "strategy")
        let sinceText = try parameters.single("since")
        let epochText = try epochParameter(parameters)
        var resume: Subscription.ResumePoint?
        switch (sinceText, epochText) {
        case (nil, nil):
            resume = nil
        case (.some, nil):
            throw APIError.invalidParameter(name: "epoch", reason: "is required with since")
        case (nil, .some):
            throw APIError.invalidParameter(name: "since", reason: "is required with epoch")
        case (.some(let since), .some(let epoch)):
            guard let seq = resumeSeq(since) else {
                throw APIError.invalidParameter(name: "since", reason: "must be a whole number (plain digits)")
            }
            resume = Subscription.ResumePoint(since: seq, epoch: epoch)
        }
        return Subscription(filter: StreamFilter(kind: kind, strategy: strategy), resume: resume)
    }

    /// `since` as a seq: plain digits, saturating at `Int.max` (which is past any current seq).
    private static func resumeSeq(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return DecimalDigits.parse(text) ?? .max
    }

    /// `epoch`: nil when absent; 400 when repeated or empty; otherwise its text, or "" (never an epoch id,
    /// so a gap) when its percent-encoding is broken.
    private static func epochParameter(_ parameters: QueryParameters) throws(APIError) -> String? {
        let values = parameters.pairs.filter { $0.name == "epoch" }.map(\.value)
        guard let first = values.first else { return nil }
        guard values.count == 1 else { throw APIError.invalidParameter(name: "epoch", reason: "given more than once") }
        guard let text = first else { return "" }
        guard !text.isEmpty else { throw APIError.invalidParameter(name: "epoch", reason: "must not be empty") }
        return text
    }
}
