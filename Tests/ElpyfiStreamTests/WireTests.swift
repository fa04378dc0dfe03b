import ElpyfiCore
import ElpyfiStream
import Testing

@Suite struct WireTests {
    @Test func textFramesUseTheShortestLengthEncoding() {
        #expect(WebSocketWire.frame(.text, payload: Array("hi".utf8)) == [0x81, 2, 0x68, 0x69])
        let medium = WebSocketWire.frame(.text, payload: [UInt8](repeating: 0x61, count: 126))
        #expect(Array(medium.prefix(4)) == [0x81, 126, 0, 126])
        #expect(medium.count == 130)
        let large = framed([UInt8](repeating: 0x61, count: 70_000), .webSocket)
        #expect(Array(large.prefix(10)) == [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70])
    }

    /// `message` framed as the sidecar's `FrameCache` frames it: head, body, tail.
    private func framed(_ message: [UInt8], _ framing: Framing) -> [UInt8] {
        let id = StreamPosition(epoch: EpochID(text: "1-00000000000000e1"), seq: 7)
        return framing.head(payloadCount: message.count, id: id) + framing.body(message) + framing.tail
    }

    @Test func serverSentEventsCarryTheEpochAndSeqAsIdAndTheJSONOnOneDataLine() {
        let event = framed(Array("{\"type\":\n\"x\",\r\n\"seq\":7}".utf8), .serverSentEvents)
        #expect(String(decoding: event, as: UTF8.self) == "id: 1-00000000000000e1:7\ndata: {\"type\": \"x\",  \"seq\":7}\n\n")
    }

    @Test func serverSentEventsStartWithTheResponseHeadAndRetryAndPingWithAComment() {
        let preamble = String(decoding: Framing.serverSentEvents.preamble, as: UTF8.self)
        #expect(preamble.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"))
        #expect(preamble.hasSuffix("\r\n\r\nretry: 2000\n\n"))
        #expect(Framing.serverSentEvents.ping == Array(": ping\n\n".utf8))
        #expect(Framing.serverSentEvents.closing(code: 1008, reason: "slow consumer").isEmpty)
        #expect(Framing.webSocket.preamble.isEmpty)
    }

    @Test func closeFramesCarryCodeAndReason() {
        #expect(WebSocketWire.close(code: 1008, reason: "slow consumer") == [0x88, 15, 0x03, 0xF0] + Array("slow consumer".utf8))
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(RFC3339.utc(unixMilliseconds: 0, trimmed: false) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.utc(unixMilliseconds: 1_705_314_660_123) == "2024-01-15T10:31:00.123Z")
        #expect(RFC3339.utc(unixMilliseconds: 951_782_400_000, trimmed: false) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339.utc(unixMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    /// The API's timestamps follow the contract's one form: a fraction without trailing zeros, none when zero
    /// (`/stream/health`'s `last_event_at` once failed openapi.yaml's pattern one time in ten, at `.570Z`).
    @Test func apiTimestampsTrimTrailingZerosOfTheFraction() {
        #expect(RFC3339.utc(unixMilliseconds: 1_764_898_487_570) == "2025-12-05T01:34:47.57Z")
        #expect(RFC3339.utc(unixMilliseconds: 1_764_898_487_500) == "2025-12-05T01:34:47.5Z")
        #expect(RFC3339.utc(unixMilliseconds: 1_764_898_487_000) == "2025-12-05T01:34:47Z")
        #expect(RFC3339.utc(unixMilliseconds: 1_764_898_487_007) == "2025-12-05T01:34:47.007Z")
        #expect(RFC3339.utc(unixMilliseconds: 0) == "1970-01-01T00:00:00Z")
    }

    @Test func epochIDsAreSixteenHexDigits() {
        let id = EpochID.random(sidecar: "1")
        #expect(id.text.count == 18)
        #expect(id.text.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(EpochID.random(sidecar: "1") != id)
    }
}
