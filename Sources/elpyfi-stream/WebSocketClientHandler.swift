import ElpyfiStream
import NIOCore
import NIOWebSocket

/// One WebSocket client: answers pings, reports liveness and back-pressure to the hub, writes frames.
///
/// Frames arrive already encoded (the same `ByteBuffer` for every client), so they are written
/// on the `WebSocketFrameEncoder`'s context, which sends them past the encoder straight to the
/// socket. Per-client state is a few words; the socket's send queue is NIO's, bounded by the
/// channel's write-buffer watermark (`ELPYFI_STREAM_CLIENT_QUEUE_BYTES`): a live write that leaves
/// it over the bound reports the client to the hub, while replay writes are paced by writability instead.
final class WebSocketClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// Set by the hub once registered.
    var id: ClientID?
    private let hub: StreamHub
    /// What the client subscribed to (the hub's per-stream client gauge reads its kind).
    let subscription: Subscription
    private var context: ChannelHandlerContext?
    /// The encoder's context: writing here bypasses frame encoding.
    private var rawContext: ChannelHandlerContext?
    private var closing = false

    private static let pong = ByteBuffer(bytes: WebSocketWire.text(Array("pong".utf8)))
    private static let ping = ByteBuffer(bytes: WebSocketWire.frame(.ping, payload: []))

    init(hub: StreamHub, subscription: Subscription) {
        self.hub = hub
        self.subscription = subscription
    }

    /// Completes when the connection is closed.
    var closeFuture: EventLoopFuture<Void> {
        context?.channel.closeFuture ?? hub.loop.makeSucceededVoidFuture()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        rawContext = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        guard rawContext != nil, hub.admit(self, subscription: subscription) else {
            // LISTEN went down between the upgrade decision and now (or shutdown began): try again later.
            close(code: 1013, reason: "try again later", grace: .seconds(1))
            return
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        hub.removed(self)
        self.context = nil
        rawContext = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        hub.removed(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        hub.heard(self)
        switch frame.opcode {
        case .text where frame.fin:
            var payload = frame.unmaskedData
            if payload.readableBytes == 4, payload.readString(length: 4) == "ping", !closing {
                write(WebSocketClientHandler.pong)
                flush()
            }
        case .ping:
            guard !closing else { return }
            let payload = frame.unmaskedData
            write(ByteBuffer(bytes: WebSocketWire.frame(.pong, payload: Array(payload.readableBytesView.prefix(125)))))
            flush()
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readInteger(as: UInt16.self) ?? CloseCode.normal
            if closing {
                context.close(promise: nil)  // the answer to our own close: done
            } else {
                close(code: code, reason: "", grace: .seconds(2))
            }
        default:
            break  // pong, binary, continuation: liveness only
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Going unwritable is judged where it happens, after a live `write`; here only the way back matters.
        if context.channel.isWritable { hub.writable(self) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One connection's failure stays here: close it, never the server. Framing errors
        // (oversized or malformed client frames) were already answered with 1009/1002 by NIO's
        // WebSocketProtocolErrorHandler, which closes the channel itself.
        if error is NIOWebSocketError {
            closing = true
            return
        }
        close(code: CloseCode.internalError, reason: "connection error", grace: .seconds(1))
    }

    // MARK: Called by the hub (on the loop)

    /// True while frames may be queued and the queue is under its bound (paced replay writes only then).
    var isWritable: Bool {
        guard !closing, rawContext != nil, let channel = context?.channel else { return false }
        return channel.isWritable
    }

    /// Queues an encoded live frame; the queue passing its bound makes this client a slow consumer
    /// (unless it is replaying: the hub asks the registry).
    func write(_ buffer: ByteBuffer) {
        guard !closing, let rawContext else { return }
        rawContext.write(NIOAny(buffer), promise: nil)
        if let channel = context?.channel, !channel.isWritable { hub.queueFull(self) }
    }

    /// Queues a replay frame: the hub writes these only while `isWritable`, so the queue is never judged here.
    func writePaced(_ buffer: ByteBuffer) {
        guard !closing, let rawContext else { return }
        rawContext.write(NIOAny(buffer), promise: nil)
    }

    /// Sends what `write` queued.
    func flush() {
        rawContext?.flush()
    }

    /// A protocol ping (the registry decided this client is idle).
    func sendPing() {
        write(WebSocketClientHandler.ping)
        flush()
    }

    /// Sends a close frame behind what is queued, then closes once it is written or after `grace`.
    func close(code: UInt16, reason: String, grace: TimeAmount) {
        guard !closing, let context else { return }
        closing = true
        let channel = context.channel
        let cut = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        guard let rawContext else {
            channel.close(promise: nil)
            return
        }
        rawContext.writeAndFlush(NIOAny(ByteBuffer(bytes: WebSocketWire.close(code: code, reason: reason)))).whenComplete { _ in
            cut.cancel()
            channel.close(promise: nil)
        }
    }
}
