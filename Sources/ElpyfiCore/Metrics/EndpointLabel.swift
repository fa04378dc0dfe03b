/// The `endpoint` label of the REST metrics: a route template, or `unknown` for every path outside the table.
///
/// Labels come only from this fixed list, never from request text, so no client can add a series.
/// The one place that maps an answer onto a label index (`index(for:)`): the index of the table entry
/// that answered, which the service records in the response.
public enum EndpointLabel {
    /// The templates of the endpoint table, in table order (`APIResponse.endpointIndex` indexes them).
    public static let templates = EndpointTable.all.map(\.template)
    /// The label of a path outside the table (always answered 404).
    public static let unknown = "unknown"
    /// Every label: the templates, then `unknown` (index `templates.count`).
    public static let all = templates + [unknown]

    /// The label index of an answer: the table entry that answered, or `unknown` when none matched.
    @inline(__always)
    public static func index(for response: APIResponse) -> Int {
        response.endpointIndex ?? templates.count
    }
}

/// The `status` label: the codes the worker answers with, each its own slot, and a class slot (`5xx`, ...)
/// for anything else, so the number of series is fixed whatever happens.
public enum StatusLabel {
    /// Codes with a slot of their own.
    public static let codes = [200, 304, 400, 401, 403, 404, 405, 500, 503]
    /// Slots: the codes, then `1xx` ... `5xx`.
    public static let slotCount = codes.count + 5

    /// The slot of `status`.
    @inline(__always)
    public static func slot(_ status: Int) -> Int {
        codes.firstIndex(of: status) ?? codes.count + min(4, max(0, status / 100 - 1))
    }

    /// The label text of slot `slot`.
    public static func text(_ slot: Int) -> String {
        slot < codes.count ? String(codes[slot]) : "\(slot - codes.count + 1)xx"
    }
}
