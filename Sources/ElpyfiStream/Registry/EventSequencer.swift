import Synchronization

/// Where the stream stands: the epoch of the live LISTEN session and the last seq numbered in it.
public struct StreamPosition: Sendable, Equatable {
    /// The LISTEN session the seqs belong to.
    public var epoch: EpochID
    /// The last seq numbered (0 before the first event of the epoch).
    public var seq: Int

    /// A position.
    public init(epoch: EpochID, seq: Int) {
        self.epoch = epoch
        self.seq = seq
    }
}

/// One accepted notification, numbered once for every event loop: its JSON (the engine's object plus `"seq"`),
/// which each loop frames once per `Framing` and every recipient of that framing writes.
public struct RelayedEvent: Sendable, Equatable {
    /// The event's number in its epoch.
    public var seq: Int
    /// What routing needs.
    public var route: EventRoute
    /// The relayed JSON text.
    public var message: [UInt8]
    /// When the notification was received.
    public var receivedAt: Moment

    /// `event` numbered `seq`.
    public init(_ event: ScannedEvent, seq: Int, receivedAt: Moment) {
        self.seq = seq
        route = event.route
        message = event.json(seq: seq)
        self.receivedAt = receivedAt
    }
}

/// The one owner of the stream's position and of LISTEN's state: the listener thread numbers events and
/// reports LISTEN up and down here; `/stream/health`, `/metrics` and the upgrade gate read it from any thread.
///
/// Why numbering lives here and not in each loop's registry: numbering once (on the listener thread) is what
/// lets every loop agree on every `seq`. A loop's registry only records what it has relayed.
public final class EventSequencer: Sendable {
    private struct State {
        var position: StreamPosition?
        var retryAfterSeconds = 1
    }

    private let state = Mutex(State())

    /// LISTEN not yet live.
    public init() {}

    /// The epoch and last seq; nil while LISTEN is down (and before it first comes up).
    public var position: StreamPosition? { state.withLock { $0.position } }
    /// True while LISTEN is live.
    public var isListening: Bool { position != nil }
    /// While down: seconds until the next LISTEN attempt (`Retry-After`).
    public var retryAfterSeconds: Int { state.withLock { $0.retryAfterSeconds } }

    /// LISTEN is live: a new epoch begins and seq counts from 1 again.
    public func start(epoch: EpochID) {
        state.withLock { $0.position = StreamPosition(epoch: epoch, seq: 0) }
    }

    /// LISTEN is lost (or still down): nothing is numbered until the next `start`; the next attempt is this far away.
    public func stop(retryAfterMilliseconds: Int) {
        state.withLock {
            $0.position = nil
            $0.retryAfterSeconds = max(1, (retryAfterMilliseconds + 999) / 1000)
        }
    }

    /// `events` numbered in order (one lock for the batch); empty while no epoch is live.
    public func number(_ events: [ScannedEvent], now: Moment) -> [RelayedEvent] {
        guard !events.isEmpty else { return [] }
        return state.withLock { state in
            guard var position = state.position else { return [] }
            defer { state.position = position }
            return events.map { event in
                position.seq += 1
                return RelayedEvent(event, seq: position.seq, receivedAt: now)
            }
        }
    }
}
