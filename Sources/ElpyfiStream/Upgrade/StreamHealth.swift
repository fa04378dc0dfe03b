import ElpyfiCore

/// `/stream/health`: `{"status","listening","clients","last_event_at","dropped_payloads","slow_consumers_closed"}`.
public enum StreamHealth {
    /// The answer for the registry's current state: 200 while listening, else 503 with `Retry-After`.
    /// A 200 is REST's (`APIResponse.ok`): strong `ETag`, `Cache-Control: no-cache`, 304 on a matching `If-None-Match`.
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
        return APIResponse.ok(body: body, ifNoneMatch: ifNoneMatch)
    }
}
