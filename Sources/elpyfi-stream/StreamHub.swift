import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore
import Postgres

/// Owns the `ClientRegistry` on the one event loop and performs the actions it returns.
///
/// Every method runs on `loop` (the listener thread hops here with `loop.execute`), so the
/// registry needs no lock. That is what `@unchecked Sendable` rests on, so each entry point
/// checks it (`preconditionInEventLoop`: one thread-id comparison, kept in release builds).
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
    private var server: Channel?
    private var retryAfterSeconds = 1
    private var shuttingDown = false
    private var pendingFlush: [WebSocketClientHandler] = []
    private var replayInProgress = false
    private let log = Log(component: "stream")
    /// How long a closing connection may take to flush its close frame before it is cut.
    let closeGrace: TimeAmount
    /// Ring bytes written per replay step: a fraction of the queue bound, so a paused replay overshoots
    /// the watermark by little, yet big enough that a flush carries many frames.
    let replayStepBytes: Int

    init(loop: EventLoop, gate: UpgradeGate, config: Config) {
        self.loop = loop
        self.gate = gate
        metrics = config.metricsEnabled ? StreamMetrics(startedAtMilliseconds: Moment.now().unixMilliseconds) : nil
        finishedPromise = loop.makePromise()
        finished = finishedPromise.futureResult
        registry = ClientRegistry(
            ring: ReplayRing.Limits(minimumEvents: config.streamRingEvents, minimumSeconds: config.streamRingSeconds),
            pingSeconds: config.streamPingSeconds, pingTimeoutSeconds: config.streamPingTimeoutSeconds)
        closeGrace = .seconds(Int64(max(5, config.streamPingSeconds)))
        replayStepBytes = max(1, min(64 << 10, config.streamClientQueueBytes / 8))
    }

    /// The server socket is bound: start the ping/drop clock.
    func started(server: Channel) {
        loop.preconditionInEventLoop()
        self.server = server
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            perform(registry.tick(now: .now()))
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
        return StreamHealth.response(registry, retryAfterSeconds: retryAfterSeconds, ifNoneMatch: ifNoneMatch)
    }

    // MARK: Listener side

    /// LISTEN is live: new epoch; connected clients get `stream.resumed`.
    func listenerUp() {
        loop.preconditionInEventLoop()
        let epoch = EpochID.random()
        log.info("LISTEN \(PostgresListener.channel) live; epoch \(epoch)")
        perform(registry.listenerUp(epoch: epoch, now: .now()))
        metrics?.listenerUp()
    }

    /// LISTEN is down: refuse new clients, health 503, `Retry-After` the next attempt.
    func listenerDown(retryAfterMilliseconds: Int) {
        loop.preconditionInEventLoop()
        registry.listenerDown()
        metrics?.listenerDown()
        listenerRetrying(retryAfterMilliseconds: retryAfterMilliseconds)
    }

    /// The next connection attempt is this far away.
    func listenerRetrying(retryAfterMilliseconds: Int) {
        loop.preconditionInEventLoop()
        retryAfterSeconds = max(1, (retryAfterMilliseconds + 999) / 1000)
    }

    /// A batch of notifications in NOTIFY order: relay the good ones, count the rest.
    func deliver(_ batch: [Result<ScannedEvent, PayloadRejection>]) {
        loop.preconditionInEventLoop()
        let now = Moment.now()
        var relayed = 0
        for item in batch {
            switch item {
            case .success(let event):
                if let action = registry.relay(event, now: now) { perform(action, flush: false) }
                relayed += 1
            case .failure(let rejection):
                registry.payloadDropped()
                log.warning("dropped a notification: \(rejection)")
            }
        }
        flushPending()
        metrics?.notified(events: relayed, dropped: batch.count - relayed, atUnixMilliseconds: now.unixMilliseconds)
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
            metrics?.clientLeft(client.subscription.filter.kind)
        }
    }

    /// A live write left the client's queue over `ELPYFI_STREAM_CLIENT_QUEUE_BYTES`: close it with
    /// 1008, unless it is replaying (then the full queue only pauses the replay).
    func queueFull(_ client: WebSocketClientHandler) {
        loop.preconditionInEventLoop()
        guard let id = client.id, let action = registry.slowConsumer(id) else { return }
        log.warning("closed a slow consumer (queue over its bound)")
        metrics?.slowConsumerClosed()
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
        log.info("shutting down: closing \(registry.clientCount) clients with 1001")
        server?.close(promise: nil)
        var closing: [EventLoopFuture<Void>] = []
        for case .close(let clients, let code, let reason) in registry.shutdown() {
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

    private func perform(_ action: ClientRegistry<WebSocketClientHandler>.Action, flush: Bool = true) {
        switch action {
        case .send(let frame, let clients):
            // Serialised once: every client's write shares this one buffer's storage.
            let buffer = ByteBuffer(bytes: frame)
            for client in clients { client.write(buffer) }
            if flush { clients.forEach { $0.flush() } } else { pendingFlush += clients }
        case .ping(let clients):
            clients.forEach { $0.sendPing() }
        case .close(let clients, let code, let reason):
            clients.forEach { $0.close(code: code, reason: reason, grace: closeGrace) }
        }
    }

    private func flushPending() {
        for client in pendingFlush { client.flush() }
        pendingFlush.removeAll(keepingCapacity: true)
    }
}
