/// The recent events of the current epoch, for `?since=&epoch=` resumes.
///
/// Keeps at least `minimumEvents` events *and* everything younger than
/// `minimumSeconds`: an event leaves only when both are exceeded (docs/CONTRACT.md:
/// "at least 10,000 events or 15 minutes"). `maximumBytes` is a safety cap so
/// a burst of large events cannot exhaust memory; it still holds 10,000 events
/// of the 8000-byte NOTIFY maximum.
public struct ReplayRing: Sendable {
    /// How much the ring keeps.
    public struct Limits: Sendable, Equatable {
        /// Events always kept (`ELPYFI_STREAM_RING_EVENTS`).
        public var minimumEvents: Int
        /// Seconds always kept (`ELPYFI_STREAM_RING_SECONDS`).
        public var minimumSeconds: Int
        /// Frame bytes never exceeded, whatever the two minimums say.
        public var maximumBytes: Int

        /// `ELPYFI_STREAM_RING_EVENTS` (10000), `ELPYFI_STREAM_RING_SECONDS` (900), and a 128 MiB cap.
        public init(minimumEvents: Int = 10_000, minimumSeconds: Int = 900, maximumBytes: Int = 128 << 20) {
            self.minimumEvents = minimumEvents
            self.minimumSeconds = minimumSeconds
            self.maximumBytes = maximumBytes
        }
    }

    /// What this ring keeps.
    public let limits: Limits
    /// Entries `storage[start...]` are live; the evicted prefix is dropped in batches once it outgrows an eighth of
    /// the live entries (and 1,024): each batch moves the live entries once, at most 8 moves per evicted event, and
    /// the slots held for nothing stay a small fraction of the ring. Dropping only at half (the rule before) let
    /// them reach a whole ring's worth, 15 minutes of slots and route strings, which the 30-minute soak read as growth.
    private var storage: [RelayedEvent] = []
    private var start = 0
    /// Bytes of messages held.
    public private(set) var byteCount = 0

    /// An empty ring.
    public init(limits: Limits) { self.limits = limits }

    /// Events held.
    public var count: Int { storage.count - start }
    /// The oldest seq held, nil when empty.
    public var firstSeq: Int? { count > 0 ? storage[start].seq : nil }

    /// Adds the newest event (seqs must rise by one) and evicts what the limits allow.
    public mutating func append(_ event: RelayedEvent) {
        storage.append(event)
        byteCount += event.message.count
        evict(now: event.receivedAt.monotonicNanoseconds)
    }

    /// Forgets everything (a new epoch begins).
    public mutating func removeAll() {
        storage.removeAll()
        start = 0
        byteCount = 0
    }

    /// The events after `seq`, oldest first; nil when some of them are no longer held.
    public func entries(after seq: Int, currentSeq: Int) -> ArraySlice<RelayedEvent>? {
        if seq >= currentSeq { return storage[storage.count...] }
        guard let first = firstSeq, seq >= first - 1 else { return nil }
        return storage[(start + (seq - first + 1))...]
    }

    private mutating func evict(now: UInt64) {
        let minimumAge = UInt64(limits.minimumSeconds) * 1_000_000_000
        while count > 0 {
            let oldest = storage[start]
            let overCount = count > limits.minimumEvents && now &- oldest.receivedAt.monotonicNanoseconds > minimumAge
            let overBytes = byteCount > limits.maximumBytes && count > 1
            guard overCount || overBytes else { break }
            byteCount -= oldest.message.count
            // The evicted event's bytes go now: the slot itself waits for the next compaction, which can be a
            // whole ring's worth of events later (the 30-minute soak saw RSS grow 15 minutes past a full ring).
            storage[start].message = []
            start += 1
        }
        if start > 1024 && start * 8 > count {
            storage.removeFirst(start)
            start = 0
        }
    }
}
