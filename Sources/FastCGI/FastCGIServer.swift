import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The worker's connections, shared by its threads: one epoll set holds the listening socket and every idle
/// FastCGI connection, and whichever thread is free takes the next connection that has something to read.
///
/// Why not libfcgi's accept loop: `FCGX_Accept_r` ties a thread to a connection for as long as the web server keeps
/// it open, so nginx could not keep connections (`fastcgi_keep_conn`) without idle kept connections starving the
/// threads; nginx then paid a socket, a connect and a close per request, and the worker an accept and a close.
/// Here an idle connection costs an entry in the set, not a thread; libfcgi still reads and writes every request
/// on it (`FastCGIRequest`). Each entry is armed one-shot (`EPOLLONESHOT`): exactly one thread owns a connection
/// from its event until it re-arms or closes it. An entry's `data.fd` is its descriptor.
public final class FastCGIServer: @unchecked Sendable {
    let listener: FastCGIListener
    let epoll: Int32
    /// Readable once `stop()` ran: level-triggered, so every thread waiting, now or later, sees it.
    private let stopEvent: Int32

    /// Takes over `listener` (made non-blocking: accepts happen only when epoll says one is waiting).
    public init(listener: FastCGIListener) throws(FastCGIError) {
        self.listener = listener
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        stopEvent = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epoll >= 0, stopEvent >= 0 else { throw FastCGIError(detail: "epoll/eventfd: errno \(errno)") }
        let flags = fcntl(listener.descriptor, F_GETFL)
        _ = fcntl(listener.descriptor, F_SETFL, flags | O_NONBLOCK)
        guard control(EPOLL_CTL_ADD, listener.descriptor, EPOLLIN.rawValue | EPOLLONESHOT.rawValue),
              control(EPOLL_CTL_ADD, stopEvent, EPOLLIN.rawValue) else {
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

    /// A connection epoll woke a thread for, now owned by that thread.
    struct Ready {
        let descriptor: Int32
        /// The peer shut its side down or the socket failed (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`): it may still
        /// hold bytes, but it may also hold none.
        let hungUp: Bool
    }

    /// Waits for the next event: nil once stopping (or on a broken epoll set), else a connection with something to
    /// read (or closed by the peer). New connections are accepted on the way.
    func nextReadyConnection() -> Ready? {
        var event = epoll_event()
        while true {
            let count = epoll_wait(epoll, &event, 1, -1)
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { continue }
            switch event.data.fd {
            case stopEvent: return nil
            case listener.descriptor: acceptWaiting()
            default:
                let hangUp = EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
                return Ready(descriptor: event.data.fd, hungUp: event.events & hangUp != 0)
            }
        }
    }

    /// Accepts every connection waiting, adds each to the set, and re-arms the listener (unless it was shut down).
    /// The connection is blocking (Linux's `accept` does not pass the listener's `O_NONBLOCK` on): libfcgi reads and
    /// writes it whole.
    private func acceptWaiting() {
        while true {
            let descriptor = accept(listener.descriptor, nil, nil)
            if descriptor < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EINVAL: return  // shut down by stop(): stays out of the set
                default: break  // EAGAIN (none left), or out of descriptors: wait for the next event
                }
                break
            }
            noDelay(descriptor)
            if !control(EPOLL_CTL_ADD, descriptor, Self.connectionEvents) { Glibc.close(descriptor) }
        }
        _ = control(EPOLL_CTL_MOD, listener.descriptor, EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
    }

    /// As libfcgi's own accept does on TCP: an answer is one gathering write (`FastCGIRequest.respond`), but a large
    /// one may go out in several when the socket buffer fills, and an answer libfcgi ends itself takes its own write;
    /// none of them may wait for an earlier one's ACK (Nagle). Fails harmlessly on a Unix socket.
    private func noDelay(_ descriptor: Int32) {
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    static let connectionEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue

    /// Hands `descriptor` back to the set: the next request on it wakes whichever thread is free.
    func rearm(_ descriptor: Int32) {
        if !control(EPOLL_CTL_MOD, descriptor, Self.connectionEvents) { close(descriptor) }
    }

    /// Takes `descriptor` out of the set and closes it (nothing unread is left on it: no linger needed).
    func close(_ descriptor: Int32) {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, descriptor, nil)
        Glibc.close(descriptor)
    }

    private func control(_ operation: Int32, _ descriptor: Int32, _ events: UInt32) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        return epoll_ctl(epoll, operation, descriptor, &event) == 0
    }
}
