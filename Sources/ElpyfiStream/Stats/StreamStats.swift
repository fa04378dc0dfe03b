import Synchronization

/// The sidecar's counters, shared by its event loops and the listener thread: one place to read them
/// (`/stream/health`, `StreamMetrics` and the memory-trim task).
///
/// Each event loop writes only its own `LoopCounters` (no contention between loops); readers sum
/// them. Values are relaxed atomics: a reader may see one loop a moment ahead of another, which a
/// health answer or a scrape tolerates.
public final class StreamStats: Sendable {
    /// What one event loop counts.
    public final class LoopCounters: Sendable {
        /// Clients admitted on this loop and not yet gone, per `StreamKind` and `Framing` (`slot`): counted where
        /// the loop admits a client and where it sees it go (`count`), nowhere else.
        private let counts = (0..<StreamKind.allCases.count * Framing.allCases.count).map { _ in Counter() }
        /// Clients this loop closed with 1008 `slow consumer`.
        public let slowConsumersClosed = Atomic<Int>(0)

        /// A client of `kind` over `framing` was admitted (+1) or is gone (-1).
        public func count(_ delta: Int, _ kind: StreamKind, _ framing: Framing) {
            counts[LoopCounters.slot(kind, framing)].value.add(delta, ordering: .relaxed)
        }

        /// Clients of `kind` over `framing` on this loop now.
        public func clients(_ kind: StreamKind, _ framing: Framing) -> Int {
            counts[LoopCounters.slot(kind, framing)].value.load(ordering: .relaxed)
        }

        private static func slot(_ kind: StreamKind, _ framing: Framing) -> Int {
            framing.rawValue * StreamKind.allCases.count + StreamKind.allCases.firstIndex(of: kind)!
        }
    }

    /// One atomic count (`Atomic` cannot sit in an array itself).
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// One entry per event loop, in loop order.
    public let loops: [LoopCounters]
    /// Payloads dropped as malformed (listener thread).
    public let droppedPayloads = Atomic<Int>(0)
    /// Notifications accepted and numbered (listener thread).
    public let events = Atomic<Int>(0)
    /// Wall-clock milliseconds of the last accepted notification, 0 before the first.
    public let lastEventUnixMilliseconds = Atomic<Int64>(0)
    /// LISTEN connections re-established after a loss.
    public let listenReconnects = Atomic<Int>(0)

    /// Counters for `loopCount` event loops.
    public init(loopCount: Int) {
        loops = (0..<max(1, loopCount)).map { _ in LoopCounters() }
    }

    /// Clients of `kind` over `framing` on every loop right now.
    public func clients(_ kind: StreamKind, _ framing: Framing) -> Int { loops.reduce(0) { $0 + $1.clients(kind, framing) } }
    /// Clients of `kind` on every loop right now, both transports.
    public func clients(_ kind: StreamKind) -> Int { Framing.allCases.reduce(0) { $0 + clients(kind, $1) } }
    /// Clients on every loop right now.
    public var clients: Int { StreamKind.allCases.reduce(0) { $0 + clients($1) } }

    /// Clients closed with 1008 `slow consumer` on every loop since start.
    public var slowConsumersClosed: Int { loops.reduce(0) { $0 + $1.slowConsumersClosed.load(ordering: .relaxed) } }

    /// When the engine last notified (wall clock); nil before it has.
    public var lastEventAt: Moment? {
        let last = lastEventUnixMilliseconds.load(ordering: .relaxed)
        return last == 0 ? nil : Moment(monotonicNanoseconds: 0, unixMilliseconds: last)
    }
}
