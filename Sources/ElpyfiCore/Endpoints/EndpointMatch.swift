/// A request path matched to its entry in `EndpointTable.all`, with the raw path parameters.
public struct EndpointMatch: Sendable {
    /// The entry's position in `EndpointTable.all`: a fixed, small label for counters.
    public let index: Int
    /// The undecoded segments where the template has `{name}`, in order.
    let pathValues: [Substring]

    /// The matched endpoint.
    public var endpoint: Endpoint { EndpointTable.all[index] }

    /// The entry `path` fits exactly (no trailing-slash leniency, no percent-decoding), nil for none.
    ///
    /// Matched on the path's bytes, segment by segment, with the segment bounds on the stack: no split
    /// into substrings and no `Character` comparison per request (callgrind: they cost more than the answer).
    public init?(path: Substring) {
        var path = path
        let found: (index: Int, values: [Range<Int>])? = path.withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "/") else { return nil }
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: EndpointMatch.maxSegments) { parts in
                // The segments after the leading `/`, each up to the next `/` (empty ones kept).
                var count = 0, start = 1
                for index in 1...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                    guard count < parts.count else { return nil }  // deeper than any template
                    parts[count] = start..<index
                    count += 1
                    start = index + 1
                }
                for entry in EndpointTable.all.indices {
                    if let values = EndpointTable.all[entry].pathValues(bytes, UnsafeBufferPointer(rebasing: parts[..<count])) {
                        return (entry, values)
                    }
                }
                return nil
            }
        }
        guard let found else { return nil }
        index = found.index
        let utf8 = path.utf8
        pathValues = found.values.map { range in
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)])
        }
    }

    /// More segments than any template has: such a path matches nothing.
    static let maxSegments = 8

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
