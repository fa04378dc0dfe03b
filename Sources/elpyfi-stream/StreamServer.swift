import ElpyfiStream
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The listening socket and each connection's pipeline.
enum StreamServer {
    /// Client frames the sidecar accepts are tiny (`ping`, pongs, close); anything bigger is refused with 1009.
    static let maximumClientFrameBytes = 4096

    /// Binds `host:port` and serves HTTP/1.1 with WebSocket upgrades; NIO spreads the accepted connections
    /// over `group`'s loops (round-robin) and each is served by its loop's hub.
    static func bind(host: String, port: Int, group: EventLoopGroup, hubs: StreamHubs, queueBytes: Int) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept every pending connection a wake-up finds (NIO's default is 4): each loop iteration also writes
            // the fan-out to every client, so under a connect storm while events flow 4 per iteration let upgrades
            // wait tens of seconds on a busy machine (Tests/EndToEnd/test_stream_connect_storm.py).
            .serverChannelOption(.maxMessagesPerRead, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // The slow-consumer bound: past `high` queued bytes the channel turns unwritable and is closed with 1008.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: queueBytes / 2, high: queueBytes))
            // Small reads: clients send only pings and pongs, so idle connections hold little memory.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 16384))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let hub = hubs.hub(for: channel.eventLoop)
                    let verdict = UpgradeVerdict()
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader(hub, verdict)], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(hub: hub, verdict: verdict),
                                                                   name: HTTPRequestHandler.name)
                }
            }
            .bind(host: host, port: port)
            .wait()
    }

    /// The upgrader of one connection: decides with its loop's hub once, and hands the subscription on.
    private static func upgrader(_ hub: StreamHub, _ verdict: UpgradeVerdict) -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: maximumClientFrameBytes,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // Refusals return nil here and reach HTTPRequestHandler, which answers the kept verdict as JSON.
                let outcome = hub.decide(head)
                verdict.keep(outcome)
                guard case .upgrade = outcome else { return channel.eventLoop.makeSucceededFuture(nil) }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    channel.pipeline.syncOperations.removeHandler(name: HTTPRequestHandler.name, promise: nil)
                    guard case .upgrade(let subscription)? = verdict.take() else {
                        channel.close(promise: nil)
                        return
                    }
                    try channel.pipeline.syncOperations.addHandler(StreamClientHandler(hub: hub, subscription: subscription))
                }
            }
        )
    }
}
