import ElpyfiCore
import ElpyfiStream
import NIOCore

/// One accepted notification as every loop writes it: numbered and framed once (`RelayedEvent`), and its
/// bytes in one `ByteBuffer` whose storage all loops and all their clients share (it is never mutated).
struct SharedEvent: Sendable {
    /// The numbered event (its frame also goes into each loop's replay ring).
    let event: RelayedEvent
    /// The frame's bytes, written as they are to every recipient's socket.
    let buffer: ByteBuffer

    init(_ event: RelayedEvent) {
        self.event = event
        buffer = ByteBuffer(bytes: event.frame)
    }
}

/// The sidecar's event loops, one `StreamHub` each: the listener thread hands every loop each event once,
/// and a new connection is served by the hub of the loop NIO gave it (round-robin across the group).
final class StreamHubs: Sendable {
    /// One per event loop (`ELPYFI_STREAM_THREADS`).
    let hubs: [StreamHub]
    /// The counters every hub and the listener write, summed on read.
    let stats: StreamStats
    private let byLoop: [ObjectIdentifier: StreamHub]

    /// A hub per loop of `group`.
    init(group: EventLoopGroup, gate: UpgradeGate, config: Config) {
        let loops = Array(group.makeIterator())
        let stats = StreamStats(loopCount: loops.count)
        self.stats = stats
        hubs = loops.enumerated().map { index, loop in
            StreamHub(loop: loop, gate: gate, config: config, stats: stats, counters: stats.loops[index])
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
