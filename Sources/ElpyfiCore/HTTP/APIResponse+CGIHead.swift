/// The CGI-style head nginx expects on FastCGI stdout: the `Status:` line and the headers up to the blank line
/// (the transport sends the body after it, as it is).
///
/// Counted, then written straight into memory the caller owns (the worker: its stack): no array and no growth. The
/// head appended to a `[UInt8]` (an allocation and fifteen appends) cost 2.9k instructions of a 40k `/pdt/status`
/// request (callgrind, bench/rest-instructions).
extension APIResponse {
    /// The bytes `writeCGIHead(into:)` writes.
    public var cgiHeadCount: Int {
        var count = "Status: ".utf8.count + CGIHeadWriter.digitCount(status) + 1 + APIResponse.reasonPhrase(status).utf8.count + 2
        if let contentType { count += "Content-Type: ".utf8.count + contentType.utf8.count + 2 }
        if sendsContentLength { count += "Content-Length: ".utf8.count + CGIHeadWriter.digitCount(body.count) + 2 }
        for (name, value) in headers { count += name.utf8.count + 2 + value.utf8.count + 2 }
        return count + 2
    }

    /// Writes the head into `buffer`, which holds at least `cgiHeadCount` bytes; the bytes written.
    public func writeCGIHead(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var head = CGIHeadWriter(buffer)
        head.put("Status: ")
        head.put(decimal: status)
        head.put(" ")
        head.put(text: APIResponse.reasonPhrase(status))
        head.put("\r\n")
        if let contentType {
            head.put("Content-Type: ")
            head.put(text: contentType)
            head.put("\r\n")
        }
        if sendsContentLength {
            head.put("Content-Length: ")
            head.put(decimal: body.count)
            head.put("\r\n")
        }
        for (name, value) in headers {
            head.put(text: name)
            head.put(": ")
            head.put(text: value)
            head.put("\r\n")
        }
        head.put("\r\n")
        return head.written
    }

    /// The head as an array (tests, and answers off the hot path).
    public var cgiHead: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: cgiHeadCount) { buffer, count in
            count = writeCGIHead(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Every answer but a 304 says its length, unless it carries its own (HEAD: the GET's length, no body).
    private var sendsContentLength: Bool { status != 304 && header("Content-Length") == nil }
}

/// A write position in a buffer bounded beforehand; every write checks it stays inside.
private struct CGIHeadWriter {
    private let start: UnsafeMutableRawPointer
    private var position: UnsafeMutableRawPointer
    private let end: UnsafeMutableRawPointer

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        start = buffer.baseAddress!
        position = start
        end = start + buffer.count
    }

    /// The bytes written so far.
    var written: Int { position - start }

    @inline(__always)
    mutating func put(_ text: StaticString) {
        put(UnsafeRawPointer(text.utf8Start), count: text.utf8CodeUnitCount)
    }

    /// A `String`'s bytes (a literal would pick this over `put(_: StaticString)` if the label did not tell them apart).
    @inline(__always)
    mutating func put(text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { put(UnsafeRawPointer($0.baseAddress!), count: $0.count) }
        if copied == nil { for byte in text.utf8 { put(byte) } }  // a bridged string; never on Linux
    }

    @inline(__always)
    mutating func put(_ source: UnsafeRawPointer, count: Int) {
        precondition(count <= end - position, "CGI head longer than counted")
        position.copyMemory(from: source, byteCount: count)
        position += count
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        precondition(position < end, "CGI head longer than counted")
        position.storeBytes(of: byte, as: UInt8.self)
        position += 1
    }

    /// `value` (≥ 0) in decimal digits.
    mutating func put(decimal value: Int) {
        let count = Self.digitCount(value)
        precondition(count <= end - position, "CGI head longer than counted")
        var rest = max(0, value)
        for index in (0..<count).reversed() {
            position.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: index, as: UInt8.self)
            rest /= 10
        }
        position += count
    }

    /// The digits of `value` (≥ 0; 1 for 0).
    static func digitCount(_ value: Int) -> Int {
        var count = 1, rest = max(0, value)
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }
}
