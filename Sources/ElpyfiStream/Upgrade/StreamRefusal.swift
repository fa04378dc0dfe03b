import ElpyfiCore

/// Why the sidecar answers an HTTP error instead of upgrading, before any socket is opened.
///
/// Reuses `APIError` for everything the REST side also has, and adds the two
/// stream-only cases; the JSON shape is `ErrorBody`'s in every case.
public enum StreamRefusal: Error, Equatable, Sendable {
    /// 401/403/400/404/405, exactly as REST answers them.
    case api(APIError)
    /// 503 `stream_unavailable`: LISTEN is down, so a `connected` message could not be honest.
    case streamUnavailable(retryAfterSeconds: Int)
    /// 426 `upgrade_required`: a plain GET on a stream path.
    case upgradeRequired

    /// The HTTP status.
    public var status: Int {
        switch self {
        case .api(let error): error.status
        case .streamUnavailable: 503
        case .upgradeRequired: 426
        }
    }

    /// The JSON `error.code`.
    public var code: String {
        switch self {
        case .api(let error): error.code
        case .streamUnavailable: "stream_unavailable"
        case .upgradeRequired: "upgrade_required"
        }
    }

    /// The JSON `error.message`.
    public var message: String {
        switch self {
        case .api(.missingAPIKey): "an X-API-Key header or api_key query parameter is required"
        case .api(.invalidAPIKey): "the API key is not valid"
        case .api(let error): error.message
        case .streamUnavailable: "the event stream is reconnecting to the database; retry shortly"
        case .upgradeRequired: "this path only serves WebSocket upgrades"
        }
    }

    /// The whole HTTP answer: JSON body, `Retry-After` on 503, `Allow` on 405, `Upgrade` on 426.
    public var response: APIResponse {
        var headers: [(String, String)]
        switch self {
        case .api(let error): headers = error.extraHeaders
        case .streamUnavailable(let seconds): headers = [("Retry-After", String(max(1, seconds)))]
        case .upgradeRequired: headers = [("Upgrade", "websocket")]
        }
        headers.append(("Cache-Control", "no-store"))
        return APIResponse(status: status, headers: headers, body: ErrorBody.json(code: code, message: message))
    }
}
