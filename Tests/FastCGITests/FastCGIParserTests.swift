import FastCGI
import Testing

/// Records as nginx writes them: header (version 1, type, id, length, padding), content, padding.
private func record(_ type: UInt8, id: Int = 1, _ content: [UInt8] = [], padding: Int = 0) -> [UInt8] {
    [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0]
        + content + [UInt8](repeating: 0, count: padding)
}

/// One name-value pair, with 4-byte lengths where a length is 128 or more (FastCGI §3.4).
private func pair(_ name: String, _ value: String) -> [UInt8] {
    func length(_ count: Int) -> [UInt8] {
        count < 128 ? [UInt8(count)] : [UInt8(count >> 24) | 0x80, UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
    }
    return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
}

private func begin(keep: Bool, id: Int = 1) -> [UInt8] { record(1, id: id, [0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0]) }

private func request(keep: Bool = true, id: Int = 1, params: [(String, String)]) -> [UInt8] {
    let stream = params.flatMap { pair($0.0, $0.1) }
    return begin(keep: keep, id: id) + record(4, id: id, stream, padding: (8 - stream.count % 8) % 8) + record(4, id: id)
        + record(5, id: id)
}

private func parse(_ bytes: [UInt8]) -> FastCGIParser.Outcome {
    bytes.withUnsafeBufferPointer(FastCGIParser.parse)
}

@Suite struct FastCGIParserTests {
    @Test func aWholeRequestGivesItsIdKeepFlagAndParameters() throws {
        let bytes = request(id: 258, params: [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/pdt/status"), ("HTTP_X_API_KEY", "k1")])
        guard case .request(let head, let consumed) = parse(bytes) else { Issue.record("not a request"); return }
        #expect(consumed == bytes.count)
        #expect(head.requestID == 258)
        #expect(head.keepConnection)
        #expect(head.parameter("REQUEST_URI") == "/pdt/status")
        #expect(head.parameter("REQUEST_METHOD") == "GET")
        #expect(head.parameter("HTTP_IF_NONE_MATCH") == nil)
        #expect(head.parameter("REQUEST") == nil, "a prefix of a name is not the name")
    }

    @Test func withoutKeepConnTheConnectionIsNotKept() {
        guard case .request(let head, _) = parse(request(keep: false, params: [("A", "b")])) else { Issue.record("not a request"); return }
        #expect(!head.keepConnection)
    }

    @Test func everyPrefixOfARequestIsIncomplete() {
        let bytes = request(params: [("REQUEST_URI", "/positions"), ("LONG", String(repeating: "x", count: 300))])
        for cut in 0..<bytes.count {
            #expect(parse(Array(bytes[..<cut])) == .incomplete, "cut at \(cut)")
        }
    }

    @Test func longValuesUseFourByteLengths() {
        let value = String(repeating: "v", count: 10_000)
        guard case .request(let head, _) = parse(request(params: [("HTTP_X_API_KEY", value)])) else { Issue.record("not a request"); return }
        #expect(head.parameter("HTTP_X_API_KEY") == value)
    }

    @Test func repeatedParametersAreAllKept() {
        guard case .request(let head, _) = parse(request(params: [("HTTP_X_API_KEY", "good"), ("HTTP_X_API_KEY", "junk")])) else {
            Issue.record("not a request"); return
        }
        #expect(head.parameterValues("HTTP_X_API_KEY") == ["good", "junk"])
        #expect(head.parameter("HTTP_X_API_KEY") == "good")
    }

    @Test func theNextRequestOnAKeptConnectionIsLeftForLater() {
        let first = request(id: 1, params: [("REQUEST_URI", "/a")])
        let second = request(id: 1, params: [("REQUEST_URI", "/b")])
        guard case .request(let head, let consumed) = parse(first + second) else { Issue.record("not a request"); return }
        #expect(head.parameter("REQUEST_URI") == "/a")
        #expect(consumed == first.count)
    }

    @Test func bodyBytesAndManagementRecordsAreSkipped() {
        let bytes = record(9, id: 0, pair("FCGI_MAX_CONNS", "")) + begin(keep: true) + record(4, pair("A", "1")) + record(4)
            + record(5, Array("ignored".utf8)) + record(5)
        guard case .request(let head, _) = parse(bytes) else { Issue.record("not a request"); return }
        #expect(head.parameter("A") == "1")
    }

    @Test func notFastCGIIsInvalid() {
        #expect(parse(Array("GET / HTTP/1.1\r\n\r\n".utf8)) == .invalid)
        #expect(parse(record(4, pair("A", "1"))) == .invalid, "params before BEGIN_REQUEST")
        #expect(parse(begin(keep: true) + record(4, [5, 1, 65])) == .incomplete, "a bad pair is judged at the end of the stream")
        #expect(parse(begin(keep: true) + record(4, [5, 1, 65]) + record(4) + record(5)) == .invalid)
    }
}
