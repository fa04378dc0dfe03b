extension Endpoint {
    /// The response body for the rows this endpoint's query returned.
    ///
    /// A result that does not have the columns the query declares fails this one request as
    /// `database_unavailable` (the schema changed under us); it never stops the worker.
    public func body(for rows: QueryRows) throws(APIError) -> [UInt8] {
        let columns = query.columns.count
        switch shape {
        case .array, .health:
            guard rows.columnCount == columns else { throw .databaseUnavailable }
            return RowEncoder.array(rows, query: query)
        case .firstOrEmptyObject:
            guard rows.columnCount == columns else { throw .databaseUnavailable }
            return RowEncoder.firstOrEmptyObject(rows, query: query)
        case .rangeCheckedArray(let outOfRange):
            guard rows.columnCount == columns + 1, rows.rowCount > 0 else { throw .databaseUnavailable }
            guard rows.value(row: 0, column: columns) == [UInt8(ascii: "t")] else { throw outOfRange }
            if rows.value(row: 0, column: 0) == nil { return Array("[]".utf8) }
            return RowEncoder.array(rows, query: query)
        }
    }
}
