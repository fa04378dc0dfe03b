import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `LISTEN trading_events` connection, read with `poll()` on libpq's socket.
///
/// One LISTEN connection serves every WebSocket: NOTIFY delivery is
/// per-connection, so a second one would only duplicate the work. The owner
/// runs it on a thread of its own: `waitForInput` blocks at most its timeout
/// (so the thread notices shutdown), `drainNotifications` never blocks.
/// Not thread-safe; `@unchecked Sendable` only so that thread can be handed it.
public final class PostgresListener: @unchecked Sendable {
    /// The channel the engine publishes on (docs/CONTRACT.md). A constant: nothing from outside reaches the SQL.
    public static let channel = "trading_events"
    private static let listenSQL = "LISTEN trading_events"

    /// What `waitForInput` saw.
    public enum Wait: Equatable, Sendable {
        /// The socket has data (or an error or EOF, which `drainNotifications` will report).
        case readable
        /// Nothing within the timeout.
        case timedOut
    }

    private let connection: PostgresConnection

    /// A listener that dials with `settings` on `connect()`.
    public init(settings: PostgresConnection.Settings) {
        connection = PostgresConnection(settings: settings)
    }

    /// Dials (bounded by `connect_timeout`) and runs `LISTEN trading_events`.
    public func connect() throws(PostgresError) {
        connection.disconnect()
        try connection.connect()
        _ = try connection.executeConstantSQL(PostgresListener.listenSQL)
        try connection.setNonBlocking()
        connection.silenceNotices()
    }

    /// Drops the connection (the server forgets the LISTEN with it).
    public func disconnect() {
        connection.disconnect()
    }

    /// Waits up to `timeoutMilliseconds` for the socket to become readable.
    public func waitForInput(timeoutMilliseconds: Int32) throws(PostgresError) -> Wait {
        let socket = try connection.socketDescriptor()
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0 {
            guard errno == EINTR else { throw PostgresError(kind: .connection, detail: "poll failed: errno \(errno)") }
            return .timedOut
        }
        return ready == 0 ? .timedOut : .readable
    }

    /// Reads what the socket has and hands each `trading_events` payload to `body`, in arrival order.
    /// Throws `.connection` when the connection is gone (server restart, `pg_terminate_backend`, network).
    public func drainNotifications(_ body: ([UInt8]) -> Void) throws(PostgresError) {
        var failure: PostgresError?
        do { try connection.consumeInput() } catch { failure = error }
        // Notifications read just before the connection broke are still delivered.
        connection.forEachNotification(body)
        if let failure { throw failure }
        guard connection.isConnected else { throw PostgresError(kind: .connection, detail: "LISTEN connection lost") }
    }
}

extension PostgresConnection {
    /// libpq's socket; a connection error when there is none.
    func socketDescriptor() throws(PostgresError) -> Int32 {
        guard let handle else { throw PostgresError(kind: .connection, detail: "not connected") }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError(kind: .connection, detail: "no socket") }
        return socket
    }

    /// Switches libpq to non-blocking mode, so reading notifications can never stall the thread.
    func setNonBlocking() throws(PostgresError) {
        guard let handle else { throw PostgresError(kind: .connection, detail: "not connected") }
        guard PQsetnonblocking(handle, 1) == 0 else {
            throw PostgresError(kind: .connection, detail: String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines())
        }
    }

    /// Drops server notices instead of libpq's default of printing them raw to stderr: the one that
    /// matters here (the FATAL before a terminated session) also comes back as the error we log.
    func silenceNotices() {
        guard let handle else { return }
        _ = PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// `PQconsumeInput`: moves whatever the socket has into libpq's buffer; fails when the connection broke.
    func consumeInput() throws(PostgresError) {
        guard let handle else { throw PostgresError(kind: .connection, detail: "not connected") }
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(kind: .connection, detail: String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines())
        }
    }

    /// Calls `body` with each buffered notification's payload bytes, freeing each with `PQfreemem`.
    func forEachNotification(_ body: ([UInt8]) -> Void) {
        guard let handle else { return }
        while let notification = PQnotifies(handle) {
            defer { PQfreemem(notification) }
            let channelMatches = strcmp(notification.pointee.relname, PostgresListener.channel) == 0
            guard channelMatches, let extra = notification.pointee.extra else { continue }
            let length = strlen(extra)
            let payload = extra.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
            body(payload)
        }
    }
}
