/// The parts of an HTTP request the API looks at, transport-free.
public struct APIRequest: Sendable, Equatable {
    /// `GET`, `HEAD`, ...
    public var method: String
    /// The raw request target (`/signals/recent?limit=5`), not percent-decoded: paths match exactly.
    public var uri: String
    /// `X-API-Key`, nil when absent.
    public var apiKey: String?
    /// `If-None-Match`, nil when absent.
    public var ifNoneMatch: String?

    /// A request as the transport saw it.
    public init(method: String, uri: String, apiKey: String? = nil, ifNoneMatch: String? = nil) {
        self.method = method
        self.uri = uri
        self.apiKey = apiKey
        self.ifNoneMatch = ifNoneMatch
    }

    /// One header's value from all the lines a client sent: repeated lines are joined
    /// as HTTP does (RFC 9110 §5.3), so a repeated `X-API-Key` never equals a configured
    /// key, whichever nginx version passed it (before 1.23 nginx sends each line apart).
    public static func headerValue(fromLines lines: [String]) -> String? {
        // One line, the usual case, is the value as it is: `joined` would copy it (~200 instructions a request).
        lines.count == 1 ? lines[0] : lines.isEmpty ? nil : lines.joined(separator: ", ")
    }

    /// The path part of `uri` (before `?`; a `#` fragment never reaches a server).
    public var path: Substring {
        queryMark.map { uri[..<$0] } ?? uri[...]
    }

    /// The raw query string (after the first `?`), empty when none.
    public var query: Substring {
        queryMark.map { uri[uri.utf8.index(after: $0)...] } ?? ""
    }

    /// Where the first `?` is, searched as bytes (a search by `Character` cost more than routing the request), in the
    /// URI's contiguous UTF-8 when it has it (always, natively): stepping `utf8`'s indices cost ~370 instructions a
    /// search, and a request searches twice (callgrind, bench/rest-instructions).
    private var queryMark: String.Index? {
        let utf8 = uri.utf8
        if let offset = utf8.withContiguousStorageIfAvailable({ $0.firstIndex(of: UInt8(ascii: "?")) }) {
            return offset.map { utf8.index(utf8.startIndex, offsetBy: $0) }
        }
        return utf8.firstIndex(of: UInt8(ascii: "?"))
    }
}
