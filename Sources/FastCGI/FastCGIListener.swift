import CFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket the workers accept FastCGI connections on.
public struct FastCGIListener: Sendable {
    /// The socket's file descriptor.
    public let descriptor: Int32

    /// Starts libfcgi; once per process, before any request.
    public static func initializeLibrary() throws(FastCGIError) {
        guard FCGX_Init() == 0 else { throw FastCGIError(detail: "FCGX_Init failed") }
    }

    /// Binds `address`: an absolute Unix socket path (made 0666: the directory guards access)
    /// or `host:port` / `:port`.
    public static func bind(_ address: String, backlog: Int32 = 1024) throws(FastCGIError) -> FastCGIListener {
        let descriptor = FCGX_OpenSocket(address, backlog)
        guard descriptor >= 0 else { throw FastCGIError(detail: "cannot listen on \(address)") }
        if address.hasPrefix("/") { chmod(address, 0o666) }
        return FastCGIListener(descriptor: descriptor)
    }

    /// A socket handed over by systemd (`LISTEN_FDS`, first fd 3) or a FastCGI spawner (fd 0 is a socket).
    public static func inherited(environment: [String: String]) -> FastCGIListener? {
        if let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1 {
            return FastCGIListener(descriptor: 3)
        }
        if FCGX_IsCGI() == 0 { return FastCGIListener(descriptor: 0) }
        return nil
    }

    /// Wakes every thread blocked in accept so they see the shutdown; called once from the signal thread.
    public func stopAccepting() {
        FCGX_ShutdownPending()
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    public init(descriptor: Int32) { self.descriptor = descriptor }
}

/// A FastCGI failure; `detail` is for the operator's log.
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    public let detail: String
    public var description: String { detail }
}
