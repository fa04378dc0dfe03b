import FastCGI
import Testing

/// The bytes one gathering write sends for an answer: content records of at most 65535 bytes, then the empty
/// stdout record and `FCGI_END_REQUEST`; checked byte for byte and by reading the records back as nginx does.
struct FastCGIAnswerRecordsTests {
    @Test func aSmallAnswerIsOneRecordThenTheEndOfStdoutAndTheEndOfTheRequest() {
        let head: [UInt8] = Array("S\r\n".utf8), body: [UInt8] = Array("12345".utf8)
        let records = FastCGIAnswerRecords(requestID: 1, headCount: head.count, bodyCount: body.count)
        let expected: [UInt8] = [1, 6, 0, 1, 0, 8, 0, 0] + head + body
            + [1, 6, 0, 1, 0, 0, 0, 0]
            + [1, 3, 0, 1, 0, 8, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(records.bytes(head: head, body: body) == expected)
        #expect(records.pieces.map(\.source) == [.framing, .head, .body, .framing])
    }

    @Test func anAnswerWithoutBodySendsTheHeadAlone() {
        let head: [UInt8] = Array("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n".utf8)
        let records = FastCGIAnswerRecords(requestID: 7, headCount: head.count, bodyCount: 0)
        #expect(records.pieces.map(\.source) == [.framing, .head, .framing])
        let parsed = Parsed(records.bytes(head: head, body: []))
        #expect(parsed.stdout == head)
        #expect(parsed.wellFormed(requestID: 7))
    }

    @Test func anEmptyAnswerHasNoContentRecord() {
        let records = FastCGIAnswerRecords(requestID: 1, headCount: 0, bodyCount: 0)
        #expect(records.bytes(head: [], body: []) == [1, 6, 0, 1, 0, 0, 0, 0]
            + [1, 3, 0, 1, 0, 8, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func anAnswerOver65535BytesIsSplitIntoRecordsOfAtMost65535() {
        let head = Array(repeating: UInt8(ascii: "h"), count: 100)
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let records = FastCGIAnswerRecords(requestID: 3, headCount: head.count, bodyCount: body.count)
        let parsed = Parsed(records.bytes(head: head, body: body))
        #expect(parsed.stdout == head + body)
        #expect(parsed.contentLengths == [65535, 65535, 65535, 3495, 0])
        #expect(parsed.wellFormed(requestID: 3))
        #expect(records.pieces.allSatisfy { $0.count > 0 })
    }

    @Test func anAnswerOfWholeRecordsGetsNoEmptyContentRecordBeforeTheEnd() {
        let head = Array(repeating: UInt8(ascii: "h"), count: 35)
        let body = Array(repeating: UInt8(ascii: "b"), count: 2 * 65535 - 35)
        let records = FastCGIAnswerRecords(requestID: 1, headCount: 35, bodyCount: body.count)
        let parsed = Parsed(records.bytes(head: head, body: body))
        #expect(parsed.contentLengths == [65535, 65535, 0])
        #expect(parsed.stdout == head + body)
    }

    @Test func aHeadLongerThanARecordContinuesIntoTheBodyInOrder() {
        let head = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        let body: [UInt8] = [9, 8, 7]
        let records = FastCGIAnswerRecords(requestID: 2, headCount: head.count, bodyCount: body.count)
        let parsed = Parsed(records.bytes(head: head, body: body))
        #expect(parsed.stdout == head + body)
        #expect(parsed.contentLengths == [65535, 4468, 0])
    }

    @Test func theRequestIDIsWrittenBigEndianInEveryRecord() {
        let records = FastCGIAnswerRecords(requestID: 0x1234, headCount: 1, bodyCount: 70_000)
        let parsed = Parsed(records.bytes(head: [0], body: Array(repeating: 1, count: 70_000)))
        #expect(parsed.wellFormed(requestID: 0x1234))
        #expect(records.framing.prefix(4) == [1, 6, 0x12, 0x34])
    }
}

/// Records read back from wire bytes as the web server reads them (header, content, padding).
private struct Parsed {
    struct Record {
        let version: UInt8, type: UInt8, id: Int, content: [UInt8]
    }

    var records: [Record] = []
    var leftover = 0

    init(_ wire: [UInt8]) {
        var at = 0
        while at + 8 <= wire.count {
            let length = Int(wire[at + 4]) << 8 | Int(wire[at + 5])
            let padding = Int(wire[at + 6])
            guard at + 8 + length + padding <= wire.count else { break }
            records.append(Record(version: wire[at], type: wire[at + 1], id: Int(wire[at + 2]) << 8 | Int(wire[at + 3]),
                                  content: Array(wire[at + 8..<at + 8 + length])))
            at += 8 + length + padding
        }
        leftover = wire.count - at
    }

    /// The stdout content, records concatenated.
    var stdout: [UInt8] { records.filter { $0.type == 6 }.flatMap { $0.content } }
    /// The content length of each stdout record, in order.
    var contentLengths: [Int] { records.filter { $0.type == 6 }.map { $0.content.count } }

    /// Version 1 and `requestID` throughout, stdout records only, the last of them empty, then one
    /// `FCGI_END_REQUEST` (status 0, request complete) and nothing after it.
    func wellFormed(requestID: Int) -> Bool {
        guard leftover == 0, records.count >= 2, let end = records.last else { return false }
        let body = records.dropLast()
        return records.allSatisfy { $0.version == 1 && $0.id == requestID }
            && body.allSatisfy { $0.type == 6 && $0.content.count <= 65535 }
            && body.last?.content.isEmpty == true
            && end.type == 3 && end.content == [0, 0, 0, 0, 0, 0, 0, 0]
    }
}
