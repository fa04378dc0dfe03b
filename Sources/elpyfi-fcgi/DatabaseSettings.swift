import ElpyfiCore
import Postgres

/// How the REST worker's sessions are set up.
enum DatabaseSettings {
    /// Every session: the configured time zone (fixes `CURRENT_DATE` and the PDT week), ISO dates
    /// (the encoders rely on that shape), UTF-8, read-only transactions (the API never writes,
    /// even by mistake), and a statement timeout so a slow query cannot pin a worker thread.
    static func forREST(_ config: Config) -> PostgresConnection.Settings {
        PostgresConnection.Settings(
            url: config.databaseURL,
            connectTimeoutSeconds: config.databaseConnectTimeoutSeconds,
            sessionParameters: [
                ("TimeZone", config.timeZone),
                ("DateStyle", "ISO"),
                ("client_encoding", "UTF8"),
                ("default_transaction_read_only", "on"),
                ("statement_timeout", String(config.statementTimeoutMilliseconds)),
                ("extra_float_digits", "1"),
            ],
            applicationName: "elpyfi-fcgi"
        )
    }
}
