import ElpyfiStream
import NIOCore
import NIOWebSocket

/// One stream client, WebSocket or SSE (`framing`): answers pings, reports liveness and back-pressure to the hub,
/// writes frames. The transports differ only in `Framing`'s bytes and in what a client may send (an SSE client sends
/// nothing after its request: its reads are ignored, and its keep-alive comment stands in for an answered ping).
///
/// Frames arrive already framed (the same bytes for every client of the loop). A live frame goes to the socket in
/// one `send` while NIO holds nothing of this client's (`SocketWriter`); what the kernel does not take, and
/// every other write (first frames, replay, pongs, close), goes to the channel's core (`ChannelCore.write0`/`flush0`,
/// what NIO's head handler calls: past the encoder and the pipeline walk), and live frames then queue behind it
/// until NIO has written it all, so bytes never overtake each other. Nothing outbound sits between the encoder
/// and the head after the upgrade, so this writes exactly what the encoder's context would; `core` exists only
/// while the encoder does. The send queue is NIO's, bounded by the channel's write-buffer watermark
/// (`ELPYFI_STREAM_CLIENT_QUEUE_BYTES`): a live write that leaves it over the bound is reported to the hub,
/// while replay writes are paced by writability instead.
final class StreamClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// Set by the hub once registered.
    var id: ClientID?
    /// What the client subscribed to (its filter; the hub's per-stream count reads its kind).
    let subscription: Subscription
    /// How this client's messages go on the wire (the subscription's transport).
    var framing: Framing { subscription.framing }
    private let hub: StreamHub
    private var channel: Channel?
    /// The socket's write queue, set once the encoder is in place (writing here bypasses frame encoding).
    private var core: ChannelCore?
    /// The socket, for live frames; nil before the encoder, without a checked descriptor, and once closed.
    /// Unchecked exclusivity (here and below): touched on the loop only, never in overlapping accesses, and the
    /// runtime check was a sixth of a frame's instructions.
    @exclusivity(unchecked) private var socket: SocketWriter?
    @exclusivity(unchecked) private var closing = false

    private static let pong = ByteBuffer(bytes: WebSocketWire.frame(.text, payload: Array("pong".utf8)))
    private static let pings = Framing.allCases.map { ByteBuffer(bytes: $0.ping) }

    init(hub: StreamHub, subscription: Subscription) {
        self.hub = hub
        self.subscription = subscription
    }

    /// Completes when the connection is closed.
    var closeFuture: EventLoopFuture<Void> {
        channel?.closeFuture ?? hub.loop.makeSucceededVoidFuture()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        // SSE writes raw bytes from its first (the response head, `Framing.preamble`): no encoder to wait for.
        if framing == .serverSentEvents || (try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)) != nil {
            core = context.channel._channelCore
            socket = SocketWriter(context.channel)
            if socket == nil { hub.noteNoDirectWrites() }
        }
        if !framing.preamble.isEmpty { writePaced(ByteBuffer(bytes: framing.preamble)) }
        guard core != nil, hub.admit(self) else {
            close(code: CloseCode.tryAgainLater, reason: "try again later", grace: .seconds(1))
            return
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        hub.removed(self)
        channel = nil
        core = nil
        socket = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        socket = nil  // closed: the number may soon name another connection
        hub.removed(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard framing == .webSocket else { return }  // SSE: the request is read; nothing after it matters
        let frame = unwrapInboundIn(data)
        hub.heard(self)
        guard !closing || frame.opcode == .connectionClose else { return }
        switch frame.opcode {
        case .text where frame.fin:
            if frame.unmaskedData.readableBytesView.elementsEqual("ping".utf8) { reply(StreamClientHandler.pong) }
        case .ping:
            reply(ByteBuffer(bytes: WebSocketWire.frame(.pong, payload: Array(frame.unmaskedData.readableBytesView.prefix(125)))))
        case .connectionClose:
            if closing {
                context.close(promise: nil)  // the answer to our own close: done
            } else {
                var payload = frame.unmaskedData
                close(code: payload.readInteger(as: UInt16.self) ?? CloseCode.normal, reason: "", grace: .seconds(2))
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
    var isWritable: Bool { !closing && core != nil && channel?.isWritable == true }

    /// Sends live frames (one `send` when NIO holds nothing of ours, else queued and flushed behind what it holds);
    /// false when that left the queue over its bound (the hub then asks the registry whether this is a slow
    /// consumer). A closing client takes nothing and reports no trouble.
    func write(_ buffer: ByteBuffer) -> Bool {
        guard !closing else { return true }
        let sent = socket?.write(buffer) { (try? channel?.syncOptions?.getOption(.bufferedWritableBytes)) == 0 } ?? 0
        guard sent != buffer.readableBytes, let core else { return true }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: max(0, sent))
        core.write0(NIOAny(rest), promise: nil)
        core.flush0()
        return channel?.isWritable ?? true
    }

    /// Queues a frame without judging the queue: replay and first frames, written only while `isWritable`.
    func writePaced(_ buffer: ByteBuffer) {
        guard !closing, let core else { return }
        socket?.queuedInNIO = true
        core.write0(NIOAny(buffer), promise: nil)
    }

    /// Sends what `writePaced` queued.
    func flush() {
        core?.flush0()
    }

    /// A protocol ping or an SSE keep-alive comment (the registry decided this client is idle). Nothing answers
    /// a comment, so an SSE client counts as heard once it is written: one that cannot be written is left to the
    /// queue bound and TCP, never to the ping timeout.
    func sendPing() {
        reply(StreamClientHandler.pings[framing.rawValue])
        if framing == .serverSentEvents { hub.heard(self) }
    }

    private func reply(_ buffer: ByteBuffer) {
        writePaced(buffer)
        flush()
    }

    /// Sends a close frame (SSE: nothing, the response just ends) behind what is queued, then closes once it is
    /// written or after `grace`.
    func close(code: UInt16, reason: String, grace: TimeAmount) {
        guard !closing, let channel else { return }
        closing = true
        let cut = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        guard let core else {
            channel.close(promise: nil)
            return
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        core.write0(NIOAny(ByteBuffer(bytes: framing.closing(code: code, reason: reason))), promise: written)
        core.flush0()
        written.futureResult.whenComplete { _ in
            cut.cancel()
            channel.close(promise: nil)
        }
    }
}
