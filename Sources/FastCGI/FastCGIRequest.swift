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

    /// Sends the whole answer, `parts` back to back (header block, body), in one write: stdout records,
    /// the end of stdout and the end of the request (`FastCGIRecords`). libfcgi's own writer sends at most
    /// 8 kB per write (its stream buffer is fixed), so a 17 kB `/positions` answer took three writes and
    /// three wake-ups of nginx. libfcgi's stdout stream is then marked closed, so `finish()` sends nothing
    /// more. False when the connection failed (nginx gave up on the request); `finish()` still closes it.
    @discardableResult
    public func respond(_ parts: [[UInt8]]) -> Bool {
        let wire = FastCGIRecords.answer(requestID: Int(request.pointee.requestId), parts: parts)
        if let out = request.pointee.out {
            out.pointee.wasFCloseCalled = 1
            out.pointee.isClosed = 1
        }
        let descriptor = request.pointee.ipcFd
        return wire.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + sent, bytes.count - sent)
                if written < 0 {
                    if errno == EINTR { continue }  // SIGUSR1 (shutdown wake-up) may land mid-write
                    return false
                }
                sent += written
            }
            return true
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
