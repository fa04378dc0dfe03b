import ElpyfiCore

/// `/stream/health`: `{"status","listening","clients","last_event_at","dropped_payloads","slow_consumers_closed"}`.
public enum StreamHealth {
    /// The answer for the registry's current state: 200 while listening, else 503 with `Retry-After`.
    /// A 200 carries a strong `ETag` and `Cache-Control: no-cache` like every REST 200; a matching
    /// `If-None-Match` gets 304.
    public static func response<Handle>(_ registry: ClientRegistry<Handle>, retryAfterSeconds: Int, ifNoneMatch: String?) -> APIResponse {
        var writer = JSONWriter(capacity: 192)
        writer.beginObject()
        writer.key("status")
        writer.string(registry.isListening ? "healthy" : "unhealthy")
        writer.key("listening")
        writer.bool(registry.isListening)
        writer.key("clients")
        writer.integer(registry.clientCount)
        writer.key("last_event_at")
        if let last = registry.lastEventAt { writer.string(last.rfc3339) } else { writer.null() }
        writer.key("dropped_payloads")
        writer.integer(registry.droppedPayloads)
        writer.key("slow_consumers_closed")
        writer.integer(registry.slowConsumersClosed)
        writer.endObject()
        let body = writer.bytes
        guard registry.isListening else {
            return APIResponse(status: 503, headers: [("Retry-After", String(max(1, retryAfterSeconds))), ("Cache-Control", "no-store")], body: body)
        }
        let etag = ETag.of(body)
        let headers = [("ETag", etag), ("Cache-Control", "no-cache")]
        if let ifNoneMatch, ETag.noneMatchHits(ifNoneMatch, etag: etag) {
            return APIResponse(status: 304, headers: headers, contentType: nil, body: [])
        }
        return APIResponse(status: 200, headers: headers, body: body)
    }
}
