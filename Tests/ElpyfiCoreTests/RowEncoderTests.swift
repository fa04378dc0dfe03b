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
        #expect(array([signal(timestamp: "2024-01-15 10:31:00.5")], EndpointTable.recentSignals.query)
            == #"[{"id":7,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00.5Z","metadata":{"reason": "breakout"}}]"#)
    }

    @Test func rowsAreSeparatedByCommasInOrder() {
        #expect(array([signal(id: "2", metadata: "{}"), signal(id: "1", metadata: "{}")], EndpointTable.recentSignals.query)
            == #"[{"id":2,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00Z","metadata":{}},{"id":1,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00Z","metadata":{}}]"#)
    }

    @Test func numericKeepsExactlyTheStoredDigits() {
        #expect(array([["AAPL", "100", "150.250", "150.25", "-0.0000001", "mean_rev"]], EndpointTable.positions.query)
            == #"[{"symbol":"AAPL","quantity":100,"entry_price":150.250,"current_price":150.25,"unrealized_pl":-0.0000001,"strategy":"mean_rev"}]"#)
    }

    @Test func numericNaNAndInfinityAreNull() {
        #expect(array([["AAPL", "NaN", "Infinity", "-Infinity", "1e+100", "mean_rev"]], EndpointTable.positions.query)
            == #"[{"symbol":"AAPL","quantity":null,"entry_price":null,"current_price":null,"unrealized_pl":1e+100,"strategy":"mean_rev"}]"#)
    }

    @Test func doubleNaNIsNull() {
        #expect(array([signal(confidence: "NaN", metadata: nil)], EndpointTable.recentSignals.query).contains(#""confidence":null,"#))
    }

    @Test func nullMetadataIsAnEmptyObject() {
        #expect(array([signal(metadata: nil)], EndpointTable.recentSignals.query).hasSuffix(#""metadata":{}}]"#))
    }

    @Test(arguments: ["[1, 2, 3]", "\"just a string\"", "42", "true", "null", #"{"nested": {"a": [1, {"b": "c"}]}}"#])
    func nonObjectMetadataIsWrittenAsStored(metadata: String) {
        #expect(array([signal(metadata: metadata)], EndpointTable.recentSignals.query).hasSuffix(#""metadata":\#(metadata)}]"#))
    }

    @Test func nullInAnotherColumnIsNull() {
        #expect(array([["momentum", "t", nil]], EndpointTable.strategies.query) == #"[{"name":"momentum","active":true,"description":null}]"#)
        #expect(array([signal(confidence: nil, timestamp: nil)], EndpointTable.recentSignals.query)
            .contains(#""confidence":null,"timestamp":null,"#))
    }

    @Test func booleansAreTrueAndFalse() {
        #expect(array([["a", "t", "x"], ["b", "f", "y"]], EndpointTable.strategies.query)
            == #"[{"name":"a","active":true,"description":"x"},{"name":"b","active":false,"description":"y"}]"#)
    }

    @Test func textIsEscaped() {
        #expect(array([["q\"uote", "t", "line1\nline2\\ \u{1}tab\tcafé 📈"]], EndpointTable.strategies.query)
            == #"[{"name":"q\"uote","active":true,"description":"line1\nline2\\ \u0001tab\tcafé 📈"}]"#)
    }

    @Test(arguments: Array(0..<128))
    func everyASCIICharacterIsWrittenAsJSONEscapeQuotesIt(code: Int) {
        let character = String(UnicodeScalar(UInt8(code)))
        // Short ones and ones of 8 bytes or more (checked a word at a time), the character in each word and last.
        let long = ["abcdefg\(character)", "abcdefghij\(character)", "abcdefgh\(character)ijklmnopqrstuvw", "abcdefghijklmnopqrstuvwxyz\(character)"]
        for description in [character, "a\(character)z", String(repeating: character, count: 3) + "café 📈"] + long {
            let expected = #"[{"name":"n","active":false,"description":\#(JSONEscape.quoted(description))}]"#
            #expect(array([["n", "f", description]], EndpointTable.strategies.query) == expected)
        }
    }

    @Test(arguments: [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x00, 0x0A, 0x1F])
    func aByteNeedingAnEscapeIsFoundAtEveryPlaceOfAShortText(needed: UInt8) {
        // 1 to 7 bytes are tested as one gathered word: every length, every place, beside plain and UTF-8 bytes.
        for count in 1...9 {
            for place in 0..<count {
                for filler: [UInt8] in [Array("abcdefghi".utf8), Array("ééééé".utf8), Array("         ".utf8)] {
                    var bytes = Array(filler.prefix(count))
                    bytes[place] = needed
                    let description = String(decoding: bytes, as: UTF8.self)
                    let expected = #"[{"name":"n","active":false,"description":\#(JSONEscape.quoted(description))}]"#
                    #expect(array([["n", "f", description]], EndpointTable.strategies.query) == expected, "\(count) \(place)")
                }
            }
            let plain = String(decoding: Array("aé \u{7F}~/xyz".utf8).prefix(count), as: UTF8.self)
            #expect(array([["n", "f", plain]], EndpointTable.strategies.query)
                == #"[{"name":"n","active":false,"description":\#(JSONEscape.quoted(plain))}]"#)
        }
    }

    @Test func timestampWithoutRFC3339FormIsNull() {
        #expect(array([signal(timestamp: "infinity")], EndpointTable.recentSignals.query).contains(#""timestamp":null,"#))
        #expect(array([signal(timestamp: "0044-03-15 12:00:00 BC")], EndpointTable.recentSignals.query).contains(#""timestamp":null,"#))
    }

    @Test func metricsRowIsOneObjectWithItsDate() {
        let row: [String?] = ["mean_rev", "2024-01-15", "12", "0.583", "1250.50", nil, "-0.12"]
        #expect(first([row], EndpointTable.metrics.query)
            == #"{"strategy":"mean_rev","date":"2024-01-15","total_trades":12,"win_rate":0.583,"profit_loss":1250.50,"sharpe_ratio":null,"max_drawdown":-0.12}"#)
    }

    @Test func firstOrEmptyObjectWritesOnlyTheFirstRow() {
        #expect(first([["2024-01-15", "1", "2"], ["2024-01-08", "3", "0"]], EndpointTable.pdtStatus.query)
            == #"{"week_start":"2024-01-15","trades_used":1,"trades_remaining":2}"#)
    }

    @Test func emptyResultIsAnEmptyArrayOrObject() {
        #expect(array([], EndpointTable.positions.query) == "[]")
        #expect(first([], EndpointTable.metrics.query) == "{}")
    }

    @Test func bodyUsesTheEndpointShape() throws {
        #expect(try text(EndpointTable.metrics.body(for: QueryRows(texts: [], columns: 7))) == "{}")
        #expect(try text(EndpointTable.recentSignals.body(for: QueryRows(texts: [], columns: 7))) == "[]")
        #expect(try text(EndpointTable.pdtStatus.body(for: QueryRows(texts: [["2024-01-15", "0", "3"]])))
            == #"{"week_start":"2024-01-15","trades_used":0,"trades_remaining":3}"#)
    }

    @Test func resultWithOtherColumnsThanTheQueryFailsThatRequestAsDatabaseUnavailable() {
        let tooFew = thrownError { () throws(APIError) in try EndpointTable.positions.body(for: QueryRows(texts: [["AAPL", "1"]])) }
        #expect(tooFew == .databaseUnavailable)
        let tooMany = thrownError { () throws(APIError) in try EndpointTable.strategies.body(for: QueryRows(texts: [["a", "t", "x", "extra"]])) }
        #expect(tooMany == .databaseUnavailable)
    }

    @Test func historyRowsAreWrittenWithoutTheirRangeColumn() throws {
        let rows: [[String?]] = [["2024-01-01", "3", "0.5", "10.25", nil, "-1.5", "t"], ["2024-01-02", "1", "1", "-2", "0.1", "0", "t"]]
        #expect(try text(EndpointTable.metricsHistory.body(for: QueryRows(texts: rows))) == #"[{"date":"2024-01-01","total_trades":3,"win_rate":0.5,"profit_loss":10.25,"sharpe_ratio":null,"max_drawdown":-1.5},{"date":"2024-01-02","total_trades":1,"win_rate":1,"profit_loss":-2,"sharpe_ratio":0.1,"max_drawdown":0}]"#)
    }

    @Test func historyWithNoDayInRangeIsAnEmptyArray() throws {
        let noDays: [[String?]] = [[nil, nil, nil, nil, nil, nil, "t"]]
        #expect(try text(EndpointTable.metricsHistory.body(for: QueryRows(texts: noDays))) == "[]")
    }

    @Test func historyOutOfRangeIsA400NamingFrom() {
        let outOfRange: [[String?]] = [[nil, nil, nil, nil, nil, nil, "f"]]
        let error = thrownError { () throws(APIError) in try EndpointTable.metricsHistory.body(for: QueryRows(texts: outOfRange)) }
        #expect(rejectedParameter(error) == "from")
    }
}
