/// The table as other tools read it (through `elpyfi-fcgi routes`): nginx's route map is rendered from
/// `nginxRouteMap`; the test that holds `openapi.yaml` to the table and bench/'s pgbench scripts read `json`.
extension EndpointTable {
    /// The `map` line of `nginx/snippets/routes-map.conf` that knows every endpoint: one regex, an alternation of
    /// the templates (`"~^/(health|...|metrics/[^/]+/history) " k;`), matching the raw path, then a space, as that
    /// map's input has it; `{name}` matches one non-empty segment. One regex, not one per endpoint: nginx tries a
    /// map's regexes in turn, and each try costs about as much as the match.
    public static var nginxRouteMap: String {
        let patterns = all.map { endpoint in
            endpoint.segments.map { segment in
                segment.map { $0.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? String($0) : "\\" + String($0) }.joined() }
                    ?? "[^/]+"
            }.joined(separator: "/")
        }
        return "    \"~^/(\(patterns.joined(separator: "|"))) \" k;"
    }

    /// `[{"path", "api_key", "parameters": [{"name", "in"}], "fields", "statement", "sql"}]` in table order (bench/'s
    /// pgbench scripts run the same SQL). Written by interpolation: every string but the SQL is a constant of this
    /// table made of `[A-Za-z0-9_/{}.-]`, which JSON needs no escape for (a unit test holds the table to that).
    public static var json: String {
        let entries = all.map { endpoint in
            let parameters = endpoint.parameters.map { #"{"name":"\#($0.name)","in":"\#($0.location.rawValue)"}"# }
            let fields = endpoint.shape == .health ? [] : endpoint.query.columns.map { #""\#($0.name)""# }
            return #"{"path":"\#(endpoint.template)","api_key":\#(endpoint.requiresAPIKey),"#
                + #""parameters":[\#(parameters.joined(separator: ","))],"fields":[\#(fields.joined(separator: ","))],"#
                + #""statement":"\#(endpoint.query.name)","sql":\#(JSONEscape.quoted(endpoint.query.sql))}"#
        }
        return "[" + entries.joined(separator: ",") + "]"
    }
}
