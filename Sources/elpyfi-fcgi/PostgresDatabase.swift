import ElpyfiCore
import ElpyfiRuntime
import Postgres

/// `Database` over one worker thread's libpq connection.
///
/// The one place a database failure is logged (with libpq's detail) and
/// turned into the generic `database_unavailable` the client sees.
struct PostgresDatabase: Database {
    let connection: PostgresConnection
    let log: Log

    func run(_ query: Query, parameters: [String?]) throws(APIError) -> any QueryRows {
        do {
            return PostgresRows(result: try connection.execute(name: query.name, sql: query.sql, parameters: parameters))
        } catch {
            log.error("\(query.name): \(error.description): \(error.detail)")
            throw .databaseUnavailable
        }
    }
}

/// libpq's result seen through the core's `QueryRows`.
struct PostgresRows: QueryRows {
    let result: PostgresResult

    var rowCount: Int { result.rowCount }

    func isNull(row: Int, column: Int) -> Bool { result.isNull(row: row, column: column) }

    func withValue<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try result.withValue(row: row, column: column, body)
    }
}
