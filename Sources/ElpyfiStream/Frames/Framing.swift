/// How a message's JSON goes on the wire. The hub frames each message once per loop and framing, and every
/// client of that framing writes the same bytes; a second transport (Server-Sent Events: `id: <epoch>:<seq>`,
/// `data: <json>`, a blank line) is one more case here and in `head`/`tail`, with no second copy of hub logic.
public enum Framing: Int, Sendable, CaseIterable {
    /// RFC 6455 text frames.
    case webSocket

    /// The bytes before a message of `payloadCount` bytes.
    public func head(payloadCount: Int) -> [UInt8] {
        switch self {
        case .webSocket: WebSocketWire.header(.text, payloadCount: payloadCount)
        }
    }

    /// The bytes after the message.
    public var tail: [UInt8] {
        switch self {
        case .webSocket: []
        }
    }

    /// `message` framed whole (control messages, replay).
    public func frame(_ message: [UInt8]) -> [UInt8] {
        head(payloadCount: message.count) + message + tail
    }
}
