/// What one validated request will run: a query, its bound parameters, and how to shape the rows.
public struct EndpointPlan: Sendable {
    /// How the rows become the body.
    public enum Shape: Sendable, Equatable {
        /// `[...]`, one object per row.
        case array
        /// The first row, or `{}` when there is none (`/metrics`).
        case firstOrEmptyObject
    }

    /// The statement to run.
    public let query: Query
    /// Bound as `$1...$n`, in order; nil is SQL NULL (an absent filter).
    public let parameters: [String?]
    /// How its rows become the body.
    public let shape: Shape

    /// Validates `parameters` for `route` and binds them; throws the 400 of the first bad one.
    ///
    /// Parameters are checked in a fixed order (the order of the SQL's `$n`),
    /// so the parameter a 400 names is deterministic.
    public init(route: Route, parameters: QueryParameters) throws(APIError) {
        switch route {
        case .health:
            self.init(Queries.health, [], .array)
        case .positions:
            let strategy = try ParameterRules.name(parameters.single("strategy"), parameter: "strategy")
            let symbol = try ParameterRules.name(parameters.single("symbol"), parameter: "symbol")
            self.init(Queries.positions, [strategy, symbol], .array)
        case .recentSignals, .proposedSignals:
            let strategy = try ParameterRules.name(parameters.single("strategy"), parameter: "strategy")
            let symbol = try ParameterRules.name(parameters.single("symbol"), parameter: "symbol")
            let action = try ParameterRules.action(parameters.single("action"))
            let limit = try ParameterRules.limit(parameters.single("limit"))
            let beforeID = try ParameterRules.beforeID(parameters.single("before_id"))
            let query = route == .recentSignals ? Queries.recentSignals : Queries.proposedSignals
            self.init(query, [strategy, symbol, action, String(limit), beforeID.map(String.init)], .array)
        case .metrics(let segment):
            let strategy = try ParameterRules.name(segment, parameter: "strategy")
            let date = try ParameterRules.date(parameters.single("date"))
            self.init(Queries.metrics, [strategy, date], .firstOrEmptyObject)
        case .pdtStatus:
            self.init(Queries.pdtStatus, [], .firstOrEmptyObject)
        case .strategies:
            self.init(Queries.strategies, [], .array)
        }
    }

    private init(_ query: Query, _ parameters: [String?], _ shape: Shape) {
        self.query = query
        self.parameters = parameters
        self.shape = shape
    }

    /// The response body for the rows the query returned.
    public func body(for rows: QueryRows) -> [UInt8] {
        switch shape {
        case .array: RowEncoder.array(rows, query: query)
        case .firstOrEmptyObject: RowEncoder.firstOrEmptyObject(rows, query: query)
        }
    }
}
