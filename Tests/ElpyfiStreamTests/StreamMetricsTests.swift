import ElpyfiStream
import Testing

@Suite struct StreamMetricsTests {
    private func text(_ metrics: StreamMetrics) -> String { String(decoding: metrics.render(), as: UTF8.self) }

    @Test func clientsAreCountedPerStreamAndTransportFromEveryLoop() {
        let stats = StreamStats(loopCount: 2)
        let metrics = StreamMetrics(stats: stats, sequencer: EventSequencer(), startedAtMilliseconds: 0)
        stats.loops[0].count(1, .all, .webSocket)
        stats.loops[1].count(1, .all, .webSocket)
        stats.loops[1].count(1, .trades, .webSocket)
        stats.loops[0].count(-1, .all, .webSocket)
        stats.loops[0].count(2, .trades, .serverSentEvents)
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_clients{stream=\"all\",transport=\"ws\"} 1\n"))
        #expect(out.contains("elpyfi_stream_clients{stream=\"signals\",transport=\"ws\"} 0\n"))
        #expect(out.contains("elpyfi_stream_clients{stream=\"trades\",transport=\"ws\"} 1\n"))
        #expect(out.contains("elpyfi_stream_clients{stream=\"trades\",transport=\"sse\"} 2\n"))
        #expect(stats.clients(.trades) == 3)
    }

    @Test func listeningIsTheSequencersStateAndReconnectsComeFromTheStats() {
        let stats = StreamStats(loopCount: 1)
        let sequencer = EventSequencer()
        let metrics = StreamMetrics(stats: stats, sequencer: sequencer, startedAtMilliseconds: 0)
        #expect(text(metrics).contains("elpyfi_stream_listening 0\n"))
        sequencer.start(epoch: EpochID(text: "1-00000000000000e1"))
        #expect(text(metrics).contains("elpyfi_stream_listen_reconnects_total 0\n"))
        #expect(text(metrics).contains("elpyfi_stream_listening 1\n"))
        sequencer.stop(retryAfterMilliseconds: 500)
        #expect(text(metrics).contains("elpyfi_stream_listening 0\n"))
        stats.listenReconnects.add(1, ordering: .relaxed)
        sequencer.start(epoch: EpochID(text: "1-00000000000000e2"))
        #expect(text(metrics).contains("elpyfi_stream_listen_reconnects_total 1\n"))
    }

    @Test func theEngineLastSpokeAtStartUntilItSpeaks() {
        let stats = StreamStats(loopCount: 2)
        let metrics = StreamMetrics(stats: stats, sequencer: EventSequencer(), startedAtMilliseconds: 1_700_000_000_500)
        #expect(text(metrics).contains("elpyfi_stream_last_event_timestamp_seconds 1700000000.5\n"))
        stats.events.add(2, ordering: .relaxed)
        stats.droppedPayloads.add(1, ordering: .relaxed)
        stats.lastEventUnixMilliseconds.store(1_700_000_100_000, ordering: .relaxed)
        stats.loops[1].slowConsumersClosed.add(1, ordering: .relaxed)
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_last_event_timestamp_seconds 1700000100\n"))
        #expect(out.contains("elpyfi_stream_events_total 2\n"))
        #expect(out.contains("elpyfi_stream_dropped_payloads_total 1\n"))
        #expect(out.contains("elpyfi_stream_slow_consumers_closed_total 1\n"))
    }

    @Test func relayDelaysFillTheHistogram() {
        let metrics = StreamMetrics(stats: StreamStats(loopCount: 1), sequencer: EventSequencer(), startedAtMilliseconds: 0)
        metrics.relayed(count: 3, nanoseconds: 200_000)
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_bucket{le=\"0.0001\"} 0\n"))
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_bucket{le=\"0.00025\"} 3\n"))
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_count 3\n"))
    }
}
