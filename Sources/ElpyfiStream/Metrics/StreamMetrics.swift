import ElpyfiCore

/// The sidecar's figures, bumped where things happen (hub, listener thread) and read by a scrape.
///
/// Counters are atomics (`CounterBlock.add`): the listener thread and the event loop(s) both write, and
/// nothing here is per client or per frame, so the cost is one atomic add per event or connection.
public final class StreamMetrics: Sendable {
    private enum Slot {
        static let clients = 0  // one per StreamKind, in `allCases` order
        static let listening = 3
        static let listenUps = 4
        static let listenReconnects = 5
        static let events = 6
        static let dropped = 7
        static let slowConsumers = 8
        static let lastEventMilliseconds = 9
        static let relaySumNanoseconds = 10
        static let relayBuckets = 11
    }

    private let block: CounterBlock
    private let buckets: HistogramBuckets

    /// Counters at zero; `startedAtMilliseconds` (Unix ms) stands for the engine's last event until one arrives,
    /// so a silent engine raises the alarm `ELPYFI_ENGINE_SILENCE` after start rather than at once or never.
    public init(startedAtMilliseconds: Int64, buckets: HistogramBuckets = .relay) {
        self.buckets = buckets
        block = CounterBlock(count: Slot.relayBuckets + buckets.slotCount)
        block.set(Slot.lastEventMilliseconds, UInt64(max(0, startedAtMilliseconds)))
    }

    /// A client of `kind` was admitted.
    public func clientJoined(_ kind: StreamKind) { block.add(Slot.clients + Self.kindIndex(kind)) }
    /// A client of `kind` left (closed, dropped or cut).
    public func clientLeft(_ kind: StreamKind) { block.subtract(Slot.clients + Self.kindIndex(kind)) }

    /// LISTEN is live; every time after the first counts as a reconnect.
    public func listenerUp() {
        if block.load(Slot.listenUps) > 0 { block.add(Slot.listenReconnects) }
        block.add(Slot.listenUps)
        block.set(Slot.listening, 1)
    }

    /// LISTEN was lost.
    public func listenerDown() { block.set(Slot.listening, 0) }

    /// The engine spoke at `unixMilliseconds`: `events` relayed and `dropped` payloads refused.
    public func notified(events: Int, dropped: Int, atUnixMilliseconds unixMilliseconds: Int64) {
        if events > 0 { block.add(Slot.events, UInt64(events)) }
        if dropped > 0 { block.add(Slot.dropped, UInt64(dropped)) }
        block.set(Slot.lastEventMilliseconds, UInt64(max(0, unixMilliseconds)))
    }

    /// A slow consumer was closed with 1008.
    public func slowConsumerClosed() { block.add(Slot.slowConsumers) }

    /// `count` events took `nanoseconds` from their notification's arrival to their frames being handed to every client.
    public func relayed(count: Int, nanoseconds: UInt64) {
        guard count > 0 else { return }
        block.add(Slot.relayBuckets + buckets.slot(forNanoseconds: nanoseconds), UInt64(count))
        block.add(Slot.relaySumNanoseconds, nanoseconds &* UInt64(count))
    }

    /// The exposition. Reads atomics only: never waits on the database or the event loop.
    public func render() -> [UInt8] {
        var text = Exposition(capacity: 4096)
        text.family("elpyfi_stream_clients", type: .gauge, help: "Connected WebSocket clients, by stream.")
        for kind in StreamKind.allCases {
            let raw = block.load(Slot.clients + Self.kindIndex(kind))
            text.sample("elpyfi_stream_clients", [("stream", kind.rawValue)], Double(Int64(bitPattern: raw)))
        }
        text.family("elpyfi_stream_listening", type: .gauge, help: "1 while the LISTEN connection is live.")
        text.sample("elpyfi_stream_listening", [], Double(block.load(Slot.listening)))
        text.family("elpyfi_stream_listen_reconnects_total", type: .counter, help: "LISTEN connections re-established after the first.")
        text.sample("elpyfi_stream_listen_reconnects_total", [], Double(block.load(Slot.listenReconnects)))
        text.family("elpyfi_stream_events_total", type: .counter, help: "Notifications accepted and relayed.")
        text.sample("elpyfi_stream_events_total", [], Double(block.load(Slot.events)))
        text.family("elpyfi_stream_dropped_payloads_total", type: .counter, help: "Notifications refused (not a JSON object with a type).")
        text.sample("elpyfi_stream_dropped_payloads_total", [], Double(block.load(Slot.dropped)))
        text.family("elpyfi_stream_slow_consumers_closed_total", type: .counter, help: "Clients closed with 1008 for a queue over its bound.")
        text.sample("elpyfi_stream_slow_consumers_closed_total", [], Double(block.load(Slot.slowConsumers)))
        text.family("elpyfi_stream_last_event_timestamp_seconds", type: .gauge,
                    help: "Unix time the engine last notified (the sidecar's start until it has).")
        text.sample("elpyfi_stream_last_event_timestamp_seconds", [], Double(block.load(Slot.lastEventMilliseconds)) / 1000)
        text.family("elpyfi_stream_relay_delay_seconds", type: .histogram,
                    help: "Notification received to its frame handed to every client's socket.")
        let perSlot = (0..<buckets.slotCount).map { block.load(Slot.relayBuckets + $0) }
        text.histogram("elpyfi_stream_relay_delay_seconds", [], bounds: buckets, cumulative: HistogramBuckets.cumulative(perSlot),
                       sum: Double(block.load(Slot.relaySumNanoseconds)) / 1e9)
        return text.bytes
    }

    private static func kindIndex(_ kind: StreamKind) -> Int {
        switch kind {
        case .all: 0
        case .signals: 1
        case .trades: 2
        }
    }
}
