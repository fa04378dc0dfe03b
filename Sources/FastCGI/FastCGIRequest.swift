import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// One thread's reusable FastCGI request slot: accept, read params, write, repeat.
///
/// Owned by exactly one thread for its whole life (libfcgi's `FCGX_Request`
/// is not thread-safe), hence `@unchecked Sendable` only to hand it over at start.
public final class FastCGIRequest: @unchecked Sendable {
    private let request: UnsafeMutablePointer<FCGX_Request>

    /// A slot that accepts on `listener`.
    public init(listener: FastCGIListener) {
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        FCGX_InitRequest(request, listener.descriptor, 0)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Finishes the previous request and waits for the next; false once shutdown began or the socket failed.
    public func accept() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    /// A CGI parameter of the current request (`REQUEST_URI`, `HTTP_X_API_KEY`, ...).
    public func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// Every value of a parameter that may occur more than once.
    ///
    /// nginx before 1.23 passes each repeated request header as its own
    /// `HTTP_*` parameter, and `FCGX_GetParam` would return only the first:
    /// a valid `X-API-Key` line followed by a junk one must not pass as valid.
    public func parameterValues(_ name: String) -> [String] {
        let prefix = Array((name + "=").utf8)
        var values: [String] = []
        guard var cursor = request.pointee.envp else { return values }
        while let entry = cursor.pointee {
            let matches = prefix.indices.allSatisfy { entry[$0] != 0 && UInt8(bitPattern: entry[$0]) == prefix[$0] }
            if matches { values.append(String(cString: entry + prefix.count)) }
            cursor += 1
        }
        return values
    }

    /// Sends the whole answer, `parts` back to back (header block, body), in one system call: stdout records,
    /// the end of stdout and the end of the request (`FastCGIRecords`). libfcgi's own writer sends at most
    /// 8 kB per write (its stream buffer is fixed), so a 17 kB `/positions` answer took three writes and
    /// three wake-ups of nginx. An answer that fits one record (64 kB, nearly all of them) goes out with
    /// `writev` straight from `parts`, without copying the body; a longer one is framed into one buffer.
    /// libfcgi's stdout stream is then marked closed, so `finish()` sends nothing more. False when the
    /// connection failed (nginx gave up on the request); `finish()` still closes it.
    @discardableResult
    public func respond(_ parts: [[UInt8]]) -> Bool {
        let requestID = Int(request.pointee.requestId)
        if let out = request.pointee.out {
            out.pointee.wasFCloseCalled = 1
            out.pointee.isClosed = 1
        }
        let contentLength = parts.reduce(0) { $0 + $1.count }
        let pieces: [[UInt8]] = contentLength <= FastCGIRecords.maxContentLength
            ? [FastCGIRecords.stdoutHeader(requestID: requestID, contentLength: contentLength)] + parts
                + [FastCGIRecords.trailer(requestID: requestID)]
            : [FastCGIRecords.answer(requestID: requestID, parts: parts)]
        return FastCGIRequest.writeAll(pieces, to: request.pointee.ipcFd)
    }

    /// `writev` of every piece in order, resumed after a short write or `EINTR` (SIGUSR1, the shutdown
    /// wake-up, may land mid-write); false on any other error.
    static func writeAll(_ pieces: [[UInt8]], to descriptor: Int32) -> Bool {
        var vectors = [iovec](repeating: iovec(), count: pieces.count)
        return withPinned(pieces, into: &vectors) { vectors in
            var first = 0
            while first < vectors.count {
                let written = writev(descriptor, vectors.baseAddress! + first, Int32(vectors.count - first))
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                var left = written
                while first < vectors.count, left >= vectors[first].iov_len {
                    left -= vectors[first].iov_len
                    first += 1
                }
                if left > 0 {
                    vectors[first].iov_base += left
                    vectors[first].iov_len -= left
                }
            }
            return true
        }
    }

    /// Calls `body` with one `iovec` per piece, each pointing at that piece's bytes for the call's duration.
    private static func withPinned<R>(_ pieces: [[UInt8]], into vectors: inout [iovec], index: Int = 0,
                                      _ body: (UnsafeMutableBufferPointer<iovec>) -> R) -> R {
        guard index < pieces.count else { return vectors.withUnsafeMutableBufferPointer { body($0) } }
        return pieces[index].withUnsafeBytes { bytes in
            vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            return withPinned(pieces, into: &vectors, index: index + 1, body)
        }
    }

    /// Ends the current request now (the next `accept` would too) and closes its connection at once.
    ///
    /// libfcgi's own close lingers: shutdown, then wait up to 2 s for nginx to close first, so
    /// that unread input can never turn into a TCP reset that loses the response. That wait
    /// holds this thread idle for as long as nginx takes to get to the answer (under load, a
    /// sizeable share of each request). Once the request's input is read to its end there is
    /// nothing left to reset, so the connection is closed plainly (`FCGX_Detach` tells
    /// `FCGX_Finish_r` to skip the linger); otherwise libfcgi lingers as usual.
    public func finish() {
        if inputReadToEnd() { FCGX_Detach(request) }
        FCGX_Finish_r(request)
    }

    /// Reads what is left of the request's stdin (nginx sends none: `fastcgi_pass_request_body off`,
    /// only the empty end record), at most 64 KiB; true when its end was seen.
    private func inputReadToEnd() -> Bool {
        guard let input = request.pointee.in else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { discard in
            var budget = 64 * 1024
            while budget > 0 {
                let read = FCGX_GetStr(discard.baseAddress, Int32(discard.count), input)
                if read <= 0 { break }
                budget -= Int(read)
            }
            return FCGX_HasSeenEOF(input) != 0
        }
    }
}
