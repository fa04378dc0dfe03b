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

    func run(_ query: Query, parameters: [String?]) throws(APIError) -> QueryRows {
        let result: PostgresResult
        do {
            result = try connection.execute(name: query.name, sql: query.sql, parameters: parameters)
        } catch {
            log.error("\(query.name): \(error.description): \(error.detail)")
            throw .databaseUnavailable
        }
        return QueryRows(rowCount: result.rowCount, columnCount: result.columnCount, values: result.allValues(),
                         keepingAlive: result)
    }
}
