import ElpyfiCore

/// Rows in PostgreSQL's text format, as libpq hands them over; `nil` is SQL NULL.
struct FakeRows: QueryRows {
    var rows: [[String?]]

    init(_ rows: [[String?]]) { self.rows = rows }

    var rowCount: Int { rows.count }

    func isNull(row: Int, column: Int) -> Bool { rows[row][column] == nil }

    func withValue<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let bytes = Array((rows[row][column] ?? "").utf8)
        return try bytes.withUnsafeBufferPointer(body)
    }
}

/// A `Database` that records every query it is asked to run and answers with canned rows,
/// or fails the way the real one does when PostgreSQL is down.
final class FakeDatabase: Database {
    /// One call to `run`: the prepared statement's name and its bound parameters.
    struct Call: Equatable {
        var query: String
        var parameters: [String?]
    }

    /// What every query returns.
    var rows: [[String?]]
    /// When set, every query throws this instead.
    var failure: APIError?
    private(set) var calls: [Call] = []

    init(rows: [[String?]] = [], failure: APIError? = nil) {
        self.rows = rows
        self.failure = failure
    }

    /// A database whose every query fails as if PostgreSQL were unreachable.
    static func down() -> FakeDatabase { FakeDatabase(failure: .databaseUnavailable) }

    func run(_ query: Query, parameters: [String?]) throws(APIError) -> any QueryRows {
        calls.append(Call(query: query.name, parameters: parameters))
        if let failure { throw failure }
        return FakeRows(rows)
    }
}

/// Bytes as text, for readable expectations.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The error a typed-throwing call threw, nil when it returned.
func thrownError<T, E: Error>(_ body: () throws(E) -> T) -> E? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The parameter a 400 names, nil for any other outcome.
func rejectedParameter(_ error: APIError?) -> String? {
    if case .invalidParameter(let name, _)? = error { return name }
    return nil
}
