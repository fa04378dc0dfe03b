/// The SQL of every endpoint, one constant each.
///
/// Conventions: timestamps are selected `AT TIME ZONE 'UTC'` so their text is
/// UTC whatever the session's `TimeZone`; optional filters are
/// `($n::text IS NULL OR col = $n)` so that one prepared statement serves
/// every combination of filters.
public enum Queries {
    /// `/health`: a round trip, nothing more.
    public static let health = Query(name: "elpyfi_health", sql: "SELECT 1", columns: [("ok", .integer)])

    /// `/positions`: open positions, by strategy then symbol ($1 strategy, $2 symbol).
    public static let positions = Query(
        name: "elpyfi_positions",
        sql: """
        SELECT symbol, quantity, entry_price, current_price, unrealized_pl, strategy
        FROM positions
        WHERE status = 'open'
          AND ($1::text IS NULL OR strategy = $1::text)
          AND ($2::text IS NULL OR symbol = $2::text)
        ORDER BY strategy, symbol, id
        """,
        columns: [("symbol", .text), ("quantity", .number), ("entry_price", .number), ("current_price", .number),
                  ("unrealized_pl", .number), ("strategy", .text)])

    /// The columns both signal endpoints return.
    static let signalColumns: [(name: String, kind: ColumnKind)] = [
        ("id", .integer), ("strategy", .text), ("symbol", .text), ("action", .text), ("confidence", .number),
        ("timestamp", .timestamp), ("metadata", .json),
    ]

    /// Signals newest first with keyset paging: $1 strategy, $2 symbol, $3 action, $4 limit, $5 before_id.
    /// `before_id=N` continues after row N in (timestamp DESC, id DESC) order; when row N is gone, `id < N`.
    static func signalsSQL(from source: String) -> String {
        """
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
        """
    }

    /// `/signals/recent`.
    public static let recentSignals = Query(name: "elpyfi_signals_recent", sql: signalsSQL(from: "signals"), columns: signalColumns)

    /// `/signals/proposed`: the engine's `pending_ai_proposals` view.
    public static let proposedSignals = Query(
        name: "elpyfi_signals_proposed", sql: signalsSQL(from: "pending_ai_proposals"), columns: signalColumns)

    /// `/metrics/{strategy}`: $1 strategy, $2 date (NULL = `CURRENT_DATE` in the session's time zone).
    public static let metrics = Query(
        name: "elpyfi_metrics",
        sql: """
        SELECT strategy, date, total_trades, win_rate, profit_loss, sharpe_ratio, max_drawdown
        FROM strategy_metrics
        WHERE strategy = $1::text AND date = COALESCE($2::date, CURRENT_DATE)
        """,
        columns: [("strategy", .text), ("date", .date), ("total_trades", .integer), ("win_rate", .number),
                  ("profit_loss", .number), ("sharpe_ratio", .number), ("max_drawdown", .number)])

    /// `/pdt/status`: this week's row, or 0 used / 3 remaining when the engine has written none.
    public static let pdtStatus = Query(
        name: "elpyfi_pdt_status",
        sql: """
        SELECT week.start, COALESCE(p.trades_used, 0), COALESCE(p.trades_remaining, 3)
        FROM (SELECT date_trunc('week', CURRENT_DATE)::date AS start) week
        LEFT JOIN pdt_tracking p ON p.week_start = week.start
        """,
        columns: [("week_start", .date), ("trades_used", .integer), ("trades_remaining", .integer)])

    /// `/strategies`: active ones, by name.
    public static let strategies = Query(
        name: "elpyfi_strategies",
        sql: "SELECT name, active, description FROM strategies WHERE active ORDER BY name",
        columns: [("name", .text), ("active", .boolean), ("description", .text)])

    /// Every statement, so a connection can prepare them all up front.
    public static let all: [Query] = [health, positions, recentSignals, proposedSignals, metrics, pdtStatus, strategies]
}
