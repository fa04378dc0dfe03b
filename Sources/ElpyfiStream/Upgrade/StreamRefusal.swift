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

    /// The whole HTTP answer, never cached: each case's status, JSON `error.code` and `error.message`, and its
    /// headers (`Allow` on 405, `Retry-After` on 503, `Upgrade` on 426).
    public var response: APIResponse {
        let answer: (status: Int, code: String, message: String, headers: [(String, String)]) = switch self {
        case .api(let error): (error.status, error.code, StreamRefusal.message(error), error.extraHeaders)
        case .streamUnavailable(let seconds): (503, "stream_unavailable", "the event stream is reconnecting to the database; retry shortly",
                                               [("Retry-After", String(max(1, seconds)))])
        case .upgradeRequired: (426, "upgrade_required", "this path only serves WebSocket upgrades", [("Upgrade", "websocket")])
        }
        return APIResponse(status: answer.status, headers: answer.headers + [("Cache-Control", "no-store")],
                           body: ErrorBody.json(code: answer.code, message: answer.message))
    }

    /// REST's message, except that the key errors name the `api_key` parameter too (a browser cannot set a
    /// WebSocket's headers).
    private static func message(_ error: APIError) -> String {
        switch error {
        case .missingAPIKey: "an X-API-Key header or api_key query parameter is required"
        case .invalidAPIKey: "the API key is not valid"
        default: error.message
        }
    }
}
