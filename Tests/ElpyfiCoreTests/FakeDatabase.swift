import ElpyfiCore

extension QueryRows {
    /// Rows in PostgreSQL's text format, as libpq hands them over; `nil` is SQL NULL.
    /// Like a libpq result, the bytes live in storage these rows keep alive.
    /// `columns` is the width libpq reports even for no rows; by default the first row's.
    init(texts rows: [[String?]], columns: Int? = nil) {
        let storage = TextStorage(rows.joined())
        self.init(rowCount: rows.count, columnCount: columns ?? rows.first?.count ?? 0, values: storage.values, keepingAlive: storage)
    }
}

/// Owns the bytes of fake rows until the last `QueryRows` using them is gone.
private final class TextStorage {
    let values: [UnsafeBufferPointer<UInt8>?]

    init<S: Sequence<String?>>(_ texts: S) {
        values = texts.map { text in
            text.map { text in
                let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.utf8.count)
                _ = buffer.initialize(from: text.utf8)
                return UnsafeBufferPointer(buffer)
            }
        }
    }

    deinit { values.forEach { $0?.deallocate() } }
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

    func run(_ query: Query, parameters: [String?]) throws(APIError) -> QueryRows {
        calls.append(Call(query: query.name, parameters: parameters))
        if let failure { throw failure }
        return QueryRows(texts: rows, columns: rows.first?.count ?? query.columns.count)
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
