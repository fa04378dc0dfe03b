/// One accepted notification, numbered and framed once for every event loop.
///
/// Built by `EventSequencer` on the listener thread; each loop's `ClientRegistry` keeps it in its
/// ring and picks recipients, and all of them write the same frame bytes.
public struct RelayedEvent: Sendable, Equatable {
    /// The event's number in its epoch.
    public var seq: Int
    /// What routing needs.
    public var route: EventRoute
    /// The encoded WebSocket text frame (the engine's object plus `"seq"`).
    public var frame: [UInt8]
    /// When the notification was received.
    public var receivedAt: Moment

    /// An event.
    public init(seq: Int, route: EventRoute, frame: [UInt8], receivedAt: Moment) {
        self.seq = seq
        self.route = route
        self.frame = frame
        self.receivedAt = receivedAt
    }

    /// `event` numbered `seq` and framed.
    public init(_ event: ScannedEvent, seq: Int, receivedAt: Moment) {
        self.init(seq: seq, route: event.route, frame: WebSocketWire.text(event.json(seq: seq)), receivedAt: receivedAt)
    }
}

/// Numbers accepted notifications within an epoch: the one place `seq` is assigned.
///
/// Why here and not in each loop's registry: with one registry per event loop, numbering and
/// framing once (on the listener thread) is what lets every loop share one frame's bytes and
/// agree on every `seq`. Pure: the epoch and the time are passed in.
public struct EventSequencer: Sendable {
    /// The current epoch; nil while LISTEN is down.
    public private(set) var epoch: EpochID?
    /// The last seq assigned in this epoch (0 before the first event).
    public private(set) var seq = 0

    /// A sequencer with no epoch yet.
    public init() {}

    /// LISTEN is live: a new epoch begins and seq counts from 1 again.
    public mutating func start(epoch newEpoch: EpochID) {
        epoch = newEpoch
        seq = 0
    }

    /// LISTEN is lost: nothing is numbered until the next `start`.
    public mutating func stop() {
        epoch = nil
    }

    /// The next seq for `event`, framed; nil while no epoch is live.
    public mutating func number(_ event: ScannedEvent, now: Moment) -> RelayedEvent? {
        guard epoch != nil else { return nil }
        seq += 1
        return RelayedEvent(event, seq: seq, receivedAt: now)
    }
}
