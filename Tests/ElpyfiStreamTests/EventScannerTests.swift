import ElpyfiStream
import Testing

@Suite struct EventScannerTests {
    private func scan(_ text: String) -> Result<ScannedEvent, PayloadRejection> {
        EventScanner.scan(Array(text.utf8))
    }

    private func relayed(_ text: String, seq: Int) -> String? {
        guard case .success(let event) = scan(text) else { return nil }
        return String(decoding: event.json(seq: seq), as: UTF8.self)
    }

    @Test func eventIsRelayedByteForByteWithSeqAppended() {
        let payload = #"{"type":"signal.generated","data":{"strategy":"momentum","price":150.250,"qty":1e3},"timestamp":"2024-01-15T10:31:00Z"}"#
        #expect(relayed(payload, seq: 7) == String(payload.dropLast()) + #","seq":7}"#)
    }

    @Test func typeAndStrategyAreExtracted() throws {
        let event = try scan(#"{"data":{"x":[1,{"strategy":"inner"}],"strategy":"mean_rev"},"type":"trade.executed"}"#).get()
        #expect(event.route == EventRoute(type: "trade.executed", strategy: "mean_rev"))
    }

    @Test func escapedNamesAndValuesAreDecodedForRouting() throws {
        let event = try scan(#"{"typ\u0065":"signal.\u0067enerated","data":{"strategy":"a\/b"}}"#).get()
        #expect(event.route == EventRoute(type: "signal.generated", strategy: "a/b"))
    }

    @Test func nonStringStrategyIsNoStrategy() throws {
        #expect(try scan(#"{"type":"x","data":{"strategy":5}}"#).get().route.strategy == nil)
        #expect(try scan(#"{"type":"x","data":"momentum"}"#).get().route.strategy == nil)
        #expect(try scan(#"{"type":"x","strategy":"top-level-only"}"#).get().route.strategy == nil)
    }

    @Test func engineSeqIsReplacedWherePresent() {
        #expect(relayed(#"{"seq":99,"type":"a"}"#, seq: 1) == #"{"type":"a","seq":1}"#)
        #expect(relayed(#"{"type":"a","seq":99}"#, seq: 2) == #"{"type":"a","seq":2}"#)
        #expect(relayed(#"{"type":"a", "seq":"x", "data":{"seq":5}}"#, seq: 3) == #"{"type":"a", "data":{"seq":5},"seq":3}"#)
        #expect(relayed(#"{"seq":1,"seq":2,"type":"a","seq":3}"#, seq: 4) == #"{"type":"a","seq":4}"#)
    }

    @Test func surroundingWhitespaceIsTrimmedAndInnerSpacingKept() {
        #expect(relayed(" \n{ \"type\" : \"a\" ,\n \"data\" : { } }\n ", seq: 1) == "{ \"type\" : \"a\" ,\n \"data\" : { },\"seq\":1 }")
    }

    @Test func malformedPayloadsAreRejectedWithTheirReason() {
        #expect(scan("hello world") == .failure(.notJSON))
        #expect(scan("") == .failure(.notJSON))
        #expect(scan(#"[{"type":"a"}]"#) == .failure(.notAnObject))
        #expect(scan(#""type""#) == .failure(.notAnObject))
        #expect(scan(#"{"data":{}}"#) == .failure(.missingType))
        #expect(scan(#"{"type":5}"#) == .failure(.missingType))
        #expect(scan(#"{"type":null}"#) == .failure(.missingType))
        #expect(scan(#"{"type":"a"} trailing"#) == .failure(.notJSON))
        #expect(scan(#"{"type":"a"}{"type":"b"}"#) == .failure(.notJSON))
        #expect(scan(#"{"type":"a",}"#) == .failure(.notJSON))
        #expect(scan(#"{"type":"a""#) == .failure(.notJSON))
        #expect(scan(#"{'type':'a'}"#) == .failure(.notJSON))
    }

    @Test func strictNumberAndLiteralGrammarIsEnforced() {
        for bad in ["01", "1.", ".5", "+1", "1e", "NaN", "Infinity", "-", "tru", "nul", "0x10"] {
            #expect(scan(#"{"type":"a","v":\#(bad)}"#) == .failure(.notJSON), "\(bad)")
        }
        for good in ["0", "-0", "1.5e-3", "2E+10", "true", "false", "null", "[]", "{}", "[1,[2,[3]]]"] {
            #expect(throws: Never.self) { try scan(#"{"type":"a","v":\#(good)}"#).get() }
        }
    }

    @Test func stringRulesFollowRFC8259() {
        #expect(scan("{\"type\":\"a\tb\"}") == .failure(.notJSON))  // raw control character
        #expect(scan(#"{"type":"a\qb"}"#) == .failure(.notJSON))
        #expect(scan(#"{"type":"a\u12"}"#) == .failure(.notJSON))
        #expect(throws: Never.self) { try scan(#"{"type":"\ud83d\ude00 \u00e9 é 😀"}"#).get() }
        #expect(try! scan(#"{"type":"\ud83d\ude00"}"#).get().route.type == "😀")
    }

    @Test func invalidUTF8IsRejected() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] {
            let payload = Array(#"{"type":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(EventScanner.scan(payload) == .failure(.notJSON))
        }
    }

    @Test func deepNestingIsRefusedNotRecursedWithoutBound() {
        let deep = String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
        #expect(scan(#"{"type":"a","v":\#(deep)}"#) == .failure(.notJSON))
    }

    @Test func payloadsOfPostgresMaximumOrMoreAreTooLarge() {
        let filler = String(repeating: "x", count: EventScanner.maximumPayloadBytes)
        #expect(scan(#"{"type":"a","v":"\#(filler)"}"#) == .failure(.tooLarge))
        let nearMaximum = String(repeating: "x", count: 7900)
        #expect(throws: Never.self) { try scan(#"{"type":"a","v":"\#(nearMaximum)"}"#).get() }
    }

    @Test func duplicateTypeTakesTheLastLikeJavaScript() throws {
        #expect(try scan(#"{"type":"a","type":"b"}"#).get().route.type == "b")
        #expect(scan(#"{"type":"a","type":1}"#) == .failure(.missingType))
    }
}
