import FastCGI
import Testing

/// One record read back from the wire: type, request id, content.
private struct Record: Equatable {
    var type: UInt8
    var requestID: Int
    var content: [UInt8]
}

/// Splits `wire` into records the way nginx reads them (8-byte header, content, padding).
private func records(_ wire: [UInt8]) -> [Record] {
    var out: [Record] = []
    var index = 0
    while index + 8 <= wire.count {
        #expect(wire[index] == 1, "FastCGI version 1")
        let length = Int(wire[index + 4]) << 8 | Int(wire[index + 5])
        let padding = Int(wire[index + 6])
        let start = index + 8
        out.append(Record(type: wire[index + 1], requestID: Int(wire[index + 2]) << 8 | Int(wire[index + 3]),
                          content: Array(wire[start..<min(wire.count, start + length)])))
        index = start + length + padding
    }
    #expect(index == wire.count, "no bytes after the last record")
    return out
}

@Suite struct FastCGIRecordsTests {
    @Test func smallAnswerIsOneStdoutRecordThenEndOfStdoutThenEndRequest() {
        let head = Array("Status: 200 OK\r\n\r\n".utf8), body = Array("[]".utf8)
        #expect(records(FastCGIRecords.answer(requestID: 1, parts: [head, body])) == [
            Record(type: 6, requestID: 1, content: head + body),
            Record(type: 6, requestID: 1, content: []),
            Record(type: 3, requestID: 1, content: [0, 0, 0, 0, 0, 0, 0, 0]),
        ])
    }

    @Test func contentLongerThanOneRecordIsSplitAtTheLimitAndKeptInOrder() {
        let head = Array("Status: 200 OK\r\n\r\n".utf8)
        let body = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let read = records(FastCGIRecords.answer(requestID: 258, parts: [head, body]))
        let stdout = read.filter { $0.type == 6 }
        #expect(stdout.map(\.content.count) == [65_535, 65_535, head.count + body.count - 2 * 65_535, 0])
        #expect(stdout.flatMap(\.content) == head + body)
        #expect(read.allSatisfy { $0.requestID == 258 })
        #expect(read.last?.type == 3)
    }

    @Test func emptyPartsNeverProduceAnEarlyEndOfStdout() {
        let head = Array("Status: 304 Not Modified\r\n\r\n".utf8)
        let read = records(FastCGIRecords.answer(requestID: 1, parts: [head, [], []]))
        #expect(read.map(\.content.count) == [head.count, 0, 8])
    }

    @Test func contentOfExactlyOneRecordNeedsNoSecond() {
        let body = [UInt8](repeating: 0x41, count: FastCGIRecords.maxContentLength)
        #expect(records(FastCGIRecords.answer(requestID: 1, parts: [body])).map(\.content.count) == [65_535, 0, 8])
    }

    /// The writev path (frame header, head, body, frame trailer) puts the same bytes on the wire as the framed one.
    @Test func theFrameAroundHeadAndBodyIsTheSameBytesAsTheFramedAnswer() {
        let head = Array("Status: 200 OK\r\n\r\n".utf8), body = Array(#"{"a":1}"#.utf8)
        var frame = [UInt8](repeating: 0xEE, count: 32)
        frame.withUnsafeMutableBytes { FastCGIRecords.writeFrame(requestID: 300, contentLength: head.count + body.count, into: $0) }
        #expect(Array(frame[..<8]) + head + body + Array(frame[8...]) == FastCGIRecords.answer(requestID: 300, parts: [head, body]))
    }
}
