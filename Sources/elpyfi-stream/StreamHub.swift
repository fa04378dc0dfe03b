import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore
import Postgres

/// Owns one event loop's `ClientRegistry` (the clients NIO placed on this loop) and performs the actions it returns.
///
/// There is one hub per loop (`StreamHubs`). Every method runs on `loop` (the listener thread hops here
/// with `loop.execute`), so the registry needs no lock; what other threads read goes through `counters`.
/// That is what `@unchecked Sendable` rests on, so each entry point checks it (`preconditionInEventLoop`:
/// one thread-id comparison, kept in release builds).
///
/// Resumes are paced: a replaying client is written ring frames a step at a time while its
/// channel is writable, and again from `channelWritabilityChanged`; the registry decides, the hub writes.
final class StreamHub: @unchecked Sendable {
    let loop: EventLoop
    let gate: UpgradeGate
    /// Prometheus figures (StreamHub+Metrics.swift); nil when `ELPYFI_METRICS=0`.
    let metrics: StreamMetrics?
    /// Completed once shutdown has closed every client.
    let finished: EventLoopFuture<Void>

    private let finishedPromise: EventLoopPromise<Void>
    private var registry: ClientRegistry<WebSocketClientHandler>
    private var retryAfterSeconds = 1
    private var shuttingDown = false
    private var pendingFlush: [WebSocketClientHandler] = []
    /// The totals `/stream/health` reports (all loops).
    private let stats: StreamStats
    /// This loop's counters (written here only).
    private let counters: StreamStats.LoopCounters
    private var replayInProgress = false
    /// What the listener thread posted for this loop (`post`), drained all at once.
    private let inbox = LoopInbox<RelayedEvent>()
    private let backlog: DeliveryBacklog
    private let log = Log(component: "stream")
    /// How long a closing connection may take to flush its close frame before it is cut.
    let closeGrace: TimeAmount
    /// Ring bytes written per replay step: a fraction of the queue bound, so a paused replay overshoots
    /// the watermark by little, yet big enough that a flush carries many frames.
    let replayStepBytes: Int

    init(loop: EventLoop, gate: UpgradeGate, config: Config, stats: StreamStats, counters: StreamStats.LoopCounters,
         backlog: DeliveryBacklog, metrics: StreamMetrics?) {
        self.loop = loop
        self.backlog = backlog
        self.gate = gate
        self.stats = stats
        self.counters = counters
        self.metrics = metrics
        finishedPromise = loop.makePromise()
        finished = finishedPromise.futureResult
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
            countClients()
        }
    }

    // MARK: HTTP side

    /// The gate's verdict with the current LISTEN state.
    func decide(_ request: StreamRequest) -> StreamOutcome {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return .refuse(.streamUnavailable(retryAfterSeconds: 1)) }
        return gate.decide(request, isListening: registry.isListening, retryAfterSeconds: retryAfterSeconds)
    }

    /// `/stream/health`.
    func health(ifNoneMatch: String?) -> APIResponse {
        loop.preconditionInEventLoop()
        return StreamHealth.response(stats.snapshot(isListening: registry.isListening),
                                     retryAfterSeconds: retryAfterSeconds, ifNoneMatch: ifNoneMatch)
    }

    // MARK: Listener side

    /// From the listener thread (any thread): queues `news` and wakes the loop unless a drain is already pending.
    func post(_ news: ListenerNews<RelayedEvent>) {
        guard inbox.post(news) else { return }
        loop.execute { [self] in drainInbox() }
    }

    /// Everything the listener posted since the last drain, in order, queued event batches merged (`LoopInbox`).
    private func drainInbox() {
        for news in inbox.take() {
            switch news {
            case .events(let events):
                deliver(events)
                backlog.delivered(events.count)
                if let metrics, let first = events.first {
                    let waited = Moment.now().monotonicNanoseconds &- first.receivedAt.monotonicNanoseconds
                    metrics.relayed(count: events.count, nanoseconds: waited)
                }
            case .up(let epoch):
                listenerUp(epoch: epoch)
            case .down(let milliseconds):
                listenerDown(retryAfterMilliseconds: milliseconds)
            case .retrying(let milliseconds):
                listenerRetrying(retryAfterMilliseconds: milliseconds)
            }
        }
    }

    /// LISTEN is live: new epoch (the same on every loop); connected clients get `stream.resumed`.
    private func listenerUp(epoch: EpochID) {
        loop.preconditionInEventLoop()
        perform(registry.listenerUp(epoch: epoch, now: .now()))
    }

    /// LISTEN is down: refuse new clients, health 503, `Retry-After` the next attempt.
    private func listenerDown(retryAfterMilliseconds: Int) {
        loop.preconditionInEventLoop()
        registry.listenerDown()
        listenerRetrying(retryAfterMilliseconds: retryAfterMilliseconds)
    }

    /// The next connection attempt is this far away.
    private func listenerRetrying(retryAfterMilliseconds: Int) {
        loop.preconditionInEventLoop()
        retryAfterSeconds = max(1, (retryAfterMilliseconds + 999) / 1000)
    }

    /// A batch of numbered events in NOTIFY order (the listener counted the malformed ones): each frame is
    /// queued behind what each recipient already has, then each recipient is flushed once, so the frames a
    /// client gets from one batch leave in one write (NIO's `writev`).
    private func deliver(_ batch: [RelayedEvent]) {
        loop.preconditionInEventLoop()
        for event in batch {
            guard case .send(_, let clients)? = registry.relay(event) else { continue }
            // This loop's one copy of the frame; every client's write shares its storage.
            let buffer = ByteBuffer(bytes: event.frame)
            for client in clients where client.write(buffer) { queueFlush(client) }
        }
        flushPending()
    }

    // MARK: Clients

    /// Registers a freshly upgraded client, writes its first frames and starts its replay; false when refused.
    func admit(_ client: WebSocketClientHandler, subscription: Subscription) -> Bool {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return false }
        switch registry.admit(client, subscription: subscription, now: .now()) {
        case .refused:
            return false
        case .admitted(let id, let frames, let replaying):
            client.id = id
            countClients()
            metrics?.clientJoined(subscription.filter.kind)
            for frame in frames { client.write(ByteBuffer(bytes: frame)) }
            client.flush()
            if replaying { continueReplay(client) }
            return true
        }
    }

    /// Any frame from the client.
    func heard(_ client: WebSocketClientHandler) {
        loop.preconditionInEventLoop()
        if let id = client.id { registry.heard(from: id, now: .now()) }
    }

    /// The connection closed.
    func removed(_ client: WebSocketClientHandler) {
        loop.preconditionInEventLoop()
        if let id = client.id {
            client.id = nil  // removed is called twice (channelInactive, handlerRemoved): count the departure once
            registry.remove(id)
            countClients()
            metrics?.clientLeft(client.subscription.filter.kind)
        }
    }

    /// A live write left the client's queue over `ELPYFI_STREAM_CLIENT_QUEUE_BYTES`: close it with
    /// 1008, unless it is replaying (then the full queue only pauses the replay).
    func queueFull(_ client: WebSocketClientHandler) {
        loop.preconditionInEventLoop()
        guard let id = client.id, let action = registry.slowConsumer(id) else { return }
        log.warning("closed a slow consumer (queue over its bound)")
        counters.slowConsumersClosed.add(1, ordering: .relaxed)
        countClients()
        perform(action)
    }

    /// The client's queue drained below its low watermark: carry on with its replay, if any.
    func writable(_ client: WebSocketClientHandler) {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return }
        continueReplay(client)
    }

    /// Writes ring frames to a replaying client while its channel is writable. Stops when it is not
    /// (`writable` resumes), when the cursor reaches the head (live from then on), or at a gap.
    private func continueReplay(_ client: WebSocketClientHandler) {
        // A flush that drains the socket at once fires `channelWritabilityChanged` inside this loop;
        // the loop already goes on while writable, so the nested call returns instead of recursing.
        guard !replayInProgress, let id = client.id else { return }
        replayInProgress = true
        defer { replayInProgress = false }
        while client.isWritable {
            guard let step = registry.continueReplay(id, maxBytes: replayStepBytes, now: .now()) else { return }
            switch step {
            case .frames(let frames):
                for frame in frames { client.writePaced(ByteBuffer(bytes: frame)) }
                client.flush()
            case .gap(let frame):
                client.writePaced(ByteBuffer(bytes: frame))
                client.flush()
                return
            case .caughtUp:
                return
            }
        }
    }

    // MARK: Shutdown

    /// Stop accepting, close every client with 1001, then complete `finished`.
    func shutdown() {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return }
        shuttingDown = true
        if registry.clientCount > 0 { log.info("shutting down: closing \(registry.clientCount) clients with 1001") }
        var closing: [EventLoopFuture<Void>] = []
        let closes = registry.shutdown()
        countClients()
        for case .close(let clients, let code, let reason) in closes {
            for client in clients {
                closing.append(client.closeFuture)
                client.close(code: code, reason: reason, grace: .seconds(2))
            }
        }
        // Clients that do not answer the close in time are cut; either way `finished` completes once.
        let deadline = loop.scheduleTask(in: .seconds(3)) { [self] in finish() }
        EventLoopFuture.andAllComplete(closing, on: loop).whenComplete { [self] _ in
            deadline.cancel()
            finish()
        }
    }

    private var isFinished = false

    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        finishedPromise.succeed()
    }

    // MARK: Performing actions

    private func perform(_ actions: [ClientRegistry<WebSocketClientHandler>.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: ClientRegistry<WebSocketClientHandler>.Action) {
        switch action {
        case .send(let frame, let clients):
            // Control frames (stream.resumed): serialised once, every client's write shares this buffer's storage.
            let buffer = ByteBuffer(bytes: frame)
            for client in clients where client.write(buffer) { queueFlush(client) }
            flushPending()
        case .ping(let clients):
            clients.forEach { $0.sendPing() }
        case .close(let clients, let code, let reason):
            clients.forEach { $0.close(code: code, reason: reason, grace: closeGrace) }
        }
    }

    /// Each client is flushed once per batch, however many frames it was written.
    private func queueFlush(_ client: WebSocketClientHandler) {
        guard !client.flushQueued else { return }
        client.flushQueued = true
        pendingFlush.append(client)
    }

    private func flushPending() {
        for client in pendingFlush {
            client.flushQueued = false
            client.flush()
        }
        pendingFlush.removeAll(keepingCapacity: true)
    }

    /// Publishes this loop's client count (`/stream/health`, metrics, the memory-trim task).
    private func countClients() {
        counters.clients.store(registry.clientCount, ordering: .relaxed)
    }
}
