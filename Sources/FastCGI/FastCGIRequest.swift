#if canImport(Glibc)
import Glibc
#endif

/// One thread's request slot: wait for the next request on any connection, read its params, answer, repeat.
///
/// Owned by exactly one thread for its whole life, hence `@unchecked Sendable` only to hand it over at start.
public final class FastCGIRequest: @unchecked Sendable {
    private let server: FastCGIServer
    /// The connection whose request this slot holds, nil between requests.
    private var connection: FastCGIConnection?
    /// A connection that already holds the start of its next request (read together with this one).
    private var ready: FastCGIConnection?
    private var head: FastCGIRequestHead?
    private var answered = true

    /// A slot taking requests from `server`'s connections.
    public init(server: FastCGIServer) {
        self.server = server
    }

    /// Finishes the previous request and waits for the next; false once the server stops.
    public func accept() -> Bool {
        finish()
        while true {
            let next: FastCGIConnection
            if let ready {
                next = ready
                self.ready = nil
            } else {
                guard let waiting = server.nextReadyConnection() else { return false }
                guard waiting.readAvailable() else {
                    server.close(waiting)
                    continue
                }
                next = waiting
            }
            let outcome = next.received.withUnsafeBufferPointer(FastCGIParser.parse)
            switch outcome {
            case .incomplete:
                server.rearm(next)
            case .invalid:
                server.close(next)
            case .request(let request, let consumed):
                next.consume(consumed)
                connection = next
                head = request
                answered = false
                return true
            }
        }
    }

    /// A CGI parameter of the current request (`REQUEST_URI`, `HTTP_X_API_KEY`, ...).
    public func parameter(_ name: String) -> String? {
        head?.parameter(name)
    }

    /// Every value of a parameter that may occur more than once (`FastCGIRequestHead.parameterValues`).
    public func parameterValues(_ name: String) -> [String] {
        head?.parameterValues(name) ?? []
    }

    /// Sends the whole answer, `parts` back to back (header block, body), in one system call: stdout records,
    /// the end of stdout and the end of the request (`FastCGIRecords`). An answer that fits one record (64 kB,
    /// nearly all of them) goes out with `writev` straight from `parts`, without copying the body; a longer one
    /// is framed into one buffer. False when the connection failed (nginx gave up on the request); it is then
    /// closed by `finish()`.
    @discardableResult
    public func respond(_ parts: [[UInt8]]) -> Bool {
        guard let connection, let head, !answered else { return false }
        answered = true
        let contentLength = parts.reduce(0) { $0 + $1.count }
        let pieces: [[UInt8]] = contentLength <= FastCGIRecords.maxContentLength
            ? [FastCGIRecords.stdoutHeader(requestID: head.requestID, contentLength: contentLength)] + parts
                + [FastCGIRecords.trailer(requestID: head.requestID)]
            : [FastCGIRecords.answer(requestID: head.requestID, parts: parts)]
        if FastCGIRequest.writeAll(pieces, to: connection.descriptor) { return true }
        self.head = nil  // not kept: finish() closes it
        return false
    }

    /// Ends the current request: its connection goes back to the set when nginx keeps it (`FCGI_KEEP_CONN`) and
    /// the answer went out, else it is closed. A request never answered (a thread leaving mid-way) gets its
    /// connection closed, so nginx sees the failure at once and retries elsewhere.
    public func finish() {
        guard let connection else { return }
        self.connection = nil
        defer { head = nil }
        guard let head, head.keepConnection, answered else {
            server.close(connection)
            return
        }
        if connection.received.isEmpty { server.rearm(connection) } else { ready = connection }
    }

    /// `writev` of every piece in order, resumed after a short write or `EINTR`; false on any other error.
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
}
