/// One REST endpoint, whole: its path template, whether it needs a key, the parameters it binds,
/// the constant SQL it runs and how the rows become its body.
///
/// The worker's routing, key check, parameter rules, prepared statements and row encoding all read
/// this value, and so do nginx's route map (`elpyfi-fcgi routes --nginx`) and the test that holds
/// `openapi.yaml` to it: adding an endpoint is one entry in `EndpointTable.all`.
///
/// A class, immutable: a request reads its entry of the table several times (matching tries each entry in turn, then
/// binding and answering), and a struct copy retained and released each of its nine reference fields every time,
/// ~3k instructions per request (callgrind, bench/rest-instructions); a reference costs one retain.
public final class Endpoint: Sendable {
    /// How the rows become the body.
    public enum Shape: Sendable, Equatable {
        /// `[...]`, one object per row.
        case array
        /// The first row, or `{}` when there is none.
        case firstOrEmptyObject
        /// `[...]` from SQL that appends a boolean `in_range` column after the encoded ones and, when no day
        /// matches, returns one row of NULLs: `f` there is the 400 `outOfRange` names (the range depends on the
        /// session's `CURRENT_DATE`, which only the database knows).
        case rangeCheckedArray(outOfRange: APIError)
        /// `/health`'s own bodies, healthy or not (never the error shape).
        case health
    }

    /// `/metrics/{strategy}`: literal segments and `{name}` path parameters, matched byte for byte.
    public let template: String
    /// False only for `/health`.
    public let requiresAPIKey: Bool
    /// Bound to the SQL as `$1...$n` in this order, which is also the order they are checked in.
    public let parameters: [Parameter]
    /// The statement and its columns (the JSON members, in order).
    public let query: Query
    /// How its rows become the body.
    public let shape: Shape
    /// Checks between parameters, after each passed its own rule (`from` not after `to`).
    let crossCheck: @Sendable ([String?]) throws(APIError) -> Void
    /// The template split at `/`: a literal segment, or nil where a path parameter goes.
    let segments: [Substring?]
    /// The same, as bytes, for matching request paths.
    let segmentBytes: [[UInt8]?]

    /// An endpoint; `parameters` must name each `{name}` of `template` once, as `.path`.
    init(_ template: String, key: Bool = true, parameters: [Parameter] = [], query: Query, shape: Shape = .array,
         crossCheck: @escaping @Sendable ([String?]) throws(APIError) -> Void = { _ in }) {
        self.template = template
        requiresAPIKey = key
        self.parameters = parameters
        self.query = query
        self.shape = shape
        self.crossCheck = crossCheck
        segments = template.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("{") ? nil : $0 }
        segmentBytes = segments.map { $0.map { Array($0.utf8) } }
    }

    /// Where the path parameters lie in `path` when its segments (`parts`: byte ranges of `path`, found once per
    /// request) fit this template, nil otherwise; compared byte for byte, no decoding, no slash leniency.
    func pathValues(_ path: UnsafeBufferPointer<UInt8>, _ parts: UnsafeBufferPointer<Range<Int>>) -> [Range<Int>]? {
        guard parts.count == segmentBytes.count else { return nil }
        var values: [Range<Int>] = []
        for (part, segment) in zip(parts, segmentBytes) {
            if let segment {
                guard part.count == segment.count, UnsafeBufferPointer(rebasing: path[part]).elementsEqual(segment) else { return nil }
            } else {
                guard !part.isEmpty else { return nil }
                values.append(part)
            }
        }
        return values
    }
}

/// One parameter an endpoint binds: where it comes from and the rule its text must pass.
public struct Parameter: Sendable {
    /// Path segment or query string.
    public enum Location: String, Sendable { case path, query }

    /// The name the client uses, and the one a 400 names.
    public let name: String
    public let location: Location
    public let rule: ParameterRule

    /// A `?name=` parameter.
    static func query(_ name: String, _ rule: ParameterRule) -> Parameter { Parameter(name: name, location: .query, rule: rule) }
    /// A `{name}` segment of the path.
    static func path(_ name: String, _ rule: ParameterRule) -> Parameter { Parameter(name: name, location: .path, rule: rule) }
}
