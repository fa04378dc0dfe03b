import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The worker's connections, shared by its threads: one epoll set holds the listening socket and every open
/// FastCGI connection, and whichever thread is free takes the next connection that has something to read.
///
/// Why not libfcgi's accept loop: it ties a thread to a connection for as long as the web server keeps it
/// open, so nginx could not keep connections (`fastcgi_keep_conn`) without idle kept connections starving
/// the threads; nginx then paid a socket, a connect and a close per request, and the worker an accept and a
/// close. Here an idle connection costs an entry in the set, not a thread. Each entry is armed one-shot
/// (`EPOLLONESHOT`): exactly one thread owns a connection from its event until it re-arms or closes it.
public final class FastCGIServer: @unchecked Sendable {
    let listener: FastCGIListener
    let epoll: Int32
    /// Readable once `stop()` ran: level-triggered, so every thread waiting, now or later, sees it.
    private let stopEvent: Int32

    /// Tags in `epoll_event.data`; anything else is a `FastCGIConnection` pointer.
    static let listenerTag: UInt64 = 1
    static let stopTag: UInt64 = 2

    /// Takes over `listener` (made non-blocking: accepts happen only when epoll says one is waiting).
    public init(listener: FastCGIListener) throws(FastCGIError) {
        self.listener = listener
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        stopEvent = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epoll >= 0, stopEvent >= 0 else { throw FastCGIError(detail: "epoll/eventfd: errno \(errno)") }
        let flags = fcntl(listener.descriptor, F_GETFL)
        _ = fcntl(listener.descriptor, F_SETFL, flags | O_NONBLOCK)
        guard control(EPOLL_CTL_ADD, listener.descriptor, EPOLLIN.rawValue | EPOLLONESHOT.rawValue, Self.listenerTag),
              control(EPOLL_CTL_ADD, stopEvent, EPOLLIN.rawValue, Self.stopTag) else {
            throw FastCGIError(detail: "epoll_ctl: errno \(errno)")
        }
    }

    /// The graceful stop: new connects are refused from here on, so nginx moves on to the next worker at once
    /// (a socket this process bound is shut down for reading; an inherited one is shared with the next start and
    /// stays as it is, queueing connects for it), and every thread leaves `FastCGIRequest.accept()` once it has
    /// finished the request it holds. Kept connections still open then are closed as the process exits; nginx
    /// retries a request it had just sent on one (GETs are idempotent: `fastcgi_next_upstream error`).
    public func stop() {
        if listener.isOwned { shutdown(listener.descriptor, Int32(SHUT_RD)) }
        var one: UInt64 = 1
        _ = write(stopEvent, &one, 8)
    }

    /// Waits for the next event: nil once stopping (or on a broken epoll set), else the connection to serve.
    /// New connections are accepted on the way.
    func nextReadyConnection() -> FastCGIConnection? {
        var event = epoll_event()
        while true {
            let count = epoll_wait(epoll, &event, 1, -1)
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { continue }
            switch event.data.u64 {
            case Self.stopTag: return nil
            case Self.listenerTag: acceptWaiting()
            default: return Unmanaged<FastCGIConnection>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(event.data.u64))!)
                .takeUnretainedValue()
            }
        }
    }

    /// Accepts every connection waiting, adds each to the set, and re-arms the listener (unless it was shut down).
    private func acceptWaiting() {
        while true {
            let descriptor = accept(listener.descriptor, nil, nil)  // blocking (not inherited on Linux): answers are written whole
            if descriptor < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EINVAL: return  // shut down by stop(): stays out of the set
                default: break  // EAGAIN (none left), or out of descriptors: wait for the next event
                }
                break
            }
            let connection = FastCGIConnection(descriptor: descriptor)
            let tag = UInt64(UInt(bitPattern: Unmanaged.passRetained(connection).toOpaque()))
            if !control(EPOLL_CTL_ADD, descriptor, Self.connectionEvents, tag) {
                Unmanaged<FastCGIConnection>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(tag))!).release()
                Glibc.close(descriptor)
            }
        }
        _ = control(EPOLL_CTL_MOD, listener.descriptor, EPOLLIN.rawValue | EPOLLONESHOT.rawValue, Self.listenerTag)
    }

    static let connectionEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue

    /// Hands `connection` back to the set: the next request on it wakes whichever thread is free.
    func rearm(_ connection: FastCGIConnection) {
        let tag = UInt64(UInt(bitPattern: Unmanaged.passUnretained(connection).toOpaque()))
        if !control(EPOLL_CTL_MOD, connection.descriptor, Self.connectionEvents, tag) { close(connection) }
    }

    /// Takes `connection` out of the set and closes it.
    func close(_ connection: FastCGIConnection) {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, connection.descriptor, nil)
        Glibc.close(connection.descriptor)
        Unmanaged.passUnretained(connection).release()
    }

    private func control(_ operation: Int32, _ descriptor: Int32, _ events: UInt32, _ tag: UInt64) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.u64 = tag
        return epoll_ctl(epoll, operation, descriptor, &event) == 0
    }
}

/// One connection from the web server: its socket and what it has sent that no request has used yet.
/// Owned by one thread at a time (the one its one-shot event woke).
final class FastCGIConnection {
    let descriptor: Int32
    private(set) var received: [UInt8] = []

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Reads whatever has arrived, without waiting; false when the peer closed or the socket failed.
    func readAvailable() -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 * 1024) { chunk in
            while true {
                let got = recv(descriptor, chunk.baseAddress, chunk.count, Int32(MSG_DONTWAIT))
                if got > 0 {
                    received.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<got]))
                    if got < chunk.count { return true }
                    continue
                }
                if got == 0 { return false }
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
        }
    }

    /// Forgets the first `count` bytes (a request that has been read).
    func consume(_ count: Int) {
        if count >= received.count { received.removeAll(keepingCapacity: true) } else { received.removeFirst(count) }
    }
}
