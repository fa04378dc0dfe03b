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
                // A peer that closed, failed, or sends more than any request can hold without completing one.
                guard waiting.readAvailable(), waiting.received.count <= FastCGIParser.maxRequestBytes else {
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

    /// Sends the whole answer, `head` (the CGI header block) then `body`, in one system call: stdout records, the
    /// end of stdout and the end of the request (`FastCGIRecords`). An answer that fits one record (64 kB, nearly
    /// all of them) goes out with `writev` straight from `head` and `body`, the record header and trailer built on
    /// the stack; a longer one is framed into one buffer. False when the connection failed (nginx gave up on the
    /// request); it is then closed by `finish()`.
    @discardableResult
    public func respond(head: [UInt8], body: [UInt8]) -> Bool {
        guard let connection, let request = self.head, !answered else { return false }
        answered = true
        let sent: Bool
        if head.count + body.count <= FastCGIRecords.maxContentLength {
            var frame: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 8 header bytes, then the 24-byte trailer
            sent = withUnsafeMutableBytes(of: &frame) { frame in
                FastCGIRecords.writeFrame(requestID: request.requestID, contentLength: head.count + body.count, into: frame)
                return head.withUnsafeBytes { head in
                    body.withUnsafeBytes { body in
                        var vectors = (iovec(iov_base: frame.baseAddress, iov_len: 8),
                                       iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
                                       iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count),
                                       iovec(iov_base: frame.baseAddress! + 8, iov_len: 24))
                        return withUnsafeMutableBytes(of: &vectors) { raw in
                            FastCGIRequest.writeAll(raw.bindMemory(to: iovec.self), to: connection.descriptor)
                        }
                    }
                }
            }
        } else {
            let wire = FastCGIRecords.answer(requestID: request.requestID, parts: [head, body])
            sent = wire.withUnsafeBytes { bytes in
                var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                return withUnsafeMutablePointer(to: &vector) {
                    FastCGIRequest.writeAll(UnsafeMutableBufferPointer(start: $0, count: 1), to: connection.descriptor)
                }
            }
        }
        if !sent { self.head = nil }  // not kept: finish() closes it
        return sent
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

    /// `writev` of every vector in order, resumed after a short write or `EINTR`; false on any other error.
    /// The vectors are advanced in place.
    static func writeAll(_ vectors: UnsafeMutableBufferPointer<iovec>, to descriptor: Int32) -> Bool {
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
