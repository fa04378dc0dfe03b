/// The REST worker's figures: requests by endpoint and status, their durations, and the database's state.
///
/// Each worker thread counts into its own `RequestMetrics.Thread` (a `CounterBlock` it alone writes), so the
/// hot path shares no lock and no cache line with another thread and allocates nothing; a scrape sums the
/// threads' blocks. The database state is one process-wide gauge, written only when it changes.
public final class RequestMetrics: Sendable {
    /// One thread's counters.
    public final class Thread: Sendable {
        private let block: CounterBlock
        private let buckets: HistogramBuckets
        private let endpoints: Int
        private let database: CounterBlock

        init(endpoints: Int, buckets: HistogramBuckets, database: CounterBlock) {
            self.endpoints = endpoints
            self.buckets = buckets
            self.database = database
            block = CounterBlock(count: Layout.size(endpoints: endpoints, slots: buckets.slotCount))
        }

        /// One answered request: `endpoint` is an `EndpointLabel` index, `nanoseconds` how long it took.
        @inline(__always)
        public func record(endpoint: Int, status: Int, nanoseconds: UInt64) {
            let layout = Layout(endpoints: endpoints, slots: buckets.slotCount)
            block.increment(layout.request(endpoint: endpoint, status: StatusLabel.slot(status)))
            block.increment(layout.bucket(endpoint: endpoint, slot: buckets.slot(forNanoseconds: nanoseconds)))
            block.increment(layout.sum(endpoint: endpoint), by: nanoseconds)
        }

        /// This thread's connection was dialled again after its first.
        public func databaseReconnected() {
            block.increment(Layout(endpoints: endpoints, slots: buckets.slotCount).reconnects)
        }

        /// The last database call reached the server (true) or could not (false).
        @inline(__always)
        public func databaseReached(_ reached: Bool) {
            let value: UInt64 = reached ? 1 : 0
            if database.load(0) != value { database.set(0, value) }
        }

        func load(_ index: Int) -> UInt64 { block.load(index) }
    }

    /// Where each counter sits in a thread's block.
    struct Layout {
        let endpoints: Int
        let slots: Int

        /// Counters in one thread's block: requests by endpoint × status, buckets by endpoint × slot, a sum per
        /// endpoint, and the reconnect counter.
        static func size(endpoints: Int, slots: Int) -> Int {
            endpoints * StatusLabel.slotCount + endpoints * slots + endpoints + 1
        }
        /// Requests answered for `endpoint` with status slot `status`.
        @inline(__always) func request(endpoint: Int, status: Int) -> Int { endpoint * StatusLabel.slotCount + status }
        /// Observations of `endpoint` in histogram slot `slot` (not cumulative).
        @inline(__always) func bucket(endpoint: Int, slot: Int) -> Int {
            endpoints * StatusLabel.slotCount + endpoint * slots + slot
        }
        /// Nanoseconds spent on `endpoint`, summed.
        @inline(__always) func sum(endpoint: Int) -> Int { endpoints * StatusLabel.slotCount + endpoints * slots + endpoint }
        /// Database reconnects of the thread.
        var reconnects: Int { endpoints * StatusLabel.slotCount + endpoints * slots + endpoints }
    }

    /// Each worker thread's counters, by thread index.
    public let threads: [Thread]
    /// The `endpoint` label of each index.
    public let endpoints: [String]
    private let buckets: HistogramBuckets
    /// `elpyfi_db_up`: 1 while the last database call reached the server; starts at 0 until one has.
    private let database = CounterBlock(count: 1)

    /// Counters for `threadCount` threads and the given endpoint labels (the last one is `unknown`).
    public init(threadCount: Int, endpoints: [String] = EndpointLabel.all, buckets: HistogramBuckets = .request) {
        self.endpoints = endpoints
        self.buckets = buckets
        let database = self.database
        threads = (0..<threadCount).map { _ in Thread(endpoints: endpoints.count, buckets: buckets, database: database) }
    }

    /// The exposition: every thread summed. Reads counters only; never waits on anything.
    public func render() -> [UInt8] {
        let layout = Layout(endpoints: endpoints.count, slots: buckets.slotCount)
        func total(_ index: Int) -> UInt64 { threads.reduce(0) { $0 &+ $1.load(index) } }
        var text = Exposition(capacity: 8192)

        text.family("elpyfi_http_requests_total", type: .counter, help: "REST requests answered, by route template and status.")
        for endpoint in endpoints.indices {
            for status in 0..<StatusLabel.slotCount {
                let count = total(layout.request(endpoint: endpoint, status: status))
                if count > 0 {
                    text.sample("elpyfi_http_requests_total", [("endpoint", endpoints[endpoint]), ("status", StatusLabel.text(status))], Double(count))
                }
            }
        }

        text.family("elpyfi_http_request_duration_seconds", type: .histogram,
                    help: "Time from accepting a request to writing its answer, by route template.")
        for endpoint in endpoints.indices {
            let perSlot = (0..<buckets.slotCount).map { total(layout.bucket(endpoint: endpoint, slot: $0)) }
            let cumulative = HistogramBuckets.cumulative(perSlot)
            guard let count = cumulative.last, count > 0 else { continue }
            let seconds = Double(total(layout.sum(endpoint: endpoint))) / 1e9
            text.histogram("elpyfi_http_request_duration_seconds", [("endpoint", endpoints[endpoint])], bounds: buckets,
                           cumulative: cumulative, sum: seconds)
        }

        text.family("elpyfi_db_up", type: .gauge, help: "1 while this worker's last database call reached PostgreSQL.")
        text.sample("elpyfi_db_up", [], Double(database.load(0)))
        text.family("elpyfi_db_reconnects_total", type: .counter, help: "Database connections dialled again after a thread's first.")
        text.sample("elpyfi_db_reconnects_total", [], Double(total(layout.reconnects)))
        text.family("elpyfi_fcgi_threads", type: .gauge, help: "Worker threads, each with one database connection.")
        text.sample("elpyfi_fcgi_threads", [], Double(threads.count))
        return text.bytes
    }
}
