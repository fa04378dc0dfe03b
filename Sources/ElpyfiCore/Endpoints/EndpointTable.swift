/// Every REST endpoint the worker answers, in one table (docs/CONTRACT.md, "REST").
///
/// SQL conventions: constant text with `$n` parameters, prepared on each connection's first use under
/// the query's name; timestamps selected `AT TIME ZONE 'UTC'` so their text is UTC whatever the
/// session's `TimeZone`; an optional filter is `($n::text IS NULL OR col = $n)`, so one statement
/// serves every combination of filters.
public enum EndpointTable {
    /// The table, in the order routing tries it (templates never overlap, so the order only labels).
    public static let all: [Endpoint] = [
        health, positions, recentSignals, proposedSignals, metrics, metricsHistory, pdtStatus, strategies,
    ]

    /// `/health`: a round trip, nothing more.
    public static let health = Endpoint(
        "/health", key: false, query: Query(name: "elpyfi_health", sql: "SELECT 1", columns: [("ok", .integer)]),
        shape: .health)

    /// Open positions by strategy then symbol.
    public static let positions = Endpoint(
        "/positions", parameters: [.query("strategy", .name), .query("symbol", .name)],
        query: Query(name: "elpyfi_positions", sql: """
            SELECT symbol, quantity, entry_price, current_price, unrealized_pl, strategy
            FROM positions
            WHERE status = 'open'
              AND ($1::text IS NULL OR strategy = $1::text)
              AND ($2::text IS NULL OR symbol = $2::text)
            ORDER BY strategy, symbol, id
            """,
            columns: [("symbol", .text), ("quantity", .number), ("entry_price", .number), ("current_price", .number),
                      ("unrealized_pl", .number), ("strategy", .text)]))

    /// Signals newest first.
    public static let recentSignals = signals("/signals/recent", statement: "elpyfi_signals_recent", from: "signals")

    /// The engine's `pending_ai_proposals` view, as signals.
    public static let proposedSignals = signals("/signals/proposed", statement: "elpyfi_signals_proposed", from: "pending_ai_proposals")

    /// Both signal endpoints: filters, then keyset paging. `before_id=N` continues after row N in
    /// `(timestamp DESC, id DESC)` order; when row N is gone, with `id < N`.
    private static func signals(_ template: String, statement: String, from source: String) -> Endpoint {
        Endpoint(
            template,
            parameters: [.query("strategy", .name), .query("symbol", .name), .query("action", .action),
                         .query("limit", .limit(default: 50)), .query("before_id", .beforeID)],
            query: Query(name: statement, sql: """
                SELECT s.id, s.strategy, s.symbol, s.action, s.confidence, s.timestamp AT TIME ZONE 'UTC', s.metadata
                FROM \(source) s
                LEFT JOIN (SELECT timestamp AS ts FROM signals WHERE id = $5::bigint) anchor ON true
                WHERE ($1::text IS NULL OR s.strategy = $1::text)
                  AND ($2::text IS NULL OR s.symbol = $2::text)
                  AND ($3::text IS NULL OR s.action = $3::text)
                  AND ($5::bigint IS NULL OR CASE WHEN anchor.ts IS NULL THEN s.id < $5::bigint
                                                  ELSE (s.timestamp, s.id) < (anchor.ts, $5::bigint) END)
                ORDER BY s.timestamp DESC, s.id DESC
                LIMIT $4::integer
                """,
                columns: [("id", .integer), ("strategy", .text), ("symbol", .text), ("action", .text),
                          ("confidence", .number), ("timestamp", .timestamp), ("metadata", .json)]))
    }

    /// One day's row of a strategy (`date` absent: `CURRENT_DATE` in the session's time zone), `{}` when none.
    public static let metrics = Endpoint(
        "/metrics/{strategy}", parameters: [.path("strategy", .name), .query("date", .date)],
        query: Query(name: "elpyfi_metrics", sql: """
            SELECT strategy, date, total_trades, win_rate, profit_loss, sharpe_ratio, max_drawdown
            FROM strategy_metrics
            WHERE strategy = $1::text AND date = COALESCE($2::date, CURRENT_DATE)
            """,
            columns: [("strategy", .text), ("date", .date)] + dailyFigures),
        shape: .firstOrEmptyObject)

    /// A strategy's daily rows oldest first, `from`...`to` inclusive (`to` defaults to `CURRENT_DATE`,
    /// `from` to `to` − 29 days), at most `maxHistoryDays` days; days without a row are absent.
    /// The span is checked here when both ends are given (a 400 before any query) and by the SQL's
    /// `in_range` when `to` is the database's `CURRENT_DATE`.
    public static let metricsHistory = Endpoint(
        "/metrics/{strategy}/history",
        parameters: [.path("strategy", .name), .query("from", .date), .query("to", .date)],
        query: Query(name: "elpyfi_metrics_history", sql: """
            WITH span AS (SELECT COALESCE($2::date, COALESCE($3::date, CURRENT_DATE) - 29) AS first_day,
                                 COALESCE($3::date, CURRENT_DATE) AS last_day)
            SELECT m.date, m.total_trades, m.win_rate, m.profit_loss, m.sharpe_ratio, m.max_drawdown,
                   span.first_day <= span.last_day AND span.last_day - span.first_day < \(maxHistoryDays) AS in_range
            FROM span
            LEFT JOIN strategy_metrics m ON m.strategy = $1::text AND m.date BETWEEN span.first_day AND span.last_day
                                         AND span.last_day - span.first_day < \(maxHistoryDays)
            ORDER BY m.date
            """,
            columns: [("date", .date)] + dailyFigures),
        shape: .rangeCheckedArray(outOfRange: historySpanError),
        crossCheck: { bound throws(APIError) in
            guard let from = bound[1].flatMap(ParameterRule.dayNumber), let to = bound[2].flatMap(ParameterRule.dayNumber) else { return }
            guard from <= to, to - from < maxHistoryDays else { throw historySpanError }
        })

    /// The longest `/history` span, both ends counted.
    public static let maxHistoryDays = 366

    private static let historySpanError = APIError.invalidParameter(
        name: "from", reason: "must not be after 'to', and at most \(maxHistoryDays) days from 'from' to 'to' inclusive")

    /// The figures of a `strategy_metrics` row, as both metrics endpoints write them.
    private static let dailyFigures: [(name: String, kind: ColumnKind)] = [
        ("total_trades", .integer), ("win_rate", .number), ("profit_loss", .number), ("sharpe_ratio", .number),
        ("max_drawdown", .number),
    ]

    /// This week's PDT row (`date_trunc('week', CURRENT_DATE)`), or 0 used / 3 remaining when the engine wrote none.
    public static let pdtStatus = Endpoint(
        "/pdt/status",
        query: Query(name: "elpyfi_pdt_status", sql: """
            SELECT week.start, COALESCE(p.trades_used, 0), COALESCE(p.trades_remaining, 3)
            FROM (SELECT date_trunc('week', CURRENT_DATE)::date AS start) week
            LEFT JOIN pdt_tracking p ON p.week_start = week.start
            """,
            columns: [("week_start", .date), ("trades_used", .integer), ("trades_remaining", .integer)]),
        shape: .firstOrEmptyObject)

    /// Active strategies by name.
    public static let strategies = Endpoint(
        "/strategies",
        query: Query(name: "elpyfi_strategies", sql: "SELECT name, active, description FROM strategies WHERE active ORDER BY name",
                     columns: [("name", .text), ("active", .boolean), ("description", .text)]))
}
