import ElpyfiCore
import ElpyfiRuntime
import Postgres

/// `Database` over one worker thread's libpq connection.
///
/// The one place a database failure is logged (with libpq's detail and the request's id) and turned
/// into the generic `database_unavailable` the client sees; also where the thread's `elpyfi_db_up`
/// and reconnect figures are kept. One per thread, like its connection.
final class PostgresDatabase: Database {
    let connection: PostgresConnection
    let log: Log
    /// Nil when `ELPYFI_METRICS=0`.
    let metrics: RequestMetrics.Thread?
    /// nginx's `$request_id` of the request being answered; read only when a line is logged.
    let requestID: () -> String?
    private var connectsSeen = 0
    /// Every answer's values, overwritten by the next (`PostgresResult.allValues(into:)`): no array per request. Holds
    /// as many entries as the largest answer so far had (16 bytes each: 112 kB for 1,000 signals of 7 columns).
    private var values: [UnsafeBufferPointer<UInt8>] = []

    init(connection: PostgresConnection, log: Log, metrics: RequestMetrics.Thread?, requestID: @escaping () -> String?) {
        self.connection = connection
        self.log = log
        self.metrics = metrics
        self.requestID = requestID
        connectsSeen = connection.connectCount
    }

    func run(_ query: Query, parameters: [String?]) throws(APIError) -> QueryRows {
        let result: PostgresResult
        do {
            result = try connection.execute(name: query.name, sql: query.sql, parameters: parameters)
        } catch {
            observe(reached: error.kind != .connection)
            // The first line only: libpq may add `LINE 1: <statement text>` under it, and SQL stays out of logs.
            log.error("\(query.name): \(error.description): \(PostgresDatabase.firstLine(error.detail))", requestID: requestID())
            throw .databaseUnavailable
        }
        observe(reached: true)
        let byteCount = result.allValues(into: &values)
        let (rows, columns) = (result.rowCount, result.columnCount)
        return QueryRows(rowCount: rows, columnCount: columns, values: values[..<(rows * columns)], trustedValueBytes: byteCount,
                         keepingAlive: result)
    }

    /// Notes the outcome in `elpyfi_db_up` and counts dials beyond the thread's first as reconnects.
    func observe(reached: Bool) {
        guard let metrics else { return }
        metrics.databaseReached(reached)
        let connects = connection.connectCount
        if connects != connectsSeen {
            // Every dial after the first is a re-connection (one call dials at most twice).
            for _ in max(connectsSeen, 1)..<max(connects, 1) { metrics.databaseReconnected() }
            connectsSeen = connects
        }
    }

    static func firstLine(_ text: String) -> Substring {
        text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }
}
