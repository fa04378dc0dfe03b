import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore

/// Owns one event loop's `ClientRegistry` (the clients NIO placed on this loop) and performs what it returns.
///
/// There is one hub per loop (`StreamHubs`). Every method runs on `loop` (the listener thread hops here through
/// `post`), so the registry needs no lock; what other threads read goes through `counters` and `sequencer`.
/// That is what `@unchecked Sendable` rests on, so each entry point checks it (`preconditionInEventLoop`).
/// Clients (`StreamHub+Clients.swift`), the fan-out (`StreamHub+Delivery.swift`), HTTP answers
/// (`StreamHub+HTTP.swift`) and shutdown (`StreamHub+Shutdown.swift`) are extensions; this file holds the listener's side.
final class StreamHub: @unchecked Sendable {
    let loop: EventLoop
    /// What every hub shares, read from there rather than copied: the gate, LISTEN's one record (`sequencer`), the
    /// totals, the backlog and the metrics. The hubs and their owner live as long as the process.
    let shared: StreamHubs
    /// This loop's counters (written here only).
    let counters: StreamStats.LoopCounters
    let log = Log(component: "stream")
    /// How long a closing connection may take to flush its close frame before it is cut.
    let closeGrace: TimeAmount
    /// Ring bytes written per replay step: a fraction of the queue bound, so a paused replay overshoots
    /// the watermark by little, yet big enough that a flush carries many frames.
    let replayStepBytes: Int
    var registry: ClientRegistry<StreamClientHandler>
    /// Set once by `beginShutdown`: nothing is admitted from then on.
    var shuttingDown = false
    /// Completed once shutdown has closed every client (or cut the ones that did not answer in time).
    let finished: EventLoopPromise<Void>
    var replayInProgress = false
    /// What the listener thread posted for this loop (`post`), drained all at once.
    private let inbox = LoopInbox<RelayedEvent>()
    /// The registry's live clients as of `audiencesGeneration`, by what they receive (`StreamHub+Delivery.swift`).
    var audiences: [(Audience, [StreamClientHandler])] = []
    var audiencesGeneration = -1
    private var warnedNoDirectWrites = false

    init(loop: EventLoop, shared: StreamHubs, counters: StreamStats.LoopCounters, config: Config) {
        self.loop = loop
        self.shared = shared
        self.counters = counters
        finished = loop.makePromise()
        registry = ClientRegistry(
            ring: ReplayRing.Limits(minimumEvents: config.streamRingEvents, minimumSeconds: config.streamRingSeconds),
            pingSeconds: config.streamPingSeconds, pingTimeoutSeconds: config.streamPingTimeoutSeconds)
        closeGrace = .seconds(Int64(max(5, config.streamPingSeconds)))
        replayStepBytes = max(1, min(64 << 10, config.streamClientQueueBytes / 8))
    }

    /// The server socket is bound: start the ping/drop clock.
    func started() {
        loop.preconditionInEventLoop()
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            perform(registry.tick(now: .now()))
        }
    }

    /// From the listener thread (any thread): queues `news` and wakes the loop unless a drain is already pending.
    func post(_ news: ListenerNews<RelayedEvent>) {
        guard inbox.post(news) else { return }
        loop.execute { [self] in drainInbox() }
    }

    /// Everything the listener posted since the last drain, in order, queued event batches merged (`LoopInbox`).
    private func drainInbox() {
        loop.preconditionInEventLoop()
        for news in inbox.take() {
            switch news {
            case .events(let events):
                deliver(events)
                shared.backlog.delivered(events.count)
                if let metrics = shared.metrics, let first = events.first {
                    metrics.relayed(count: events.count, nanoseconds: Moment.now().monotonicNanoseconds &- first.receivedAt.monotonicNanoseconds)
                }
            case .up(let epoch):
                // LISTEN is live: new epoch (the same on every loop); connected clients get `stream.resumed`.
                perform(registry.listenerUp(epoch: epoch, now: .now()))
            }
        }
    }

    /// Performs the registry's actions: control messages are framed once per framing for all recipients.
    /// Their id is the current position (`stream.resumed`: the new epoch's seq 0).
    func perform(_ actions: [ClientRegistry<StreamClientHandler>.Action]) {
        for action in actions {
            switch action {
            case .send(let message, let clients):
                guard let position = registry.position else { continue }
                var frames = FrameCache([message], epoch: position.epoch, seqs: [position.seq])
                for client in clients { _ = client.write(frames.frames(0..<1, client.framing)) }
            case .ping(let clients):
                clients.forEach { $0.sendPing() }
            case .close(let clients, let code, let reason):
                clients.forEach { $0.close(code: code, reason: reason, grace: closeGrace) }
            }
        }
    }

    /// A client whose socket `SocketWriter` could not verify writes through NIO only: correct, but at about ten times
    /// the user-space cost a frame. Said once per loop, so a NIO release that moved its descriptor shows in the log
    /// (the suite's stalled-reader test fails on this line).
    func noteNoDirectWrites() {
        guard !warnedNoDirectWrites else { return }
        warnedNoDirectWrites = true
        log.warning("direct socket writes unavailable (NIO's socket layout not recognised): frames go through NIO")
    }
}
