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
        appendLiteral("Status: ", to: &head)
        appendDecimal(response.status, to: &head)
        head.append(UInt8(ascii: " "))
        append(APIResponse.reasonPhrase(response.status), to: &head)
        appendLiteral("\r\n", to: &head)
        if let contentType = response.contentType {
            appendLiteral("Content-Type: ", to: &head)
            append(contentType, to: &head)
            appendLiteral("\r\n", to: &head)
        }
        if response.status != 304, response.header("Content-Length") == nil {
            appendLiteral("Content-Length: ", to: &head)
            appendDecimal(response.body.count, to: &head)
            appendLiteral("\r\n", to: &head)
        }
        for (name, value) in response.headers {
            append(name, to: &head)
            appendLiteral(": ", to: &head)
            append(value, to: &head)
            appendLiteral("\r\n", to: &head)
        }
        appendLiteral("\r\n", to: &head)
        return head
    }

    /// The bytes of a literal, copied in one go (`append(contentsOf: "...".utf8)` walks a generic view:
    /// half of this function's cost on a one-row answer, bench/rest-instructions).
    private static func appendLiteral(_ text: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
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
