/// The bytes of a FastCGI responder's whole answer (FastCGI 1.0 spec, §3.3 and §5.5): stdout records
/// carrying the CGI response, the empty stdout record that ends the stream, and `FCGI_END_REQUEST`.
///
/// Plain Swift, no libfcgi: the worker builds an answer here and sends it with one write.
public enum FastCGIRecords {
    /// Largest content of one record (the length field is 16 bits).
    public static let maxContentLength = 65_535

    static let version: UInt8 = 1
    static let stdoutType: UInt8 = 6
    static let endRequestType: UInt8 = 3

    /// `parts` (e.g. header block, body), back to back, as stdout content, then the end of stdout and the
    /// end of the request with application status 0 and `FCGI_REQUEST_COMPLETE`.
    public static func answer(requestID: Int, parts: [[UInt8]]) -> [UInt8] {
        let contentLength = parts.reduce(0) { $0 + $1.count }
        let recordCount = (contentLength + maxContentLength - 1) / maxContentLength
        var wire: [UInt8] = []
        wire.reserveCapacity(contentLength + 8 * (recordCount + 2) + 8)
        var pending = contentLength
        var recordLeft = 0
        for part in parts {
            part.withUnsafeBufferPointer { part in
                var start = 0
                while start < part.count {
                    if recordLeft == 0 {
                        recordLeft = min(pending, maxContentLength)
                        appendHeader(type: stdoutType, requestID: requestID, contentLength: recordLeft, to: &wire)
                    }
                    let take = min(recordLeft, part.count - start)
                    wire.append(contentsOf: UnsafeBufferPointer(rebasing: part[start..<(start + take)]))
                    start += take
                    recordLeft -= take
                    pending -= take
                }
            }
        }
        wire.append(contentsOf: trailer(requestID: requestID))
        return wire
    }

    /// Writes, into 32 bytes at `frame`, the header of one stdout record carrying `contentLength` (at most
    /// `maxContentLength`) bytes, then the `trailer`: what goes around an answer that fits one record.
    public static func writeFrame(requestID: Int, contentLength: Int, into frame: UnsafeMutableRawBufferPointer) {
        precondition(frame.count >= 32 && contentLength <= maxContentLength)
        func header(at offset: Int, type: UInt8, length: Int) {
            frame[offset] = version
            frame[offset + 1] = type
            frame[offset + 2] = UInt8(truncatingIfNeeded: requestID >> 8)
            frame[offset + 3] = UInt8(truncatingIfNeeded: requestID)
            frame[offset + 4] = UInt8(truncatingIfNeeded: length >> 8)
            frame[offset + 5] = UInt8(truncatingIfNeeded: length)
            frame[offset + 6] = 0
            frame[offset + 7] = 0
        }
        header(at: 0, type: stdoutType, length: contentLength)
        header(at: 8, type: stdoutType, length: 0)
        header(at: 16, type: endRequestType, length: 8)
        for offset in 24..<32 { frame[offset] = 0 }  // app status 0, FCGI_REQUEST_COMPLETE, reserved
    }

    /// What follows the last stdout record: the empty stdout record that ends the stream (only here, never for
    /// an empty part), then `FCGI_END_REQUEST` with application status 0 and `FCGI_REQUEST_COMPLETE`.
    public static func trailer(requestID: Int) -> [UInt8] {
        var wire: [UInt8] = []
        wire.reserveCapacity(24)
        appendHeader(type: stdoutType, requestID: requestID, contentLength: 0, to: &wire)
        appendHeader(type: endRequestType, requestID: requestID, contentLength: 8, to: &wire)
        wire.append(contentsOf: [0, 0, 0, 0, 0 /* FCGI_REQUEST_COMPLETE */, 0, 0, 0])
        return wire
    }

    /// version, type, request id (big-endian), content length (big-endian), padding 0, reserved.
    private static func appendHeader(type: UInt8, requestID: Int, contentLength: Int, to wire: inout [UInt8]) {
        wire.append(contentsOf: [
            version, type, UInt8(truncatingIfNeeded: requestID >> 8), UInt8(truncatingIfNeeded: requestID),
            UInt8(truncatingIfNeeded: contentLength >> 8), UInt8(truncatingIfNeeded: contentLength), 0, 0,
        ])
    }
}
