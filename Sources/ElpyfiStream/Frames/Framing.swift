/// How a message's JSON goes on the wire. The hub frames each message once per loop and framing, and every
/// client of that framing writes the same bytes: the two transports differ here (and in how a client resumes,
/// `UpgradeGate`), never in the hub, registry, ring or filters.
public enum Framing: Int, Sendable, CaseIterable {
    /// RFC 6455 text frames.
    case webSocket
    /// Server-Sent Events: `id: <epoch>:<seq>`, one `data:` line, a blank line (docs/CONTRACT.md "Server-Sent Events").
    case serverSentEvents

    /// The bytes before a message of `payloadCount` bytes whose stream position is `id`.
    public func head(payloadCount: Int, id: StreamPosition) -> [UInt8] {
        switch self {
        case .webSocket: WebSocketWire.header(.text, payloadCount: payloadCount)
        case .serverSentEvents: Array("id: \(id.epoch.text):\(id.seq)\ndata: ".utf8)
        }
    }

    /// The bytes after the message.
    public var tail: [UInt8] {
        switch self {
        case .webSocket: []
        case .serverSentEvents: Array("\n\n".utf8)
        }
    }

    /// The message as the frame carries it. An SSE `data:` field is one line, so the line breaks JSON allows
    /// between tokens (inside strings they are always escaped) become spaces: the same JSON value, one line.
    public func body(_ message: [UInt8]) -> [UInt8] {
        guard self == .serverSentEvents, message.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return message }
        return message.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
    }

    /// What a connection of this framing gets first: nothing on a WebSocket (the upgrade answered), the response
    /// head and `retry: 2000` for SSE. The response has no length: it ends when the connection closes.
    public var preamble: [UInt8] {
        switch self {
        case .webSocket: []
        case .serverSentEvents:
            Array(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                + "X-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 2000\n\n").utf8)
        }
    }

    /// The idle keep-alive: a protocol ping, or an SSE comment (which nothing answers).
    public var ping: [UInt8] {
        switch self {
        case .webSocket: WebSocketWire.frame(.ping, payload: [])
        case .serverSentEvents: Array(": ping\n\n".utf8)
        }
    }

    /// What is written before the connection is closed with `code`: a close frame, or nothing (an SSE response
    /// simply ends; its EventSource reconnects with `Last-Event-ID`).
    public func closing(code: UInt16, reason: String) -> [UInt8] {
        switch self {
        case .webSocket: WebSocketWire.close(code: code, reason: reason)
        case .serverSentEvents: []
        }
    }

    /// The `transport` label of `elpyfi_stream_clients`.
    public var metricLabel: String {
        switch self {
        case .webSocket: "ws"
        case .serverSentEvents: "sse"
        }
    }
}
