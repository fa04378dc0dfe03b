import ElpyfiRuntime
import Testing

@Suite struct LogTests {
    @Test func aLineIsOneJSONObjectWithTheRequestID() {
        let line = String(decoding: Log.line(time: "2026-12-01T00:00:00.000Z", level: .error, component: "fcgi",
                                             message: "a \"quoted\"\nsecond line", requestID: "0123abcd"), as: UTF8.self)
        #expect(line == #"{"time":"2026-12-01T00:00:00.000Z","level":"error","component":"fcgi","msg":"a \"quoted\"\nsecond line","request_id":"0123abcd"}"#)
        #expect(!line.contains("\n"))
    }

    @Test func aLineWithoutARequestHasNoRequestID() {
        let line = String(decoding: Log.line(time: "t", level: .info, component: "stream", message: "ok", requestID: nil), as: UTF8.self)
        #expect(line == #"{"time":"t","level":"info","component":"stream","msg":"ok"}"#)
    }
}
