import ElpyfiCore
import ElpyfiStream
import NIOCore

/// The sidecar's event loops, one `StreamHub` each: the listener thread hands every loop each event once,
/// and a new connection is served by the hub of the loop NIO gave it (round-robin across the group).
///
/// Events reach the loops numbered and framed once (`RelayedEvent`); each loop wraps the frame in a `ByteBuffer`
/// of its own that all its clients share: one small copy per loop per event, so that the storage's reference
/// count, touched by every write, never bounces between cores (one buffer shared by two loops showed up as
/// 12 % of the sidecar's CPU in `swift_retain`).
final class StreamHubs: Sendable {
    /// One per event loop (`ELPYFI_STREAM_THREADS`).
    let hubs: [StreamHub]
    /// The counters every hub and the listener write, summed on read.
    let stats: StreamStats
    /// Events handed to the loops and not yet relayed (each batch counted once per loop).
    let backlog: DeliveryBacklog
    /// The Prometheus figures over `stats`, shared by every hub; nil when `ELPYFI_METRICS=0`.
    let metrics: StreamMetrics?
    private let byLoop: [ObjectIdentifier: StreamHub]

    /// A hub per loop of `group`.
    init(group: EventLoopGroup, gate: UpgradeGate, config: Config) {
        let loops = Array(group.makeIterator())
        let stats = StreamStats(loopCount: loops.count)
        let backlog = DeliveryBacklog(limit: 4096 * loops.count)
        let metrics = config.metricsEnabled ? StreamMetrics(stats: stats, startedAtMilliseconds: Moment.now().unixMilliseconds) : nil
        self.stats = stats
        self.backlog = backlog
        self.metrics = metrics
        hubs = loops.enumerated().map { index, loop in
            StreamHub(loop: loop, gate: gate, config: config, stats: stats, counters: stats.loops[index], backlog: backlog,
                      metrics: metrics)
        }
        var byLoop: [ObjectIdentifier: StreamHub] = [:]
        for hub in hubs { byLoop[ObjectIdentifier(hub.loop)] = hub }
        self.byLoop = byLoop
    }

    /// The hub that owns the connections of `loop`.
    func hub(for loop: EventLoop) -> StreamHub {
        // Every channel of the group runs on one of its loops; the fallback is unreachable.
        byLoop[ObjectIdentifier(loop)] ?? hubs[0]
    }

    /// Runs `body` on every hub's own loop (in hub order; each loop keeps the order of what it is handed).
    func broadcast(_ body: @escaping @Sendable (StreamHub) -> Void) {
        for hub in hubs { hub.loop.execute { body(hub) } }
    }

    /// Every second on the first loop: after most clients have left, malloc's free pages go back to the system
    /// (`MemoryTrimPolicy`), so the sidecar's RSS returns near its idle size.
    func startMemoryTrim() {
        let loop = hubs[0].loop
        let trim = TrimState()
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [stats] _ in
            guard trim.policy.shouldTrim(clients: stats.clients) else { return }
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
        for hub in hubs { try? hub.finished.wait() }
    }

    /// Stop accepting (the server channel), then every hub closes its clients with 1001.
    func shutdown(server: Channel) {
        server.close(promise: nil)
        broadcast { $0.shutdown() }
    }
}

/// The trim policy's state: read and written only by the task on the first loop, hence `@unchecked Sendable`.
private final class TrimState: @unchecked Sendable {
    var policy = MemoryTrimPolicy()
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)`: Swift's Glibc module does not export `<malloc.h>`, and one call does
/// not justify a C target of its own; the signature is plain C (size_t, int).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
