import ElpyfiStream
import Testing

@Suite struct StreamMetricsTests {
    private func text(_ metrics: StreamMetrics) -> String { String(decoding: metrics.render(), as: UTF8.self) }

    @Test func clientsAreCountedPerStream() {
        let metrics = StreamMetrics(startedAtMilliseconds: 0)
        metrics.clientJoined(.all)
        metrics.clientJoined(.all)
        metrics.clientJoined(.trades)
        metrics.clientLeft(.all)
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_clients{stream=\"all\"} 1\n"))
        #expect(out.contains("elpyfi_stream_clients{stream=\"signals\"} 0\n"))
        #expect(out.contains("elpyfi_stream_clients{stream=\"trades\"} 1\n"))
    }

    @Test func onlyListenConnectionsAfterTheFirstAreReconnects() {
        let metrics = StreamMetrics(startedAtMilliseconds: 0)
        #expect(text(metrics).contains("elpyfi_stream_listening 0\n"))
        metrics.listenerUp()
        #expect(text(metrics).contains("elpyfi_stream_listen_reconnects_total 0\n"))
        #expect(text(metrics).contains("elpyfi_stream_listening 1\n"))
        metrics.listenerDown()
        #expect(text(metrics).contains("elpyfi_stream_listening 0\n"))
        metrics.listenerUp()
        #expect(text(metrics).contains("elpyfi_stream_listen_reconnects_total 1\n"))
    }

    @Test func theEngineLastSpokeAtStartUntilItSpeaks() {
        let metrics = StreamMetrics(startedAtMilliseconds: 1_700_000_000_500)
        #expect(text(metrics).contains("elpyfi_stream_last_event_timestamp_seconds 1700000000.5\n"))
        metrics.notified(events: 2, dropped: 1, atUnixMilliseconds: 1_700_000_100_000)
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_last_event_timestamp_seconds 1700000100\n"))
        #expect(out.contains("elpyfi_stream_events_total 2\n"))
        #expect(out.contains("elpyfi_stream_dropped_payloads_total 1\n"))
    }

    @Test func relayDelaysFillTheHistogram() {
        let metrics = StreamMetrics(startedAtMilliseconds: 0)
        metrics.relayed(count: 3, nanoseconds: 200_000)
        metrics.slowConsumerClosed()
        let out = text(metrics)
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_bucket{le=\"0.0001\"} 0\n"))
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_bucket{le=\"0.00025\"} 3\n"))
        #expect(out.contains("elpyfi_stream_relay_delay_seconds_count 3\n"))
        #expect(out.contains("elpyfi_stream_slow_consumers_closed_total 1\n"))
    }
}
