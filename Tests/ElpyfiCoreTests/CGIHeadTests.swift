import ElpyfiCore
import Testing

/// The head as text, for readable expectations.
private func head(_ response: APIResponse) -> String {
    String(decoding: response.cgiHead, as: UTF8.self)
}

@Suite struct CGIHeadTests {
    @Test func okAnswerHasStatusTypeLengthItsHeadersThenABlankLine() {
        let response = APIResponse(status: 200, headers: [("ETag", "\"0123456789abcdef\""), ("Cache-Control", "no-cache")],
                                   body: Array(#"{"a":1}"#.utf8))
        #expect(head(response) == "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
            + "ETag: \"0123456789abcdef\"\r\nCache-Control: no-cache\r\n\r\n")
    }

    @Test func notModifiedHasNeitherTypeNorLength() {
        let response = APIResponse(status: 304, headers: [("ETag", "\"x\"")], contentType: nil)
        #expect(head(response) == "Status: 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
    }

    @Test func anAnswerThatCarriesItsOwnLengthGetsNoSecondOne() {
        // HEAD: the GET's length in a header, no body.
        let response = APIResponse(status: 200, headers: [("content-length", "12345")])
        #expect(head(response) == "Status: 200 OK\r\nContent-Type: application/json\r\ncontent-length: 12345\r\n\r\n")
    }

    @Test(arguments: [0, 9, 10, 99, 100, 12_600, 1_000_000])
    func lengthIsWrittenInDecimalAndCountedExactly(bodyCount: Int) {
        let response = APIResponse(status: 503, headers: [("Retry-After", "2")], contentType: "text/plain; version=0.0.4",
                                   body: [UInt8](repeating: 0x61, count: bodyCount))
        #expect(head(response) == "Status: 503 Service Unavailable\r\nContent-Type: text/plain; version=0.0.4\r\n"
            + "Content-Length: \(bodyCount)\r\nRetry-After: 2\r\n\r\n")
        #expect(response.cgiHead.count == response.cgiHeadCount)
    }

    @Test func nonASCIIHeaderValuesAreCopiedAsTheirUTF8() {
        let response = APIResponse(status: 418, headers: [("X-Note", "café")], contentType: nil)
        #expect(head(response) == "Status: 418 Status\r\nContent-Length: 0\r\nX-Note: café\r\n\r\n")
        #expect(response.cgiHead.count == response.cgiHeadCount)
    }
}
