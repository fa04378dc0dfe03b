import ElpyfiCore
import ElpyfiStream
import NIOCore

/// The sidecar's event loops, one `StreamHub` each: the listener thread hands every loop each event once,
/// and a new connection is served by the hub of the loop NIO gave it (round-robin across the group).
///
/// Events reach the loops numbered once (`RelayedEvent`); each loop frames them once (`FrameCache`).
/// What the hubs share is built here: the gate, LISTEN's state and position (`sequencer`), the counters.
final class StreamHubs: Sendable {
    /// One per event loop (`ELPYFI_STREAM_THREADS`). Assigned once, at the end of `init` (each hub reads what it
    /// shares from `self`), and only read afterwards: hence `nonisolated(unsafe)`.
    private(set) nonisolated(unsafe) var hubs: [StreamHub] = []
    /// Decides every request before any upgrade.
    let gate: UpgradeGate
    /// LISTEN's state and the stream position: written by the listener thread, read by every hub.
    let sequencer = EventSequencer()
    /// The counters every hub and the listener write, summed on read.
    let stats: StreamStats
    /// Events handed to the loops and not yet relayed (each batch counted once per loop).
    let backlog: DeliveryBacklog
    /// The Prometheus figures over `stats`, shared by every hub; nil when `ELPYFI_METRICS=0`.
    let metrics: StreamMetrics?

    /// A hub per loop of `group`.
    init(group: EventLoopGroup, gate: UpgradeGate, config: Config) {
        let loops = Array(group.makeIterator())
        self.gate = gate
        stats = StreamStats(loopCount: loops.count)
        backlog = DeliveryBacklog(limit: 4096 * loops.count)
        metrics = config.metricsEnabled
            ? StreamMetrics(stats: stats, sequencer: sequencer, startedAtMilliseconds: Moment.now().unixMilliseconds) : nil
        hubs = loops.enumerated().map { StreamHub(loop: $1, shared: self, counters: stats.loops[$0], config: config) }
    }

    /// The hub that owns the connections of `loop`.
    func hub(for loop: EventLoop) -> StreamHub {
        // Every channel of the group runs on one of its loops; the fallback is unreachable.
        hubs.first { $0.loop === loop } ?? hubs[0]
    }

    /// Runs `body` on every hub's own loop (in hub order; each loop keeps the order of what it is handed).
    func broadcast(_ body: @escaping @Sendable (StreamHub) -> Void) {
        for hub in hubs { hub.loop.execute { body(hub) } }
    }

    /// Every second on the first loop: after most clients have left, malloc's free pages go back to the system
    /// (`MemoryTrimPolicy`), so the sidecar's RSS returns near its idle size.
    func startMemoryTrim() {
        let loop = hubs[0].loop
        // The policy's state belongs to this task, on the first loop (the box checks that it is only touched there).
        let policy = NIOLoopBoundBox.makeBoxSendingValue(MemoryTrimPolicy(), eventLoop: loop)
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [stats] _ in
            guard policy.value.shouldTrim(clients: stats.clients) else { return }
            #if os(Linux)
            _ = glibcMallocTrim(0)
            #endif
        }
    }

    /// Posts `news` to every hub, in hub order (each keeps the order of what it is posted).
    func post(_ news: ListenerNews<RelayedEvent>) {
        for hub in hubs { hub.post(news) }
    }

    /// Completes once every hub has closed its clients after `shutdown`.
    func waitUntilFinished() {
        for hub in hubs { try? hub.finished.futureResult.wait() }
    }

    /// Stop accepting (the server channel), then every hub closes its clients with 1001.
    func shutdown(server: Channel) {
        server.close(promise: nil)
        broadcast { $0.beginShutdown() }
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)`: Swift's Glibc module does not export `<malloc.h>`, and one call does
/// not justify a C target of its own; the signature is plain C (size_t, int).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
