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

    /// The header of a final (unfragmented) frame carrying `payloadCount` bytes.
    public static func header(_ opcode: Opcode, payloadCount count: Int) -> [UInt8] {
        switch count {
        case 0...125: [0x80 | opcode.rawValue, UInt8(count)]
        case 126...0xFFFF: [0x80 | opcode.rawValue, 126, UInt8(count >> 8), UInt8(count & 0xFF)]
        default: [0x80 | opcode.rawValue, 127] + stride(from: 56, through: 0, by: -8).map { UInt8((UInt64(count) >> UInt64($0)) & 0xFF) }
        }
    }

    /// A final (unfragmented) frame carrying `payload`.
    public static func frame(_ opcode: Opcode, payload: [UInt8]) -> [UInt8] {
        header(opcode, payloadCount: payload.count) + payload
    }

    /// A close frame with `code` and a short UTF-8 `reason` (control frames carry at most 125 bytes).
    public static func close(code: UInt16, reason: String) -> [UInt8] {
        frame(.close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reason.utf8.prefix(123))
    }
}

/// The close codes the sidecar sends (1002/1009 for bad client frames are NIO's own).
public enum CloseCode {
    /// 1000: answer to a client's own close without a code.
    public static let normal: UInt16 = 1000
    /// 1001: the sidecar is shutting down.
    public static let goingAway: UInt16 = 1001
    /// 1008: slow consumer, or no answer to pings.
    public static let policyViolation: UInt16 = 1008
    /// 1011: an unexpected server-side error on this one connection.
    public static let internalError: UInt16 = 1011
    /// 1013: LISTEN went down between the upgrade and the admission (or shutdown began): try again later.
    public static let tryAgainLater: UInt16 = 1013
}
