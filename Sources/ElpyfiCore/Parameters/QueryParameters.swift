/// A raw query string split into decoded name/value pairs.
///
/// Keeps every occurrence (so "given twice" can be refused) and keeps values
/// that fail to decode as `nil` (so `limit=%ZZ` is a 400, not a silent default).
public struct QueryParameters: Sendable, Equatable {
    /// Each `name=value` in order; value nil when its percent-encoding or UTF-8 is broken.
    public let pairs: [(name: String, value: String?)]

    /// Parses `a=1&b=x%20y`; `+` is a space (HTML forms); a bare `a` has the empty value.
    public init(_ query: Substring) {
        var pairs: [(name: String, value: String?)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let rawValue: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                rawValue = piece[piece.index(after: equals)...]
            } else {
                name = piece[...]
                rawValue = ""
            }
            guard let decodedName = PercentDecoding.decode(name) else { continue }
            pairs.append((decodedName, PercentDecoding.decode(rawValue)))
        }
        self.pairs = pairs
    }

    /// Parses a whole query string.
    public init(_ query: String) { self.init(query[...]) }

    /// The single value of `name`: nil when absent; a 400 when repeated, empty or undecodable.
    public func single(_ name: String) throws(APIError) -> String? {
        var found: String?? = nil
        for pair in pairs where pair.name == name {
            guard found == nil else { throw APIError.invalidParameter(name: name, reason: "given more than once") }
            found = .some(pair.value)
        }
        guard let found else { return nil }
        guard let value = found else { throw APIError.invalidParameter(name: name, reason: "bad percent-encoding") }
        guard !value.isEmpty else { throw APIError.invalidParameter(name: name, reason: "must not be empty") }
        return value
    }

    /// Equal when the same pairs come in the same order.
    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.map { "\($0.name)=\($0.value ?? "<bad>")" } == rhs.pairs.map { "\($0.name)=\($0.value ?? "<bad>")" }
    }
}

/// `%XX` decoding of URL components (`+` as space, for query strings).
public enum PercentDecoding {
    /// The decoded text; nil for a malformed `%` escape or bytes that are not UTF-8.
    public static func decode<S: StringProtocol>(_ text: S) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.value), let low = iterator.next().flatMap(Hex.value) else { return nil }
                out.append(high << 4 | low)
            default: out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
