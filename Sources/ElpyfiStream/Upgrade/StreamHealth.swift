import ElpyfiCore

/// `/stream/health`: `{"status","listening","clients","last_event_at","dropped_payloads","slow_consumers_closed",
/// "epoch","seq"}`.
public enum StreamHealth {
    /// What the answer reports (the sidecar sums it over its event loops: `StreamStats.snapshot`).
    public struct Snapshot: Sendable, Equatable {
        /// The current epoch and the last seq numbered in it; nil while LISTEN is down.
        public var position: StreamPosition?
        /// Connected clients.
        public var clients: Int
        /// When the last event was relayed (wall clock).
        public var lastEventAt: Moment?
        /// Payloads dropped as malformed since start.
        public var droppedPayloads: Int
        /// Clients closed with 1008 `slow consumer` since start.
        public var slowConsumersClosed: Int
    }

    /// The answer for `snapshot`: 200 while listening, else 503 with `Retry-After` (`epoch` null, `seq` 0).
    /// A 200 is REST's (`APIResponse.ok`): strong `ETag`, `Cache-Control: no-cache`, 304 on a matching `If-None-Match`.
    public static func response(_ snapshot: Snapshot, retryAfterSeconds: Int, ifNoneMatch: String?) -> APIResponse {
        let listening = snapshot.position != nil
        let lastEventAt = snapshot.lastEventAt.map { JSONEscape.quoted($0.rfc3339) } ?? "null"
        let epoch = snapshot.position.map { JSONEscape.quoted($0.epoch.text) } ?? "null"
        let body = Array((#"{"status":"\#(listening ? "healthy" : "unhealthy")","listening":\#(listening),"#
            + #""clients":\#(snapshot.clients),"last_event_at":\#(lastEventAt),"dropped_payloads":\#(snapshot.droppedPayloads),"#
            + #""slow_consumers_closed":\#(snapshot.slowConsumersClosed),"epoch":\#(epoch),"seq":\#(snapshot.position?.seq ?? 0)}"#).utf8)
        guard listening else {
            return APIResponse(status: 503, headers: [("Retry-After", String(max(1, retryAfterSeconds))), ("Cache-Control", "no-store")], body: body)
        }
        return APIResponse.ok(body: body, ifNoneMatch: ifNoneMatch)
    }
}
