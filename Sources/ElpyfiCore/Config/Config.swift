/// Every setting of the elpyfi processes, read in one place.
///
/// Keys (all from the environment, or from a `.env` file where the environment
/// does not set them; unknown `ELPYFI_` keys are ignored):
/// - `ELPYFI_DATABASE_URL` (`postgresql://elpyfi:password@localhost/elpyfi`): what REST reads.
/// - `ELPYFI_LISTEN_DATABASE_URL` (= `ELPYFI_DATABASE_URL`): the sidecar's LISTEN connection;
///   must reach the primary even when REST reads a replica or PgBouncer.
/// - `ELPYFI_API_KEYS` (none): comma-separated plaintext keys; blanks ignored.
/// - `ELPYFI_API_KEY_HASHES` (none): comma-separated hex SHA-256 of keys.
/// - `ELPYFI_TIMEZONE` (`UTC`): the session `TimeZone`; fixes `CURRENT_DATE` and the PDT week.
/// - `ELPYFI_DB_CONNECT_TIMEOUT` (`2`, seconds, 1...60): bounds how long a request waits for a dead database.
/// - `ELPYFI_STATEMENT_TIMEOUT_MS` (`2000`, 0 = none): bounds one query. Below nginx's upstream timeout
///   (`ELPYFI_UPSTREAM_TIMEOUT`, 3 s) on purpose: a query still running when nginx gives up is work nobody reads,
///   and nginx then retries the same GET on another worker, doubling the load of exactly the slow query; stopped at
///   2 s, the client gets the worker's own 503 `database_unavailable` with `Retry-After` instead of a 502 after 6 s.
/// - `ELPYFI_FCGI_LISTEN` (`/tmp/elpyfi-fcgi.sock`): Unix socket path (starts with `/`) or `host:port`.
/// - `ELPYFI_FCGI_THREADS` (number of cores, 1...256): worker threads, one database connection each.
/// - `ELPYFI_STREAM_LISTEN` (`127.0.0.1:9020`): the sidecar's HTTP/WebSocket address.
/// - `ELPYFI_STREAM_CLIENT_QUEUE_BYTES` (`1048576`): a client with more queued is closed as a slow consumer.
/// - `ELPYFI_STREAM_PING_SECONDS` (`30`), `ELPYFI_STREAM_PING_TIMEOUT_SECONDS` (`75`): idle pings and the drop deadline.
/// - `ELPYFI_STREAM_RING_EVENTS` (`10000`), `ELPYFI_STREAM_RING_SECONDS` (`900`): the replay ring keeps at least this many / this long.
/// - `ELPYFI_STREAM_THREADS` (number of cores, 1...64): the sidecar's event loops; clients are spread across them.
/// - `ELPYFI_STREAM_ID` (`1`, 1-16 of `[a-z0-9]`): this sidecar's id, the prefix of its epoch ids (`1-3f9a…`);
///   with several sidecars each has its own, and nginx routes a resume to the sidecar named by its epoch.
/// - `ELPYFI_PUBLIC_PATHS` (none): comma-separated paths that also answer without a key (`/positions`, `/metrics/*`,
///   `/ws/trades`, ...; see `PublicPaths`); read by both the worker and the sidecar, and checked by `deploy/render-nginx`.
/// - `ELPYFI_PUBLIC_CACHE_TTL` (`1s`; whole seconds, `N` or `Ns`, 1...3600): how long anonymous answers may be
///   cached, by nginx's shared cache and (`Cache-Control: public, max-age=N`) by browsers and CDNs.
/// - `ELPYFI_METRICS` (`1`): `0` turns off counting for Prometheus in both programs (the exposition then shows zeros);
///   it exists to measure what counting costs (bench/).
///
/// nginx-side keys (`ELPYFI_PORT`, `ELPYFI_TLS_PORT`, `ELPYFI_CORS_ORIGINS`, `ELPYFI_RATE_LIMIT`, ...)
/// are read by `deploy/render-nginx`, not here.
public struct Config: Sendable, Equatable {
    /// `ELPYFI_DATABASE_URL`.
    public var databaseURL: String
    /// `ELPYFI_LISTEN_DATABASE_URL`.
    public var listenDatabaseURL: String
    /// `ELPYFI_API_KEYS`, blanks dropped.
    public var apiKeys: [String]
    /// SHA-256 digests (32 bytes each) of the keys configured by hash.
    public var apiKeyHashes: [[UInt8]]
    /// `ELPYFI_TIMEZONE`.
    public var timeZone: String
    /// `ELPYFI_DB_CONNECT_TIMEOUT`.
    public var databaseConnectTimeoutSeconds: Int
    /// `ELPYFI_STATEMENT_TIMEOUT_MS`.
    public var statementTimeoutMilliseconds: Int
    /// `ELPYFI_FCGI_LISTEN`.
    public var fastCGIListen: String
    /// `ELPYFI_FCGI_THREADS`.
    public var fastCGIThreads: Int
    /// `ELPYFI_STREAM_LISTEN`.
    public var streamListen: String
    /// `ELPYFI_STREAM_CLIENT_QUEUE_BYTES`.
    public var streamClientQueueBytes: Int
    /// `ELPYFI_STREAM_PING_SECONDS`.
    public var streamPingSeconds: Int
    /// `ELPYFI_STREAM_PING_TIMEOUT_SECONDS`.
    public var streamPingTimeoutSeconds: Int
    /// `ELPYFI_STREAM_RING_EVENTS`.
    public var streamRingEvents: Int
    /// `ELPYFI_STREAM_RING_SECONDS`.
    public var streamRingSeconds: Int
    /// `ELPYFI_STREAM_THREADS`.
    public var streamThreads: Int
    /// `ELPYFI_STREAM_ID`.
    public var streamID: String
    /// `ELPYFI_PUBLIC_PATHS`.
    public var publicPaths: PublicPaths
    /// `ELPYFI_PUBLIC_CACHE_TTL`, in seconds.
    public var publicCacheSeconds: Int
    /// `ELPYFI_METRICS` (1: count, 0: do not).
    public var metricsEnabled: Bool

    /// Reads every key from `environment`; `defaultThreads` is the core count in production.
    public init(environment: [String: String], defaultThreads: Int = 2) throws(ConfigError) {
        let reader = EnvironmentReader(environment)
        databaseURL = try reader.nonEmpty("ELPYFI_DATABASE_URL", default: "postgresql://elpyfi:password@localhost/elpyfi")
        listenDatabaseURL = try reader.nonEmpty("ELPYFI_LISTEN_DATABASE_URL", default: databaseURL)
        apiKeys = reader.list("ELPYFI_API_KEYS")
        apiKeyHashes = try reader.list("ELPYFI_API_KEY_HASHES").map { (text) throws(ConfigError) -> [UInt8] in
            guard let digest = Hex.decode(text), digest.count == 32 else {
                throw ConfigError(variable: "ELPYFI_API_KEY_HASHES", reason: "each entry must be 64 hex digits (a SHA-256)")
            }
            return digest
        }
        timeZone = try reader.nonEmpty("ELPYFI_TIMEZONE", default: "UTC")
        guard timeZone.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "\\") }) else {
            throw ConfigError(variable: "ELPYFI_TIMEZONE", reason: "must be a time zone name such as UTC or Europe/Berlin")
        }
        databaseConnectTimeoutSeconds = try reader.integer("ELPYFI_DB_CONNECT_TIMEOUT", default: 2, in: 1...60)
        statementTimeoutMilliseconds = try reader.integer("ELPYFI_STATEMENT_TIMEOUT_MS", default: 2000, in: 0...3_600_000)
        fastCGIListen = try reader.nonEmpty("ELPYFI_FCGI_LISTEN", default: "/tmp/elpyfi-fcgi.sock")
        fastCGIThreads = try reader.integer("ELPYFI_FCGI_THREADS", default: min(256, max(1, defaultThreads)), in: 1...256)
        streamListen = try reader.nonEmpty("ELPYFI_STREAM_LISTEN", default: "127.0.0.1:9020")
        streamClientQueueBytes = try reader.integer("ELPYFI_STREAM_CLIENT_QUEUE_BYTES", default: 1_048_576, in: 1024...1_073_741_824)
        streamPingSeconds = try reader.integer("ELPYFI_STREAM_PING_SECONDS", default: 30, in: 1...3600)
        streamPingTimeoutSeconds = try reader.integer("ELPYFI_STREAM_PING_TIMEOUT_SECONDS", default: 75, in: 1...7200)
        streamRingEvents = try reader.integer("ELPYFI_STREAM_RING_EVENTS", default: 10_000, in: 1...10_000_000)
        streamRingSeconds = try reader.integer("ELPYFI_STREAM_RING_SECONDS", default: 900, in: 1...86_400)
        streamThreads = try reader.integer("ELPYFI_STREAM_THREADS", default: min(64, max(1, defaultThreads)), in: 1...64)
        streamID = try reader.nonEmpty("ELPYFI_STREAM_ID", default: "1")
        guard streamID.utf8.count <= 16,
              streamID.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }) else {
            throw ConfigError(variable: "ELPYFI_STREAM_ID", reason: "must be 1 to 16 of a-z and 0-9")
        }
        publicPaths = try PublicPaths(entries: reader.list("ELPYFI_PUBLIC_PATHS"))
        publicCacheSeconds = try reader.seconds("ELPYFI_PUBLIC_CACHE_TTL", default: 1, in: 1...3600)
        metricsEnabled = try reader.integer("ELPYFI_METRICS", default: 1, in: 0...1) == 1
        guard streamPingTimeoutSeconds > streamPingSeconds else {
            throw ConfigError(variable: "ELPYFI_STREAM_PING_TIMEOUT_SECONDS", reason: "must be longer than ELPYFI_STREAM_PING_SECONDS")
        }
        guard ListenAddress(fastCGIListen) != nil else {
            throw ConfigError(variable: "ELPYFI_FCGI_LISTEN", reason: "must be an absolute Unix socket path or host:port")
        }
        guard ListenAddress(streamListen)?.isTCP == true else {
            throw ConfigError(variable: "ELPYFI_STREAM_LISTEN", reason: "must be host:port")
        }
    }

    /// The environment a process sees: `.env` entries (if the file exists) under the real environment.
    ///
    /// The real environment wins so that systemd's `Environment=` or a shell export can override a checked-in file.
    public static func mergedEnvironment(process: [String: String], dotEnvContents: String?) -> [String: String] {
        guard let dotEnvContents else { return process }
        var merged = DotEnv.parse(dotEnvContents)
        for (key, value) in process { merged[key] = value }
        return merged
    }
}
