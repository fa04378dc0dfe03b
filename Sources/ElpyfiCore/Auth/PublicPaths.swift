/// `ELPYFI_PUBLIC_PATHS`: the endpoint templates that also answer without a key
/// (docs/CONTRACT.md "Public dashboard access").
///
/// Entries are paths exactly as the contract's tables write them (`/positions`, `/ws/trades`, ...);
/// `/metrics/*` stands for `/metrics/{strategy}` and `/metrics/{strategy}/history`. Anything else stops
/// start-up: a typo must not silently leave a dashboard private, nor open a path nobody meant to open. The set
/// holds endpoint *templates* (what a router matched), never raw request paths, so nothing a client sends can
/// make its path "listed".
public struct PublicPaths: Sendable, Equatable {
    /// The templates that may be listed: every keyed REST endpoint and the three streams on both transports.
    public static let listable: [String] =
        EndpointTable.all.filter(\.requiresAPIKey).map(\.template)
        + ["/ws", "/ws/signals", "/ws/trades", "/sse", "/sse/signals", "/sse/trades"]

    /// The listed templates.
    public let templates: Set<String>

    /// No public path: every data path needs a key (the default).
    public static let none = PublicPaths(uncheckedTemplates: [])

    private init(uncheckedTemplates: Set<String>) { templates = uncheckedTemplates }

    /// Parses the entries of `ELPYFI_PUBLIC_PATHS` (already split on commas and trimmed, blanks dropped).
    public init(entries: [String]) throws(ConfigError) {
        var templates = Set<String>()
        for (index, entry) in entries.enumerated() {
            switch entry {
            case "/metrics/*":
                templates.formUnion(["/metrics/{strategy}", "/metrics/{strategy}/history"])
            case _ where PublicPaths.listable.contains(entry):
                templates.insert(entry)
            default:
                // Names the entry's position, not its text (ConfigError never echoes a value).
                throw ConfigError(variable: "ELPYFI_PUBLIC_PATHS", reason: "entry \(index + 1) is not a listable path; "
                    + "use any of \((PublicPaths.listable + ["/metrics/*"]).joined(separator: ", "))")
            }
        }
        self.init(uncheckedTemplates: templates)
    }

    /// True when `template` (an endpoint template such as `/metrics/{strategy}`) answers without a key.
    public func contains(template: String) -> Bool { templates.contains(template) }

    /// True when nothing is public.
    public var isEmpty: Bool { templates.isEmpty }
}
