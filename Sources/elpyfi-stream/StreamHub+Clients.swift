import ElpyfiStream
import NIOCore

/// The clients of one loop: admission, liveness, slow consumers and paced replays. The client count is kept here
/// only: up where a client is admitted, down where its connection goes (`counters`, read by health and metrics).
extension StreamHub {
    /// Registers a freshly upgraded client, writes its first frames and starts its replay; false when refused
    /// (LISTEN went down since the upgrade was decided, or shutdown began).
    func admit(_ client: StreamClientHandler) -> Bool {
        loop.preconditionInEventLoop()
        guard !shuttingDown, shared.sequencer.isListening,
              case .admitted(let id, let messages, let replaying) = registry.admit(client, subscription: client.subscription, now: .now()),
              let position = registry.position
        else { return false }
        client.id = id
        counters.count(1, client.subscription.filter.kind, client.framing)
        // `connected` and any `stream.gap` both name the position the client starts after.
        for message in messages { client.writePaced(FrameCache.buffer(message, client.framing, id: position)) }
        client.flush()
        if replaying { continueReplay(client) }
        return true
    }

    /// Any frame from the client.
    func heard(_ client: StreamClientHandler) {
        loop.preconditionInEventLoop()
        if let id = client.id { registry.heard(from: id, now: .now()) }
    }

    /// The connection closed (reported twice, by `channelInactive` and `handlerRemoved`: counted once).
    func removed(_ client: StreamClientHandler) {
        loop.preconditionInEventLoop()
        guard let id = client.id else { return }
        client.id = nil
        registry.remove(id)
        counters.count(-1, client.subscription.filter.kind, client.framing)
    }

    /// A live write left the client's queue over `ELPYFI_STREAM_CLIENT_QUEUE_BYTES`: close it with
    /// 1008 (SSE: end its response), unless it is replaying (then the full queue only pauses the replay).
    func queueFull(_ client: StreamClientHandler) {
        loop.preconditionInEventLoop()
        guard let id = client.id, let action = registry.slowConsumer(id) else { return }
        log.warning("closed a slow consumer (queue over its bound)")
        counters.slowConsumersClosed.add(1, ordering: .relaxed)
        perform([action])
    }

    /// The client's queue drained below its low watermark: carry on with its replay, if any.
    func writable(_ client: StreamClientHandler) {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return }
        continueReplay(client)
    }

    /// Writes ring messages to a replaying client while its channel is writable. Stops when it is not
    /// (`writable` resumes), when the cursor reaches the head (live from then on), or at a gap.
    private func continueReplay(_ client: StreamClientHandler) {
        // A flush that drains the socket at once fires `channelWritabilityChanged` inside this loop;
        // the loop already goes on while writable, so the nested call returns instead of recursing.
        guard !replayInProgress, let id = client.id, let position = registry.position else { return }
        replayInProgress = true
        defer { replayInProgress = false }
        while client.isWritable {
            guard let step = registry.continueReplay(id, maxBytes: replayStepBytes, now: .now()) else { return }
            switch step {
            case .messages(let events):
                for event in events {
                    client.writePaced(FrameCache.buffer(event.message, client.framing, id: StreamPosition(epoch: position.epoch, seq: event.seq)))
                }
                client.flush()
            case .gap(let message):
                client.writePaced(FrameCache.buffer(message, client.framing, id: position))
                client.flush()
                return
            case .caughtUp:
                return
            }
        }
    }
}
