import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The web server's side of a FastCGI connection, as nginx speaks it: one responder request at a time, all its
/// records in one write (or in parts, to test what the worker does between them), the answer read up to
/// `FCGI_END_REQUEST`.
struct TestPeer {
    let descriptor: Int32

    /// The longest a peer waits for the worker (a read, a state below): only a worker that hangs takes that long,
    /// and the test then fails instead of hanging the run. No test passes by waiting it out.
    static let patience: Int32 = 20

    /// Connects to the Unix socket at `path`.
    init(path: String) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        precondition(status == 0, "connect: errno \(errno)")
        // A worker that never answers makes the read fail (nil answer, a failed expectation) instead of hanging the
        // run.
        var limit = timeval(tv_sec: Int(Self.patience), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// One record of `type` for request `id` (version 1, no padding); `content` is at most 65535 bytes.
    static func record(_ type: UInt8, id: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, id, UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0, 0] + content
    }

    /// `BEGIN_REQUEST` (responder, `FCGI_KEEP_CONN` if `keep`), `PARAMS` with `REQUEST_URI=uri`, the empty
    /// `PARAMS`: a request up to its stdin.
    static func begin(uri: String, keep: Bool, id: UInt8) -> [UInt8] {
        let name = Array("REQUEST_URI".utf8), value = Array(uri.utf8)
        return record(1, id: id, [0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0])
            + record(4, id: id, [UInt8(name.count), UInt8(value.count)] + name + value)
            + record(4, id: id, [])
    }

    /// `STDIN` records carrying `content`, 65535 bytes at most each, then the empty one that ends stdin if `end`.
    static func stdin(_ content: [UInt8], id: UInt8, end: Bool = true) -> [UInt8] {
        var wire: [UInt8] = []
        var from = 0
        while from < content.count {
            let to = min(from + 65535, content.count)
            wire += record(5, id: id, Array(content[from..<to]))
            from = to
        }
        return end ? wire + record(5, id: id, []) : wire
    }

    /// A whole request for `uri` without a body (`begin`, the empty `STDIN`), as nginx sends one; only its first
    /// `limit` bytes if given (a peer leaving mid-request).
    func send(uri: String, keep: Bool, id: UInt8 = 1, limit: Int? = nil) {
        let wire = Self.begin(uri: uri, keep: keep, id: id) + Self.stdin([], id: id)
        send(Array(wire.prefix(limit ?? wire.count)))
    }

    /// Writes all of `bytes` at once.
    func send(_ bytes: [UInt8]) {
        precondition(write(descriptor, bytes, bytes.count) == bytes.count)
    }

    /// Sends a whole request for `uri` and reads its answer's stdout (`send`, `answer`).
    func roundTrip(_ uri: String, keep: Bool = true, id: UInt8 = 1) -> String? {
        send(uri: uri, keep: keep, id: id)
        return answer(id: id)
    }

    /// The stdout content of the answer to request `id`, read up to its `FCGI_END_REQUEST`; nil if the connection
    /// ends first, or if a record is not version 1 or not for request `id` (nginx drops the connection on either).
    func answer(id: UInt8 = 1) -> String? {
        var stdout: [UInt8] = []
        while let (header, content) = record() {
            guard header[0] == 1, header[2] == 0, header[3] == id else { return nil }
            if header[1] == 6 { stdout += content }
            if header[1] == 3 { return String(decoding: stdout, as: UTF8.self) }
        }
        return nil
    }

    /// True when the worker has closed the connection (the next read sees its end).
    func isClosedByWorker() -> Bool {
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 0
    }

    /// True when nothing has arrived yet and the connection is open: a read now would wait (it is not made).
    func nothingArrivedYet() -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Waits until the worker has read every byte sent so far: on a Unix socket the sender's `SIOCOUTQ` counts
    /// the bytes the receiver has not read yet. False if that takes `patience` (a worker that stopped reading).
    func waitUntilWorkerReadEverything() -> Bool {
        for _ in 0..<Int(Self.patience) * 1000 {
            var unread: Int32 = 0
            guard ioctl(descriptor, UInt(TIOCOUTQ), &unread) == 0 else { return false }  // = SIOCOUTQ
            if unread == 0 { return true }
            usleep(1000)
        }
        return false
    }

    /// Waits until the first bytes of an answer have arrived (false after `patience`).
    func waitForAnswerToStart() -> Bool { wait(for: Int16(POLLIN)) }

    /// Stops reading without closing: the worker's writes fail from now on (`EPIPE`), as when nginx closes a
    /// connection whose client went away, while this side stays to see what the worker does next.
    func stopReading() { shutdown(descriptor, Int32(SHUT_RD)) }

    /// Waits until the worker has closed the connection (`POLLHUP` once both directions are shut: this side's
    /// reading by `stopReading`, its writing by the worker's close). False after `patience`.
    func waitForWorkerToClose() -> Bool { wait(for: Int16(POLLHUP)) }

    func close() { _ = Glibc.close(descriptor) }

    /// True once `poll` reports `event` (false after `patience`).
    private func wait(for event: Int16) -> Bool {
        var entry = pollfd(fd: descriptor, events: event, revents: 0)
        while true {
            let ready = poll(&entry, 1, Self.patience * 1000)
            if ready < 0, errno == EINTR { continue }
            return ready > 0 && entry.revents & event != 0
        }
    }

    /// The next record's header and content (padding dropped); nil if the connection ends first.
    private func record() -> ([UInt8], [UInt8])? {
        guard let header = bytes(8) else { return nil }
        let length = Int(header[4]) << 8 | Int(header[5])
        guard let body = bytes(length + Int(header[6])) else { return nil }
        return (header, Array(body.prefix(length)))
    }

    private func bytes(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + got, count - got) }
            if n <= 0 { return nil }
            got += n
        }
        return buffer
    }
}

/// A server on a fresh Unix socket with one serving thread that answers every request with its `REQUEST_URI`
/// and counts the requests; `finish()` stops it and waits for the thread.
final class EchoWorker: @unchecked Sendable {
    /// What the worker answers to a request for `uri`: its `uri` as the body, except `/large/N`: N bytes of `x`
    /// (none for 0: an answer that is its head alone, as to a HEAD request).
    static func echo(_ uri: String) -> String {
        "Status: 200 OK\r\n\r\n" + String(decoding: body(uri), as: UTF8.self)
    }

    /// The body of `echo(uri)`.
    static func body(_ uri: String) -> [UInt8] {
        if uri.hasPrefix("/large/"), let count = Int(uri.dropFirst(7)) {
            return Array(repeating: UInt8(ascii: "x"), count: count)
        }
        return Array(uri.utf8)
    }

    let path: String
    let server: FastCGIServer
    private var thread = pthread_t()
    private var finished = false

    init(name: String) throws {
        path = "/tmp/elpyfi-fastcgi-test-\(getpid())-\(name).sock"
        unlink(path)
        try FastCGIListener.initializeLibrary()
        server = try FastCGIServer(listener: FastCGIListener.bind(path))
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let worker = Unmanaged<EchoWorker>.fromOpaque(context!).takeRetainedValue()
            worker.serve()
            return nil
        }, context)
    }

    private func serve() {
        let request = FastCGIRequest(server: server)
        while request.accept() {
            let uri = request.parameter("REQUEST_URI") ?? "?"
            request.respond(head: Array("Status: 200 OK\r\n\r\n".utf8), body: Self.body(uri))
            request.finish()
        }
    }

    /// Stops the server; returns once the serving thread has left `accept()`.
    func finish() {
        server.stop()
        pthread_join(thread, nil)
        unlink(path)
    }
}
