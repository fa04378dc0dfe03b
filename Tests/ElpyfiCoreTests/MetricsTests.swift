import ElpyfiCore
import Testing

@Suite struct MetricsTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func labelValuesAreEscapedAsTheTextFormatRequires() {
        var exposition = Exposition()
        exposition.family("x_total", type: .counter, help: "a \\ b\nc")
        exposition.sample("x_total", [("l", "q\"b\\n\ne")], 3)
        #expect(text(exposition.bytes) == "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{l=\"q\\\"b\\\\n\\ne\"} 3\n")
    }

    @Test func valuesAreWrittenAsPrometheusSpellsThem() {
        #expect(Exposition.format(0) == "0")
        #expect(Exposition.format(42) == "42")
        #expect(Exposition.format(0.25) == "0.25")
        #expect(Exposition.format(.infinity) == "+Inf")
        #expect(Exposition.format(-.infinity) == "-Inf")
        #expect(Exposition.format(.nan) == "NaN")
    }

    @Test func observationsLandInTheFirstBucketAtOrAboveThem() {
        let buckets = HistogramBuckets([0.001, 0.01, 1])
        #expect(buckets.slot(forNanoseconds: 0) == 0)
        #expect(buckets.slot(forNanoseconds: 1_000_000) == 0)  // le is inclusive
        #expect(buckets.slot(forNanoseconds: 1_000_001) == 1)
        #expect(buckets.slot(forNanoseconds: 1_000_000_000) == 2)
        #expect(buckets.slot(forNanoseconds: 1_000_000_001) == 3)  // +Inf
        #expect(HistogramBuckets.cumulative([1, 0, 2, 5]) == [1, 1, 3, 8])
    }

    @Test func histogramRendersCumulativeBucketsSumAndCount() {
        var exposition = Exposition()
        exposition.histogram("d_seconds", [("endpoint", "/x")], bounds: HistogramBuckets([0.5, 1]), cumulative: [1, 2, 3], sum: 4.5)
        #expect(text(exposition.bytes) == """
            d_seconds_bucket{endpoint="/x",le="0.5"} 1
            d_seconds_bucket{endpoint="/x",le="1"} 2
            d_seconds_bucket{endpoint="/x",le="+Inf"} 3
            d_seconds_sum{endpoint="/x"} 4.5
            d_seconds_count{endpoint="/x"} 3

            """)
    }

    @Test func everyStatusHasAFixedSlot() {
        #expect(StatusLabel.text(StatusLabel.slot(200)) == "200")
        #expect(StatusLabel.text(StatusLabel.slot(503)) == "503")
        #expect(StatusLabel.text(StatusLabel.slot(418)) == "4xx")
        #expect(StatusLabel.text(StatusLabel.slot(502)) == "5xx")
        #expect(StatusLabel.text(StatusLabel.slot(999)) == "5xx")
        #expect(StatusLabel.text(StatusLabel.slot(0)) == "1xx")
        #expect((0..<1000).allSatisfy { StatusLabel.slot($0) < StatusLabel.slotCount })
    }

    @Test func endpointLabelsAreTemplatesNeverRawPaths() {
        func label(_ path: String) -> String {
            var response = APIResponse(status: 200)
            response.endpointIndex = EndpointMatch(path: path[...])?.index
            return EndpointLabel.all[EndpointLabel.index(for: response)]
        }
        #expect(label("/metrics/momentum") == "/metrics/{strategy}")
        #expect(label("/metrics/momentum/history") == "/metrics/{strategy}/history")
        #expect(label("/positions") == "/positions")
        #expect(label("/no/such/path\"{") == "unknown")
        #expect(EndpointLabel.all.count == EndpointTable.all.count + 1)
    }

    @Test func threadsCountApartAndAScrapeSumsThem() {
        let metrics = RequestMetrics(threadCount: 2)
        let positions = EndpointLabel.templates.firstIndex(of: "/positions")!
        metrics.threads[0].record(endpoint: positions, status: 200, nanoseconds: 2_000_000)
        metrics.threads[1].record(endpoint: positions, status: 200, nanoseconds: 3_000_000)
        metrics.threads[1].record(endpoint: EndpointLabel.index(for: APIResponse(status: 404)), status: 404, nanoseconds: 100_000)
        metrics.threads[0].databaseReached(true)
        metrics.threads[1].databaseReconnected()
        let out = text(metrics.render())
        #expect(out.contains("elpyfi_http_requests_total{endpoint=\"/positions\",status=\"200\"} 2\n"))
        #expect(out.contains("elpyfi_http_requests_total{endpoint=\"unknown\",status=\"404\"} 1\n"))
        #expect(out.contains("elpyfi_http_request_duration_seconds_bucket{endpoint=\"/positions\",le=\"0.001\"} 0\n"))
        #expect(out.contains("elpyfi_http_request_duration_seconds_bucket{endpoint=\"/positions\",le=\"0.005\"} 2\n"))
        #expect(out.contains("elpyfi_http_request_duration_seconds_sum{endpoint=\"/positions\"} 0.005\n"))
        #expect(out.contains("elpyfi_http_request_duration_seconds_count{endpoint=\"/positions\"} 2\n"))
        #expect(out.contains("elpyfi_db_up 1\n"))
        #expect(out.contains("elpyfi_db_reconnects_total 1\n"))
        // Endpoints nobody asked for have no series.
        #expect(!out.contains("endpoint=\"/strategies\""))
    }

    @Test func databaseUpFollowsTheLastCall() {
        let metrics = RequestMetrics(threadCount: 2)
        #expect(text(metrics.render()).contains("elpyfi_db_up 0\n"))
        metrics.threads[0].databaseReached(true)
        metrics.threads[1].databaseReached(false)
        #expect(text(metrics.render()).contains("elpyfi_db_up 0\n"))
        metrics.threads[1].databaseReached(true)
        #expect(text(metrics.render()).contains("elpyfi_db_up 1\n"))
    }

    @Test func countersAddUpAcrossThreads() async {
        let block = CounterBlock(count: 2)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { for _ in 0..<10_000 { block.add(0) } } }
        }
        block.set(1, 7)
        block.subtract(1)
        #expect(block.load(0) == 40_000)
        #expect(block.load(1) == 6)
    }
}
