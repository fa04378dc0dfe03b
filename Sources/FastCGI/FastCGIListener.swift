import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket the workers accept FastCGI connections on.
public struct FastCGIListener: Sendable {
    /// The socket's file descriptor.
    public let descriptor: Int32
    /// True when this process bound the socket itself; false when systemd or a spawner handed it over
    /// (then it is shared with whoever starts next and must not be shut down: `FastCGIServer.stop`).
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
