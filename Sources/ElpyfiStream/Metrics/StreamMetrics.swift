import ElpyfiCore
import Synchronization

/// The sidecar's Prometheus figures. Clients per stream, events, dropped payloads, slow consumers, the engine's last
/// event and LISTEN reconnects are `StreamStats`' counters and LISTEN's state is `EventSequencer`'s (the same that
/// `/stream/health` reads), read at scrape time; this adds what only a scrape needs: the relay-delay histogram.
///
/// Counters are atomics (`CounterBlock.add`): the listener thread and every event loop write, and nothing here
/// is per client or per frame, so the cost is one atomic add per event batch or connection.
public final class StreamMetrics: Sendable {
    private enum Slot {
        static let relaySumNanoseconds = 0
        static let relayBuckets = 1
    }

    private let block: CounterBlock
    private let buckets = HistogramBuckets.relay
    private let stats: StreamStats
    private let sequencer: EventSequencer
    private let startedAtMilliseconds: Int64

    /// Figures over `stats`; `startedAtMilliseconds` (Unix ms) stands for the engine's last event until one arrives,
    /// so a silent engine raises the alarm `ELPYFI_ENGINE_SILENCE` after start rather than at once or never.
    public init(stats: StreamStats, sequencer: EventSequencer, startedAtMilliseconds: Int64) {
        self.stats = stats
        self.sequencer = sequencer
        self.startedAtMilliseconds = startedAtMilliseconds
        block = CounterBlock(count: Slot.relayBuckets + HistogramBuckets.relay.slotCount)
    }

    /// `count` events took `nanoseconds` from their notification's arrival to their frames being handed to the
    /// sockets of one event loop's clients (one observation per event and loop).
    public func relayed(count: Int, nanoseconds: UInt64) {
        guard count > 0 else { return }
        block.add(Slot.relayBuckets + buckets.slot(forNanoseconds: nanoseconds), UInt64(count))
        block.add(Slot.relaySumNanoseconds, nanoseconds &* UInt64(count))
    }

    /// The exposition. Reads atomics only: never waits on the database or an event loop.
    public func render() -> [UInt8] {
        var text = Exposition(capacity: 4096)
        text.family("elpyfi_stream_clients", type: .gauge, help: "Connected stream clients, by stream and transport (ws, sse).")
        for kind in StreamKind.allCases {
            for framing in Framing.allCases {
                text.sample("elpyfi_stream_clients", [("stream", kind.rawValue), ("transport", framing.metricLabel)],
                            Double(stats.clients(kind, framing)))
            }
        }
        text.family("elpyfi_stream_listening", type: .gauge, help: "1 while the LISTEN connection is live.")
        text.sample("elpyfi_stream_listening", [], sequencer.isListening ? 1 : 0)
        text.family("elpyfi_stream_listen_reconnects_total", type: .counter, help: "LISTEN connections re-established after the first.")
        text.sample("elpyfi_stream_listen_reconnects_total", [], Double(stats.listenReconnects.load(ordering: .relaxed)))
        text.family("elpyfi_stream_events_total", type: .counter, help: "Notifications accepted and relayed.")
        text.sample("elpyfi_stream_events_total", [], Double(stats.events.load(ordering: .relaxed)))
        text.family("elpyfi_stream_dropped_payloads_total", type: .counter, help: "Notifications refused (not a JSON object with a type).")
        text.sample("elpyfi_stream_dropped_payloads_total", [], Double(stats.droppedPayloads.load(ordering: .relaxed)))
        text.family("elpyfi_stream_slow_consumers_closed_total", type: .counter, help: "Clients closed with 1008 for a queue over its bound.")
        text.sample("elpyfi_stream_slow_consumers_closed_total", [], Double(stats.slowConsumersClosed))
        text.family("elpyfi_stream_last_event_timestamp_seconds", type: .gauge,
                    help: "Unix time the engine last notified (the sidecar's start until it has).")
        let last = stats.lastEventAt?.unixMilliseconds ?? startedAtMilliseconds
        text.sample("elpyfi_stream_last_event_timestamp_seconds", [], Double(last) / 1000)
        text.family("elpyfi_stream_relay_delay_seconds", type: .histogram,
                    help: "Notification received to its frames handed to one event loop's client sockets.")
        let perSlot = (0..<buckets.slotCount).map { block.load(Slot.relayBuckets + $0) }
        text.histogram("elpyfi_stream_relay_delay_seconds", [], bounds: buckets, cumulative: HistogramBuckets.cumulative(perSlot),
                       sum: Double(block.load(Slot.relaySumNanoseconds)) / 1e9)
        return text.bytes
    }
}
