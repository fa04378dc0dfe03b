import ElpyfiCore

/// `/stream/health`: `{"status","listening","clients","last_event_at","dropped_payloads","slow_consumers_closed",
/// "epoch","seq"}`, from the counters (`StreamStats`, summed over the event loops) and LISTEN's one record.
public enum StreamHealth {
    /// 200 while listening, else 503 with `Retry-After` (`epoch` null, `seq` 0).
    /// A 200 is REST's (`APIResponse.ok`): strong `ETag`, `Cache-Control: no-cache`, 304 on a matching `If-None-Match`.
    public static func response(_ stats: StreamStats, _ sequencer: EventSequencer, ifNoneMatch: String?) -> APIResponse {
        let position = sequencer.position
        let lastEventAt = stats.lastEventAt.map { JSONEscape.quoted($0.rfc3339) } ?? "null"
        let epoch = position.map { JSONEscape.quoted($0.epoch.text) } ?? "null"
        let body = Array((#"{"status":"\#(position != nil ? "healthy" : "unhealthy")","listening":\#(position != nil),"#
            + #""clients":\#(stats.clients),"last_event_at":\#(lastEventAt),"#
            + #""dropped_payloads":\#(stats.droppedPayloads.load(ordering: .relaxed)),"#
            + #""slow_consumers_closed":\#(stats.slowConsumersClosed),"epoch":\#(epoch),"seq":\#(position?.seq ?? 0)}"#).utf8)
        guard position != nil else {
            let retryAfter = String(sequencer.retryAfterSeconds)
            return APIResponse(status: 503, headers: [("Retry-After", retryAfter), ("Cache-Control", "no-store")], body: body)
        }
        return APIResponse.ok(body: body, ifNoneMatch: ifNoneMatch)
    }
}
