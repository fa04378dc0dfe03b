import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The web server's side of a FastCGI connection, as nginx speaks it: one responder request at a time, all its
/// records in one write, the answer read up to `FCGI_END_REQUEST`.
struct TestPeer {
    let descriptor: Int32

    /// Connects to the Unix socket at `path`.
    init(path: String) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(status == 0, "connect: errno \(errno)")
        // A worker that never answers makes the read fail (nil answer, a failed expectation) instead of hanging the run.
        var limit = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `BEGIN_REQUEST` (responder, `FCGI_KEEP_CONN` if `keep`), `PARAMS` with `REQUEST_URI=uri`, the empty
    /// `PARAMS`, the empty `STDIN`; only the first `limit` bytes of that if given (a peer leaving mid-request).
    func send(uri: String, keep: Bool, id: UInt8 = 1, limit: Int? = nil) {
        var wire: [UInt8] = []
        func record(_ type: UInt8, _ content: [UInt8]) {
            wire += [1, type, 0, id, UInt8(content.count >> 8), UInt8(content.count & 0xFF), 0, 0] + content
        }
        record(1, [0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0])
        let name = Array("REQUEST_URI".utf8), value = Array(uri.utf8)
        record(4, [UInt8(name.count), UInt8(value.count)] + name + value)
        record(4, [])
        record(5, [])
        let bytes = Array(wire.prefix(limit ?? wire.count))
        precondition(write(descriptor, bytes, bytes.count) == bytes.count)
    }

    /// Sends a whole request for `uri` and reads its answer's stdout (`send`, `answer`).
    func roundTrip(_ uri: String, keep: Bool = true, id: UInt8 = 1) -> String? {
        send(uri: uri, keep: keep, id: id)
        return answer()
    }

    /// The stdout content of one answer, read up to its `FCGI_END_REQUEST`; nil if the connection ends first.
    func answer() -> String? {
        var stdout: [UInt8] = []
        while let (type, content) = record() {
            if type == 6 { stdout += content }
            if type == 3 { return String(decoding: stdout, as: UTF8.self) }
        }
        return nil
    }

    /// True when the worker has closed the connection (the next read sees its end).
    func isClosedByWorker() -> Bool {
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 0
    }

    func close() { _ = Glibc.close(descriptor) }

    private func record() -> (UInt8, [UInt8])? {
        guard let header = bytes(8) else { return nil }
        let length = Int(header[4]) << 8 | Int(header[5])
        guard let body = bytes(length + Int(header[6])) else { return nil }
        return (header[1], Array(body.prefix(length)))
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
    static func echo(_ uri: String) -> String { "Status: 200 OK\r\n\r\n" + String(decoding: body(uri), as: UTF8.self) }

    static func body(_ uri: String) -> [UInt8] {
        if uri.hasPrefix("/large/"), let count = Int(uri.dropFirst(7)) { return Array(repeating: UInt8(ascii: "x"), count: count) }
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
