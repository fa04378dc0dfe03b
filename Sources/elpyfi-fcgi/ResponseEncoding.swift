import ElpyfiCore

/// The CGI-style response nginx expects on FastCGI stdout: `Status:` line, headers, blank line, body.
enum ResponseEncoding {
    /// The `Status:` line and headers up to the blank line; the body follows as it is
    /// (the transport writes both into the same records).
    ///
    /// Bytes appended to one array, not a `String` built by interpolation: on a one-row answer the
    /// interpolated head was the worker's largest single cost (callgrind, bench/rest-instructions).
    static func head(_ response: APIResponse) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(192)
        head.append(contentsOf: "Status: ".utf8)
        appendDecimal(response.status, to: &head)
        head.append(UInt8(ascii: " "))
        append(APIResponse.reasonPhrase(response.status), to: &head)
        head.append(contentsOf: "\r\n".utf8)
        if let contentType = response.contentType {
            head.append(contentsOf: "Content-Type: ".utf8)
            append(contentType, to: &head)
            head.append(contentsOf: "\r\n".utf8)
        }
        if response.status != 304, response.header("Content-Length") == nil {
            head.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &head)
            head.append(contentsOf: "\r\n".utf8)
        }
        for (name, value) in response.headers {
            append(name, to: &head)
            head.append(contentsOf: ": ".utf8)
            append(value, to: &head)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
        return head
    }

    /// The bytes of `text`, copied in one go (`append(contentsOf: text.utf8)` walks the view).
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `value` (≥ 0) in decimal digits.
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var rest = max(0, value), count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
