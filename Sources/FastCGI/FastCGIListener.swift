import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket the workers accept FastCGI connections on.
public struct FastCGIListener: Sendable {
    /// The socket's file descriptor.
    public let descriptor: Int32
    /// True when this process bound the socket itself; false when systemd or a spawner handed it over
    /// (then it is shared with whoever starts next and must not be shut down).
    public let isOwned: Bool

    /// Starts libfcgi; once per process, before any request.
    public static func initializeLibrary() throws(FastCGIError) {
        guard FCGX_Init() == 0 else { throw FastCGIError(detail: "FCGX_Init failed") }
    }

    /// Binds `address`: an absolute Unix socket path (mode 0660: only the owner and group, i.e. nginx, may connect)
    /// or `host:port` / `:port`.
    public static func bind(_ address: String, backlog: Int32 = 1024) throws(FastCGIError) -> FastCGIListener {
        let descriptor = FCGX_OpenSocket(address, backlog)
        guard descriptor >= 0 else { throw FastCGIError(detail: "cannot listen on \(address)") }
        if address.hasPrefix("/") { chmod(address, 0o660) }
        return FastCGIListener(descriptor: descriptor, isOwned: true)
    }

    /// A socket handed over by systemd (`LISTEN_FDS`, first fd 3) or a FastCGI spawner (fd 0 is a socket).
    public static func inherited(environment: [String: String]) -> FastCGIListener? {
        if let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1 {
            return FastCGIListener(descriptor: 3, isOwned: false)
        }
        if FCGX_IsCGI() == 0 { return FastCGIListener(descriptor: 0, isOwned: false) }
        return nil
    }

    /// Stops taking connections at once, for a graceful stop: new connects are refused from here on
    /// (`ECONNREFUSED`, so nginx tries the next worker without waiting), connections already queued are
    /// still accepted and answered, and then every thread's `accept()` fails (`EINVAL`) and its loop ends.
    ///
    /// A socket this process bound is shut down for reading, which does all of the above and wakes every
    /// thread blocked in accept (closing the descriptor would wake none of them). An inherited socket is
    /// shared with the next start (systemd keeps it and queues connects while we restart), so it is left
    /// open and libfcgi is told to stop instead; the caller then interrupts the blocked threads (`WakeSignal`).
    /// True when the socket was shut down (no wake-up needed).
    @discardableResult
    public func stopAccepting() -> Bool {
        guard isOwned else {
            FCGX_ShutdownPending()
            return false
        }
        return shutdown(descriptor, Int32(SHUT_RD)) == 0
    }

    /// Wraps an already listening socket; `isOwned` as for `bind` (true) or `inherited` (false).
    public init(descriptor: Int32, isOwned: Bool) {
        self.descriptor = descriptor
        self.isOwned = isOwned
    }
}

/// A FastCGI failure; `detail` is for the operator's log.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    /// What failed, for the log.
    public let detail: String
    /// Same as `detail`.
    public var description: String { detail }
}
