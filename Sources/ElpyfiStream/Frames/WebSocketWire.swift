/// Server-to-client WebSocket frames (RFC 6455 §5.2), encoded whole.
///
/// Server frames are never masked, so one event's frame is the same bytes for
/// every client: it is encoded once and that one buffer is written to every socket.
public enum WebSocketWire {
    /// RFC 6455 opcodes the sidecar sends.
    public enum Opcode: UInt8, Sendable {
        case text = 0x1
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// A final (unfragmented) frame carrying `payload`.
    public static func frame(_ opcode: Opcode, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        out.append(0x80 | opcode.rawValue)
        switch payload.count {
        case 0...125:
            out.append(UInt8(payload.count))
        case 126...0xFFFF:
            out.append(126)
            out.append(UInt8(payload.count >> 8))
            out.append(UInt8(payload.count & 0xFF))
        default:
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(payload.count) >> UInt64(shift)) & 0xFF)) }
        }
        out += payload
        return out
    }

    /// A text frame.
    public static func text(_ payload: [UInt8]) -> [UInt8] { frame(.text, payload: payload) }

    /// A close frame with `code` and a short UTF-8 `reason` (control frames carry at most 125 bytes).
    public static func close(code: UInt16, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        payload += reason.utf8.prefix(123)
        return frame(.close, payload: payload)
    }
}

/// The close codes the sidecar uses.
public enum CloseCode {
    /// 1000: answer to a client's own close without a code.
    public static let normal: UInt16 = 1000
    /// 1001: the sidecar is shutting down.
    public static let goingAway: UInt16 = 1001
    /// 1002: the client broke the framing rules.
    public static let protocolError: UInt16 = 1002
    /// 1008: slow consumer, or no answer to pings.
    public static let policyViolation: UInt16 = 1008
    /// 1009: a client frame over the size limit.
    public static let messageTooBig: UInt16 = 1009
    /// 1011: an unexpected server-side error on this one connection.
    public static let internalError: UInt16 = 1011
}
