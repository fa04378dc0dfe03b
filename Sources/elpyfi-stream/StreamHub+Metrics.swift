import ElpyfiCore
import ElpyfiStream
import NIOCore
import NIOHTTP1

extension StreamHub {
    /// `GET /metrics` on the sidecar's own address: the Prometheus exposition, nil for any other request.
    /// nginx proxies only `/ws*` and `/stream/health` from the public ports; the ops listener reaches this
    /// one as `/metrics/stream` (nginx/snippets/ops.conf). Built from atomics: no event-loop state, no database.
    func exposition(for head: HTTPRequestHead) -> APIResponse? {
        guard head.uri == "/metrics", head.method == .GET || head.method == .HEAD else { return nil }
        let body = (metrics ?? StreamHub.disabledMetrics).render()
        return APIResponse(status: 200, headers: [("Cache-Control", "no-store")], contentType: Exposition.contentType, body: body)
    }

    /// Zeros, for `ELPYFI_METRICS=0`.
    private static let disabledMetrics = StreamMetrics(stats: StreamStats(loopCount: 1), startedAtMilliseconds: 0)
}
