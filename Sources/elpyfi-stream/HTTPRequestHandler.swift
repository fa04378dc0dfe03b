import ElpyfiCore
import ElpyfiStream
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Every plain HTTP request: `/stream/health`, an SSE request the gate admitted (handed to a `StreamClientHandler`),
/// and the JSON refusals of upgrades the gate turned down
/// (401/403/400/404/405/426/503), answered before any socket is upgraded. An upgrade's verdict comes from the
/// upgrader (`UpgradeVerdict`): the gate runs once per request.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The pipeline name, so the upgrade can remove this handler.
    static let name = "elpyfi-http"

    private let hub: StreamHub
    private let verdict: UpgradeVerdict
    private var request: HTTPRequestHead?

    init(hub: StreamHub, verdict: UpgradeVerdict) {
        self.hub = hub
        self.verdict = verdict
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // bodies are not read: nothing here takes one
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    /// Answers a whole request: `/metrics`, else the gate's verdict (the upgrader's, when it kept one).
    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let exposition = hub.exposition(for: head) { return answer(exposition, keepAlive: head.isKeepAlive, head, context) }
        switch verdict.take() ?? hub.decide(head) {
        case .health:
            answer(hub.health(ifNoneMatch: head.headers.first(name: "If-None-Match")), keepAlive: head.isKeepAlive, head, context)
        case .refuse(let refusal):
            answer(refusal.response, keepAlive: head.isKeepAlive && !head.isWebSocketUpgrade, head, context)
        case .upgrade(let subscription) where subscription.framing == .serverSentEvents:
            startEvents(subscription, context)
        case .upgrade:
            // The gate said yes but NIO did not upgrade (a malformed WebSocket handshake): nothing to serve here.
            answer(StreamRefusal.streamUnavailable(retryAfterSeconds: 1).response, keepAlive: false, head, context)
        }
    }

    /// The rest of the connection is this one response: the client handler writes its head and events.
    private func startEvents(_ subscription: Subscription, _ context: ChannelHandlerContext) {
        // NIO's pipelining handler would hold reads until a response it never sees ends: without it the
        // client's close is read (and the client counted gone) at once, not at the next failed write.
        let pipeline = context.pipeline.syncOperations
        if let pipelining = try? pipeline.handler(type: HTTPServerPipelineHandler.self) {
            pipeline.removeHandler(pipelining, promise: nil)
        }
        pipeline.removeHandler(context: context, promise: nil)
        do {
            try pipeline.addHandler(StreamClientHandler(hub: hub, subscription: subscription))
        } catch {
            context.close(promise: nil)
        }
    }

    /// A plain (not upgraded) answer; the connection closes after it unless `keepAlive`.
    private func answer(_ response: APIResponse, keepAlive: Bool, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        if let contentType = response.contentType { headers.add(name: "Content-Type", value: contentType) }
        if response.status != 304 { headers.add(name: "Content-Length", value: String(response.body.count)) }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD && !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A refused upgrade is reported as an error and then passed on as a plain request,
        // which `channelRead` answers with the JSON refusal: keep the connection for that.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}
