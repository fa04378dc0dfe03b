import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// One thread's reusable FastCGI request slot: take the next connection with a request from the server's set, let
/// libfcgi read that request, answer it in one write of our own, hand the connection back, repeat.
///
/// libfcgi does the protocol (records, params, stdin, the end of a request not answered); only the accept and the
/// answer's write are ours (`respond`). `FCGX_Accept_r` given a request whose `ipcFd` is open (`>= 0`) skips its
/// accept and reads the next request from that connection: libfcgi's keep-alive path, entered here for whichever
/// connection epoll woke this thread for.
/// Owned by exactly one thread for its whole life (libfcgi's `FCGX_Request` is not thread-safe), hence
/// `@unchecked Sendable` only to hand it over at start.
public final class FastCGIRequest: @unchecked Sendable {
    private let server: FastCGIServer
    private let request: UnsafeMutablePointer<FCGX_Request>
    /// True from a successful `accept()` to `finish()`.
    private var holding = false
    /// Whether the current request's stdin was read to its end, once `respond` has read it (nil before).
    private var inputEnded: Bool?

    /// A slot taking requests from `server`'s connections.
    public init(server: FastCGIServer) {
        self.server = server
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        // No listening socket: libfcgi falls back to its (blocking) accept only when the connection it was given
        // fails before a whole request; on -1 that accept (and its lock, in builds that take one) fails at once
        // (EBADF), so no thread ever waits in accept and the failure comes back as a negative `FCGX_Accept_r`.
        FCGX_InitRequest(request, -1, 0)
    }

    deinit {
        finish()
        request.deallocate()
    }

    /// Finishes the previous request and waits for the next; false once the server stops.
    public func accept() -> Bool {
        finish()
        while let ready = server.nextReadyConnection() {
            let descriptor = ready.descriptor
            // A connection the peer closed is checked here, not handed to libfcgi (see `init`). One that is merely
            // readable goes straight to libfcgi: nginx sends a whole request at once, and the peek would cost a
            // system call per request.
            if ready.hungUp, !hasInput(descriptor) { continue }
            // `FCGX_Accept_r` first finishes the previous request (`FCGX_Finish_r`), which closes `ipcFd` unless
            // `keepConnection` is set; libfcgi sets it again from the request's `FCGI_KEEP_CONN`.
            request.pointee.ipcFd = descriptor
            request.pointee.keepConnection = 1
            if FCGX_Accept_r(request) >= 0 {
                holding = true
                return true
            }
            // Not a request (the peer closed mid-way, or not FastCGI): libfcgi closed the connection.
            request.pointee.ipcFd = -1
        }
        return false
    }

    /// True when `descriptor` (hung up) still has bytes to read; one without (the peer closed it, or it failed) is
    /// closed here. Peeked, not read: libfcgi reads the request, and handing it a closed connection would only send
    /// it into its accept (see `init`).
    private func hasInput(_ descriptor: Int32) -> Bool {
        var byte: UInt8 = 0
        while true {
            let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if peeked > 0 { return true }
            if peeked < 0 && errno == EINTR { continue }
            if peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                server.rearm(descriptor)
            } else {
                server.close(descriptor)
            }
            return false
        }
    }

    /// A CGI parameter of the current request (`REQUEST_URI`, `HTTP_X_API_KEY`, ...): the first value libfcgi read.
    public func parameter(_ name: String) -> String? {
        var value: String?
        forEachValue(of: name) { entry in
            value = String(cString: entry)
            return false
        }
        return value
    }

    /// Every value of a parameter that may occur more than once.
    ///
    /// nginx before 1.23 passes each repeated request header as its own `HTTP_*` parameter, and `FCGX_GetParam`
    /// would return only the first: a valid `X-API-Key` line followed by a junk one must not pass as valid.
    public func parameterValues(_ name: String) -> [String] {
        var values: [String] = []
        forEachValue(of: name) { entry in
            values.append(String(cString: entry))
            return true
        }
        return values
    }

    /// Calls `body` with each value of `name` in libfcgi's `NAME=value` list (`envp`), in order, while it returns
    /// true. The name's bytes are compared in place: no C string made of it, nothing allocated (what `FCGX_GetParam`
    /// and a built `NAME=` prefix cost: ~1 k instructions per request, bench/rest-instructions).
    private func forEachValue(of name: String, _ body: (UnsafePointer<CChar>) -> Bool) {
        guard holding, var cursor = request.pointee.envp else { return }
        var name = name
        name.withUTF8 { wanted in
            while let entry = cursor.pointee {
                if Self.entry(entry, isNamed: wanted), !body(entry + wanted.count + 1) { return }
                cursor += 1
            }
        }
    }

    /// True when the `NAME=value` entry's name is `wanted` (a shorter entry stops at its NUL, which no name holds).
    private static func entry(_ entry: UnsafeMutablePointer<CChar>,
                              isNamed wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<wanted.count where UInt8(bitPattern: entry[index]) != wanted[index] { return false }
        return entry[wanted.count] == 0x3D  // "="
    }

    /// Sends the whole answer, `head` (the CGI header block) then `body`, with the end of the request, in one
    /// gathering write straight to the connection (`FastCGIAnswerRecords`: record headers built here, head and body
    /// sent from where they are), and marks libfcgi's stdout stream closed so that `finish()` writes nothing more.
    /// libfcgi's own stream would copy the body into its 8 kB buffer and write each time it fills: a 12.6 kB
    /// `/positions` answer cost a copy and two `write`s. One answer per request: a second call returns false and
    /// sends nothing. False when the connection failed (nginx gave up on the request); `finish()` then closes it.
    @discardableResult
    public func respond(head: [UInt8], body: [UInt8]) -> Bool {
        head.withUnsafeBytes { respond(head: $0, body: body) }
    }

    /// The same with the head in memory the caller owns (the worker writes it on its stack: no array per answer).
    @discardableResult
    public func respond(head: UnsafeRawBufferPointer, body: [UInt8]) -> Bool {
        guard holding, let out = request.pointee.out, out.pointee.wasFCloseCalled == 0, out.pointee.isClosed == 0,
              request.pointee.ipcFd >= 0 else { return false }
        // Stdin is read before the end of the request goes out, as when libfcgi sent it from `FCGX_Finish_r`: once
        // nginx has `FCGI_END_REQUEST` it may send the next request on a kept connection, and a read for the rest of
        // this one's stdin could then take the start of that one into a buffer freed with this. The read stops at
        // 64 KiB (nginx sends none: `fastcgi_pass_request_body off`); when that leaves the end of stdin unread,
        // `finish()` closes the connection rather than keep it: its next bytes would be what is left of this stdin
        // (past what libfcgi had buffered, which is dropped with the request), and libfcgi would read them as a
        // broken next request.
        inputEnded = inputReadToEnd()
        let descriptor = request.pointee.ipcFd
        let contentLength = head.count + body.count
        // Record headers and iovecs on the stack (Swift puts up to 1 kB there: the heap only for answers past about a
        // megabyte): no allocation per answer.
        let failure: Int32 = withUnsafeTemporaryAllocation(
            byteCount: FastCGIAnswerRecords.framingCount(contentLength: contentLength), alignment: 8
        ) { framing in
            FastCGIAnswerRecords.writeFraming(requestID: Int(request.pointee.requestId), contentLength: contentLength,
                                              into: framing)
            return body.withUnsafeBytes { body in
                withUnsafeTemporaryAllocation(
                    of: iovec.self, capacity: FastCGIAnswerRecords.pieceLimit(contentLength: contentLength)
                ) { iovecs in
                    var count = 0
                    FastCGIAnswerRecords.forEachPiece(headCount: head.count, bodyCount: body.count) { piece in
                        let base = switch piece.source {
                        case .framing: UnsafeRawPointer(framing.baseAddress!)
                        case .head: head.baseAddress!
                        case .body: body.baseAddress!
                        }
                        iovecs[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + piece.offset),
                                              iov_len: piece.count)
                        count += 1
                    }
                    let vectors = UnsafeMutableBufferPointer(rebasing: iovecs[..<count])
                    return GatheringWrite.writeAll(descriptor, vectors)
                }
            }
        }
        closeOutput(failure: failure)
        return failure == 0
    }

    /// Marks libfcgi's stdout stream as already closed, as `FCGX_FClose` leaves it, so that `FCGX_Finish_r` (which
    /// closes stderr first, then stdout) skips stdout's close: its buffer, empty since nothing was put in it, is
    /// not sent, nor its end records (`respond` sent them). Stderr, never written, sends nothing on its close: no
    /// empty stderr record (none was started) and no `FCGI_END_REQUEST` (libfcgi writes that only from the last
    /// of its two writers to close, and stdout is never closed through it). `FCGX_Finish_r` still frees the
    /// streams and the params, and keeps or closes the connection as before: a failed write is recorded as the
    /// stream's error, which `FCGX_FClose` returns as `EOF` and `FCGX_Finish_r` answers by closing the connection,
    /// just as for a write libfcgi itself failed.
    private func closeOutput(failure: Int32) {
        guard let out = request.pointee.out else { return }
        if failure != 0, out.pointee.FCGI_errno == 0 { out.pointee.FCGI_errno = failure }
        out.pointee.wasFCloseCalled = 1
        out.pointee.isClosed = 1
        out.pointee.stop = out.pointee.wrNext
        out.pointee.rdNext = out.pointee.wrNext
    }

    /// Ends the current request (`FCGX_Finish_r`: end of stdout and `FCGI_END_REQUEST`, unless `respond` sent them;
    /// frees the request's streams and params). When nginx keeps the connection (`FCGI_KEEP_CONN`), stdin was read
    /// to its end and all went well, libfcgi leaves it open: it is taken back from libfcgi and returned to the set.
    /// Otherwise libfcgi has closed it.
    public func finish() {
        guard holding else { return }
        holding = false
        // libfcgi's own close lingers (shutdown, then wait up to 2 s for the peer to close first) so that unread input
        // cannot turn into a reset that loses the answer. Once stdin is read to its end there is nothing left to
        // reset, so the close is plain (`FCGX_Detach`). Reading to the end also leaves a kept connection at the start
        // of its next request; a connection whose stdin was not read to its end is not kept (libfcgi keeps one only
        // on `keepConnection` and no stream error): its next bytes are the rest of this stdin, not a request.
        if inputEnded ?? inputReadToEnd() {
            FCGX_Detach(request)
        } else {
            request.pointee.keepConnection = 0
        }
        inputEnded = nil
        FCGX_Finish_r(request)
        let descriptor = request.pointee.ipcFd
        guard descriptor >= 0 else { return }
        request.pointee.ipcFd = -1
        request.pointee.detached = 0
        server.rearm(descriptor)
    }

    /// Reads what is left of the request's stdin (nginx sends none: `fastcgi_pass_request_body off`, only the
    /// empty end record), at most 64 KiB; true when its end was seen. The discard buffer is small enough for Swift to
    /// put on the stack (1 kB at most): at 4 kB it was a malloc and a free per request (~0.6k instructions, callgrind,
    /// bench/rest-instructions) for bytes that never come.
    private func inputReadToEnd() -> Bool {
        guard let input = request.pointee.in else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { discard in
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
