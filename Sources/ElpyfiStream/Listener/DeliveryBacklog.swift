import Synchronization

/// How many notifications the listener thread has handed to the event loop that it has not yet relayed.
///
/// `EventLoop.execute` queues without bound, so a loop that falls behind (a burst, a stall) would
/// let the listener thread pile batches up in memory. Instead the thread waits while the backlog is
/// full: PostgreSQL keeps undelivered notifications in its own queue (8 GB by default,
/// `pg_notification_queue_usage()`), so waiting loses nothing and keeps NOTIFY order. Dropping
/// was the alternative and is worse: a dropped event never gets a seq, so no client could tell
/// that it missed it, breaking the stream's no-gap promise.
///
/// One producer (the listener thread: `hasRoom` then `added`, once per loop it hands a batch to) and one
/// consumer per event loop (`delivered`, atomic); the producer's check-then-add cannot race another producer.
public final class DeliveryBacklog: Sendable {
    /// Events in flight beyond which the producer waits (one batch bigger than this still goes alone).
    public let limit: Int
    private let pending = Atomic<Int>(0)

    /// A backlog that holds up to `limit` events (default 4096: 32 MiB at the 8000-byte NOTIFY maximum).
    public init(limit: Int = 4096) {
        self.limit = limit
    }

    /// Events handed over and not yet relayed.
    public var count: Int { pending.load(ordering: .acquiring) }

    /// True when `events` more may be handed over now: they fit, or nothing is in flight.
    public func hasRoom(for events: Int) -> Bool {
        let current = count
        return current == 0 || current + events <= limit
    }

    /// The producer handed `events` to the loop.
    public func added(_ events: Int) {
        pending.add(events, ordering: .releasing)
    }

    /// The loop relayed `events`.
    public func delivered(_ events: Int) {
        pending.subtract(events, ordering: .releasing)
    }
}
