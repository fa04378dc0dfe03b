import ElpyfiStream
import Testing

@Suite struct StreamKindTests {
    @Test func pathsMapToStreamsExactly() {
        #expect(StreamKind(path: "/ws") == .all)
        #expect(StreamKind(path: "/ws/signals") == .signals)
        #expect(StreamKind(path: "/ws/trades") == .trades)
        #expect(StreamKind(path: "/ws/") == nil)
        #expect(StreamKind(path: "/ws/signals/") == nil)
        #expect(StreamKind(path: "/ws/Signals") == nil)
    }

    @Test func typePrefixesRouteToTheirStreams() {
        for type in ["signal.", "signal.generated"] {
            #expect(StreamKind.signals.matches(type: type))
            #expect(!StreamKind.trades.matches(type: type))
        }
        for type in ["position.opened", "position.closed", "trade.executed", "order.filled", "pdt.trade_used", "pdt."] {
            #expect(StreamKind.trades.matches(type: type))
            #expect(!StreamKind.signals.matches(type: type))
        }
        for type in ["signals", "signal", "trades.x", "system.heartbeat", ""] {
            #expect(!StreamKind.signals.matches(type: type))
            #expect(!StreamKind.trades.matches(type: type))
            #expect(StreamKind.all.matches(type: type))
        }
    }

    @Test func strategyFilterNarrowsAnyStream() {
        let filter = StreamFilter(kind: .signals, strategy: "momentum")
        #expect(filter.matches(EventRoute(type: "signal.generated", strategy: "momentum")))
        #expect(!filter.matches(EventRoute(type: "signal.generated", strategy: "mean_rev")))
        #expect(!filter.matches(EventRoute(type: "signal.generated", strategy: nil)))
        #expect(!filter.matches(EventRoute(type: "trade.executed", strategy: "momentum")))
    }
}
