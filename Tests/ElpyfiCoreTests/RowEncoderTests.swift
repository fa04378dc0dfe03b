import ElpyfiCore
import Testing

private func array(_ rows: [[String?]], _ query: Query) -> String {
    text(RowEncoder.array(QueryRows(texts: rows), query: query))
}

private func first(_ rows: [[String?]], _ query: Query) -> String {
    text(RowEncoder.firstOrEmptyObject(QueryRows(texts: rows), query: query))
}

/// One signal row in the text form libpq gives, with the fields a test cares about replaced.
private func signal(id: String = "7", strategy: String = "mean_rev", confidence: String? = "0.85",
                    timestamp: String? = "2024-01-15 10:31:00", metadata: String? = #"{"reason": "breakout"}"#) -> [String?] {
    [id, strategy, "AAPL", "buy", confidence, timestamp, metadata]
}

@Suite struct RowEncoderTests {
    @Test func signalRowIsWrittenExactly() {
        #expect(array([signal(timestamp: "2024-01-15 10:31:00.5")], Queries.recentSignals)
            == #"[{"id":7,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00.5Z","metadata":{"reason": "breakout"}}]"#)
    }

    @Test func rowsAreSeparatedByCommasInOrder() {
        #expect(array([signal(id: "2", metadata: "{}"), signal(id: "1", metadata: "{}")], Queries.recentSignals)
            == #"[{"id":2,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00Z","metadata":{}},{"id":1,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00Z","metadata":{}}]"#)
    }

    @Test func numericKeepsExactlyTheStoredDigits() {
        #expect(array([["AAPL", "100", "150.250", "150.25", "-0.0000001", "mean_rev"]], Queries.positions)
            == #"[{"symbol":"AAPL","quantity":100,"entry_price":150.250,"current_price":150.25,"unrealized_pl":-0.0000001,"strategy":"mean_rev"}]"#)
    }

    @Test func numericNaNAndInfinityAreNull() {
        #expect(array([["AAPL", "NaN", "Infinity", "-Infinity", "1e+100", "mean_rev"]], Queries.positions)
            == #"[{"symbol":"AAPL","quantity":null,"entry_price":null,"current_price":null,"unrealized_pl":1e+100,"strategy":"mean_rev"}]"#)
    }

    @Test func doubleNaNIsNull() {
        #expect(array([signal(confidence: "NaN", metadata: nil)], Queries.recentSignals).contains(#""confidence":null,"#))
    }

    @Test func nullMetadataIsAnEmptyObject() {
        #expect(array([signal(metadata: nil)], Queries.recentSignals).hasSuffix(#""metadata":{}}]"#))
    }

    @Test(arguments: ["[1, 2, 3]", "\"just a string\"", "42", "true", "null", #"{"nested": {"a": [1, {"b": "c"}]}}"#])
    func nonObjectMetadataIsWrittenAsStored(metadata: String) {
        #expect(array([signal(metadata: metadata)], Queries.recentSignals).hasSuffix(#""metadata":\#(metadata)}]"#))
    }

    @Test func nullInAnotherColumnIsNull() {
        #expect(array([["momentum", "t", nil]], Queries.strategies) == #"[{"name":"momentum","active":true,"description":null}]"#)
        #expect(array([signal(confidence: nil, timestamp: nil)], Queries.recentSignals)
            .contains(#""confidence":null,"timestamp":null,"#))
    }

    @Test func booleansAreTrueAndFalse() {
        #expect(array([["a", "t", "x"], ["b", "f", "y"]], Queries.strategies)
            == #"[{"name":"a","active":true,"description":"x"},{"name":"b","active":false,"description":"y"}]"#)
    }

    @Test func textIsEscaped() {
        #expect(array([["q\"uote", "t", "line1\nline2\\ \u{1}tab\tcafé 📈"]], Queries.strategies)
            == #"[{"name":"q\"uote","active":true,"description":"line1\nline2\\ \u0001tab\tcafé 📈"}]"#)
    }

    @Test(arguments: Array(0..<128))
    func everyASCIICharacterIsWrittenAsJSONWriterWritesIt(code: Int) {
        let character = String(UnicodeScalar(UInt8(code)))
        for description in [character, "a\(character)z", String(repeating: character, count: 3) + "café 📈"] {
            var expected = JSONWriter()
            expected.beginArray()
            expected.beginObject()
            expected.key("name"); expected.string("n")
            expected.key("active"); expected.bool(false)
            expected.key("description"); expected.string(description)
            expected.endObject()
            expected.endArray()
            #expect(array([["n", "f", description]], Queries.strategies) == text(expected.bytes))
        }
    }

    @Test func timestampWithoutRFC3339FormIsNull() {
        #expect(array([signal(timestamp: "infinity")], Queries.recentSignals).contains(#""timestamp":null,"#))
        #expect(array([signal(timestamp: "0044-03-15 12:00:00 BC")], Queries.recentSignals).contains(#""timestamp":null,"#))
    }

    @Test func metricsRowIsOneObjectWithItsDate() {
        let row: [String?] = ["mean_rev", "2024-01-15", "12", "0.583", "1250.50", nil, "-0.12"]
        #expect(first([row], Queries.metrics)
            == #"{"strategy":"mean_rev","date":"2024-01-15","total_trades":12,"win_rate":0.583,"profit_loss":1250.50,"sharpe_ratio":null,"max_drawdown":-0.12}"#)
    }

    @Test func firstOrEmptyObjectWritesOnlyTheFirstRow() {
        #expect(first([["2024-01-15", "1", "2"], ["2024-01-08", "3", "0"]], Queries.pdtStatus)
            == #"{"week_start":"2024-01-15","trades_used":1,"trades_remaining":2}"#)
    }

    @Test func emptyResultIsAnEmptyArrayOrObject() {
        #expect(array([], Queries.positions) == "[]")
        #expect(first([], Queries.metrics) == "{}")
    }

    @Test func planBodyUsesTheRouteShape() throws {
        let metrics = try EndpointPlan(route: .metrics(strategySegment: "x"), parameters: QueryParameters(""))
        #expect(text(metrics.body(for: QueryRows(texts: []))) == "{}")
        let signals = try EndpointPlan(route: .recentSignals, parameters: QueryParameters(""))
        #expect(text(signals.body(for: QueryRows(texts: []))) == "[]")
        let pdt = try EndpointPlan(route: .pdtStatus, parameters: QueryParameters(""))
        #expect(text(pdt.body(for: QueryRows(texts: [["2024-01-15", "0", "3"]])))
            == #"{"week_start":"2024-01-15","trades_used":0,"trades_remaining":3}"#)
    }
}
