/// The FastCGI records that carry one whole answer, laid out for a single gathering write (`writev`): `FCGI_STDOUT`
/// records holding the CGI head and then the body, the empty `FCGI_STDOUT` record that ends the stream, and
/// `FCGI_END_REQUEST` (application status 0, `FCGI_REQUEST_COMPLETE`).
///
/// Why not libfcgi's stream: it copies the answer into a fixed 8 kB buffer (set in `FCGX_Accept_r`) and writes each
/// time that buffer fills, the rest with the end records in `FCGX_Finish_r`: a 12.6 kB `/positions` answer cost a
/// copy of its body and two `write`s. Here only the 8-byte record headers are built; the head and the body are sent
/// from where they already are. Pure (no I/O), so the framing is tested on its own: `FastCGIRequest` performs it.
///
/// No padding: a record's `paddingLength` is a recommendation of the protocol (FastCGI 1.0, 3.3), and nginx reads
/// whatever it says, including 0 (`ngx_http_fastcgi_process_record`). Padding would only add iovecs.
public struct FastCGIAnswerRecords: Sendable {
    /// The most content one record holds (its length is 16 bits).
    public static let maxContent = 0xFFFF

    /// Where a piece of the answer's wire bytes comes from.
    public enum Source: Sendable, Equatable {
        /// `framing`, the record headers built here.
        case framing
        /// The CGI head (`Status:`, headers, blank line).
        case head
        /// The body.
        case body
    }

    /// `count` bytes from `offset` of `source`; the wire bytes are the pieces in order.
    public struct Piece: Sendable, Equatable {
        /// Which buffer the bytes are in: one iovec's base is that buffer's start plus `offset`.
        public let source: Source
        /// Where in `source` the bytes start.
        public let offset: Int
        /// How many bytes, never 0 (an empty iovec would only lengthen the write).
        public let count: Int

        /// `count` bytes of `source` from `offset`.
        public init(_ source: Source, offset: Int, count: Int) {
            self.source = source
            self.offset = offset
            self.count = count
        }
    }

    /// Every content record's 8-byte header in order, then the 24 bytes that end the answer (the empty `FCGI_STDOUT`
    /// record and `FCGI_END_REQUEST`).
    public let framing: [UInt8]
    /// The answer as pieces of `framing`, the head and the body; no piece is empty.
    public let pieces: [Piece]

    /// The records of an answer of `headCount` head bytes then `bodyCount` body bytes to request `requestID`.
    /// An empty answer (no head, no body: never sent by the worker) has no content record, as libfcgi does.
    /// (Arrays, for tests and checks; `FastCGIRequest` runs the same two steps on stack memory.)
    public init(requestID: Int, headCount: Int, bodyCount: Int) {
        let contentLength = headCount + bodyCount
        let framingCount = Self.framingCount(contentLength: contentLength)
        framing = [UInt8](unsafeUninitializedCapacity: framingCount) { buffer, count in
            Self.writeFraming(requestID: requestID, contentLength: contentLength,
                              into: UnsafeMutableRawBufferPointer(buffer))
            count = buffer.count
        }
        var pieces: [Piece] = []
        Self.forEachPiece(headCount: headCount, bodyCount: bodyCount) { pieces.append($0) }
        self.pieces = pieces
    }

    /// How many content records an answer of `contentLength` bytes takes.
    static func recordCount(contentLength: Int) -> Int { (contentLength + maxContent - 1) / maxContent }

    /// The bytes of `framing` for an answer of `contentLength` bytes.
    static func framingCount(contentLength: Int) -> Int { recordCount(contentLength: contentLength) * 8 + 24 }

    /// At most how many pieces an answer of `contentLength` bytes takes (a record may hold the end of the head and
    /// the start of the body).
    static func pieceLimit(contentLength: Int) -> Int { recordCount(contentLength: contentLength) * 3 + 1 }

    /// Writes `framing` (`framingCount` bytes) into `buffer`.
    static func writeFraming(requestID: Int, contentLength: Int, into buffer: UnsafeMutableRawBufferPointer) {
        var at = 0
        var left = contentLength
        while left > 0 {
            let length = min(maxContent, left)
            writeHeader(buffer, at, type: stdoutType, requestID: requestID, contentLength: length)
            at += 8
            left -= length
        }
        writeHeader(buffer, at, type: stdoutType, requestID: requestID, contentLength: 0)
        writeHeader(buffer, at + 8, type: endRequestType, requestID: requestID, contentLength: 8)
        // appStatus (4 bytes, 0), protocolStatus FCGI_REQUEST_COMPLETE (0), 3 reserved.
        buffer.storeBytes(of: 0, toByteOffset: at + 16, as: UInt64.self)
    }

    /// Calls `body` with each piece of the answer, in wire order.
    @inline(__always)
    static func forEachPiece(headCount: Int, bodyCount: Int, _ body: (Piece) -> Void) {
        let total = headCount + bodyCount
        var position = 0
        var record = 0
        while position < total {
            let end = position + min(maxContent, total - position)
            body(Piece(.framing, offset: record * 8, count: 8))
            if position < headCount {
                body(Piece(.head, offset: position, count: min(end, headCount) - position))
            }
            if end > headCount {
                let from = max(position, headCount) - headCount
                body(Piece(.body, offset: from, count: end - headCount - from))
            }
            position = end
            record += 1
        }
        body(Piece(.framing, offset: record * 8, count: 24))
    }

    /// The wire bytes of the answer `head` + `body` (what the gathering write sends; for tests and checks).
    public func bytes(head: [UInt8], body: [UInt8]) -> [UInt8] {
        var wire: [UInt8] = []
        for piece in pieces {
            let source = switch piece.source {
            case .framing: framing
            case .head: head
            case .body: body
            }
            wire += source[piece.offset..<piece.offset + piece.count]
        }
        return wire
    }

    static let stdoutType: UInt8 = 6
    static let endRequestType: UInt8 = 3

    /// A record header at `offset`: version 1, `type`, request id and content length big-endian, no padding,
    /// reserved 0.
    private static func writeHeader(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int, type: UInt8, requestID: Int,
                                    contentLength: Int) {
        buffer[offset] = 1
        buffer[offset + 1] = type
        buffer[offset + 2] = UInt8(truncatingIfNeeded: requestID >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: requestID)
        buffer[offset + 4] = UInt8(truncatingIfNeeded: contentLength >> 8)
        buffer[offset + 5] = UInt8(truncatingIfNeeded: contentLength)
        buffer[offset + 6] = 0
        buffer[offset + 7] = 0
    }
}
