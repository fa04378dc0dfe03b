/// A request path matched to its entry in `EndpointTable.all`, with the raw path parameters.
public struct EndpointMatch: Sendable {
    /// The entry's position in `EndpointTable.all`: a fixed, small label for counters.
    public let index: Int
    /// The undecoded segments where the template has `{name}`, in order.
    let pathValues: [Substring]

    /// The matched endpoint.
    public var endpoint: Endpoint { EndpointTable.all[index] }

    /// The entry `path` fits exactly (no trailing-slash leniency, no percent-decoding), nil for none.
    public init?(path: Substring) {
        guard path.first == "/" else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        // By index, not `enumerated()`: that copies each `Endpoint` (and retains its members) per request.
        for index in EndpointTable.all.indices {
            if let values = EndpointTable.all[index].pathValues(parts) {
                self.index = index
                pathValues = values
                return
            }
        }
        return nil
    }

    /// The values to bind as `$1...$n`: each parameter checked by its rule in binding order, then the
    /// endpoint's cross-checks; throws the 400 of the first that fails.
    public func bind(_ query: QueryParameters) throws(APIError) -> [String?] {
        let endpoint = endpoint
        var pathValues = pathValues.makeIterator()
        var bound: [String?] = []
        bound.reserveCapacity(endpoint.parameters.count)
        for parameter in endpoint.parameters {
            let text = switch parameter.location {
            case .path: pathValues.next().map(String.init)
            case .query: try query.single(parameter.name)
            }
            bound.append(try parameter.rule.bind(text, name: parameter.name))
        }
        try endpoint.crossCheck(bound)
        return bound
    }
}
