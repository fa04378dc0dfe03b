import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection with statements prepared once and reconnection on demand.
///
/// Not thread-safe by design: each FastCGI worker thread owns one, which is
/// what lets the hot path run without locks. `@unchecked Sendable` only so a
/// thread can be handed its connection at start; it is never shared after.
public final class PostgresConnection: @unchecked Sendable {
    /// How to reach the server and what every session must be set to.
    public struct Settings: Sendable, Equatable {
        /// A libpq connection URI or key=value string.
        public var url: String
        /// libpq `connect_timeout` in seconds (libpq treats values below 2 as 2).
        public var connectTimeoutSeconds: Int
        /// Server parameters set at connect (`-c name=value` in `options`), e.g. TimeZone.
        public var sessionParameters: [(name: String, value: String)]
        /// Shown in `pg_stat_activity`, so operators can tell our sessions apart.
        public var applicationName: String

        /// Creates settings; nothing is dialled until `connect()`.
        public init(url: String, connectTimeoutSeconds: Int, sessionParameters: [(name: String, value: String)], applicationName: String) {
            self.url = url
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.sessionParameters = sessionParameters
            self.applicationName = applicationName
        }

        /// Equal when every field is (tuples are not `Equatable`, hence by hand).
        public static func == (lhs: Settings, rhs: Settings) -> Bool {
            lhs.url == rhs.url && lhs.connectTimeoutSeconds == rhs.connectTimeoutSeconds
                && lhs.applicationName == rhs.applicationName
                && lhs.sessionParameters.map { "\($0.name)=\($0.value)" } == rhs.sessionParameters.map { "\($0.name)=\($0.value)" }
        }

        /// The libpq `options` value: `-c a=b -c c=d`, spaces and backslashes escaped as libpq requires.
        var optionsValue: String {
            sessionParameters.map { parameter in
                let escaped = parameter.value.flatMap { character -> [Character] in
                    character == " " || character == "\\" ? ["\\", character] : [character]
                }
                return "-c \(parameter.name)=\(String(escaped))"
            }.joined(separator: " ")
        }
    }

    /// The settings this connection (re)connects with.
    public let settings: Settings
    /// The live libpq handle, nil while disconnected. Internal: the listener in this module uses it.
    var handle: OpaquePointer?
    /// The statements prepared on this connection: a handful (one per endpoint), so a list, searched per query. A
    /// `Set` hashed the name with a per-process seed each time: 370-580 instructions a request, the spread from the
    /// seed (callgrind, bench/rest-instructions); the names are the table's own strings, so `==` mostly settles on
    /// their identical storage.
    private var prepared: [String] = []
    /// Successful dials so far: above 1 means the connection was re-established (the worker's reconnect counter).
    public private(set) var connectCount = 0

    /// Creates a disconnected connection; the first `execute` (or `connect`) dials.
    public init(settings: Settings) {
        self.settings = settings
    }

    deinit { disconnect() }

    /// True when a connection exists and libpq considers it usable.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Dials the server (bounded by `connect_timeout`); a no-op when already connected.
    public func connect() throws(PostgresError) {
        if isConnected { return }
        disconnect()
        let keywords: [String?] = ["dbname", "connect_timeout", "options", "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count"]
        let values: [String?] = [settings.url, String(settings.connectTimeoutSeconds), settings.optionsValue, settings.applicationName,
                      "1", "10", "5", "3"]
        let connection = withCStrings(keywords + [nil]) { keywordPointers in
            withCStrings(values + [nil]) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw PostgresError(kind: .connection, detail: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connection, detail: detail.trimmingTrailingNewlines())
        }
        handle = connection
        connectCount += 1
    }

    /// Closes the connection; prepared statements go with it.
    public func disconnect() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared.removeAll()
    }

    /// Runs the statement `sql` under `name`, preparing it on first use on this connection.
    ///
    /// A failure on a connection that turns out to be dead (the server
    /// restarted since the last request) reconnects and runs once more: every
    /// statement here is a read, so a retry cannot do anything twice.
    public func execute(name: String, sql: String, parameters: [String?]) throws(PostgresError) -> PostgresResult {
        let hadConnection = handle != nil
        do {
            return try executeOnce(name: name, sql: sql, parameters: parameters)
        } catch where error.kind == .connection && hadConnection {
            // Only a connection that existed before this call is worth one more dial; a dial
            // that just failed would fail again and double the time to the 503.
            disconnect()
            return try executeOnce(name: name, sql: sql, parameters: parameters)
        }
    }

    /// Runs a statement with no parameters and no preparation (`LISTEN x`, `SELECT 1`).
    /// Only for constant SQL: nothing from a request may reach this text.
    public func executeConstantSQL(_ sql: String) throws(PostgresError) -> PostgresResult {
        try connect()
        guard let handle else { throw PostgresError(kind: .connection, detail: "not connected") }
        return try checked(PQexec(handle, sql), on: handle)
    }

    private func executeOnce(name: String, sql: String, parameters: [String?]) throws(PostgresError) -> PostgresResult {
        try connect()
        guard let handle else { throw PostgresError(kind: .connection, detail: "not connected") }
        if !prepared.contains(name) {
            _ = try checked(PQprepare(handle, name, sql, 0, nil), on: handle)
            prepared.append(name)
        }
        let raw = withCStrings(parameters) { pointers in
            PQexecPrepared(handle, name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        return try checked(raw, on: handle)
    }

    /// Wraps a libpq result, turning failures into `PostgresError` (connection vs query).
    private func checked(_ raw: OpaquePointer?, on handle: OpaquePointer) throws(PostgresError) -> PostgresResult {
        guard let raw else {
            throw PostgresError(kind: PQstatus(handle) == CONNECTION_OK ? .query : .connection,
                                detail: String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines())
        }
        let result = PostgresResult(raw)
        switch PQresultStatus(raw) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return result
        default:
            let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_OK ? .query : .connection
            throw PostgresError(kind: kind, detail: String(cString: PQresultErrorMessage(raw)).trimmingTrailingNewlines())
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}

/// Calls `body` with C strings that live for the call; a nil entry stays NULL (an SQL NULL parameter, or the
/// terminator of libpq's keyword/value arrays). The pointers are kept in stack memory: two arrays (the copies and
/// their pointers) were two allocations per query (~0.6k instructions a request, callgrind, bench/rest-instructions).
func withCStrings<R>(_ strings: [String?], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(strings.count, 1)) { pointers in
        for (index, string) in strings.enumerated() {
            pointers[index] = string.flatMap { strdup($0) }.map { UnsafePointer($0) }
        }
        defer {
            for index in strings.indices { free(UnsafeMutablePointer(mutating: pointers[index])) }
        }
        return body(pointers.baseAddress!)
    }
}
