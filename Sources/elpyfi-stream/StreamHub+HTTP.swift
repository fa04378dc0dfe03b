import ElpyfiCore
import ElpyfiStream
import NIOHTTP1

/// The HTTP side of a hub: the gate's verdict, `/stream/health` and `/metrics`, all from `sequencer` (LISTEN's one
/// record) and `stats`, so health and metrics can never disagree.
extension StreamHub {
    /// The gate's verdict with LISTEN's state right now.
    func decide(_ head: HTTPRequestHead) -> StreamOutcome {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return .refuse(.streamUnavailable(retryAfterSeconds: 1)) }
        let request = StreamRequest(method: head.method.rawValue, uri: head.uri, apiKeyHeaders: head.headers["X-API-Key"],
                                    isUpgrade: head.isWebSocketUpgrade, lastEventIDHeaders: head.headers["Last-Event-ID"])
        // Listening, and this loop has heard the epoch begin (at start-up the news may be microseconds behind).
        let listening = shared.sequencer.isListening && registry.position != nil
        return shared.gate.decide(request, isListening: listening, retryAfterSeconds: shared.sequencer.retryAfterSeconds)
    }

    /// `/stream/health`.
    func health(ifNoneMatch: String?) -> APIResponse {
        StreamHealth.response(shared.stats, shared.sequencer, ifNoneMatch: ifNoneMatch)
    }

    /// `GET /metrics` on the sidecar's own address: the Prometheus exposition, nil for any other request.
    /// nginx proxies only `/ws*` and `/stream/health` from the public ports; the ops listener reaches this
    /// one as `/metrics/stream` (nginx/snippets/ops.conf). Built from atomics: no event-loop state, no database.
    func exposition(for head: HTTPRequestHead) -> APIResponse? {
        guard head.uri == "/metrics", head.method == .GET || head.method == .HEAD else { return nil }
        let body = (shared.metrics ?? StreamMetrics(stats: StreamStats(loopCount: 1), sequencer: EventSequencer(), startedAtMilliseconds: 0)).render()
        return APIResponse(status: 200, headers: [("Cache-Control", "no-store")], contentType: Exposition.contentType, body: body)
    }
}

extension HTTPRequestHead {
    /// `Upgrade: websocket` (case-insensitive, as RFC 6455 asks).
    var isWebSocketUpgrade: Bool {
        headers["Upgrade"].contains { $0.lowercased().contains("websocket") }
    }
}
