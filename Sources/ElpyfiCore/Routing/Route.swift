/// The REST endpoints the worker answers: the route table of API.md, in one place.
///
/// nginx's `nginx/snippets/routes-map.conf` mirrors this list so that it can
/// answer 405 before reading a body (the order of checks puts 404 first).
public enum Route: Equatable, Sendable {
    case health
    case positions
    case recentSignals
    case proposedSignals
    /// `/metrics/{strategy}`: the raw, undecoded path segment.
    case metrics(strategySegment: String)
    case pdtStatus
    case strategies

    /// Matches a raw path exactly: no trailing-slash leniency, no percent-decoding.
    public init?(path: Substring) {
        switch path {
        case "/health": self = .health
        case "/positions": self = .positions
        case "/signals/recent": self = .recentSignals
        case "/signals/proposed": self = .proposedSignals
        case "/pdt/status": self = .pdtStatus
        case "/strategies": self = .strategies
        default:
            let prefix = "/metrics/"
            guard path.hasPrefix(prefix) else { return nil }
            let segment = path.dropFirst(prefix.count)
            guard !segment.isEmpty, !segment.contains("/") else { return nil }
            self = .metrics(strategySegment: String(segment))
        }
    }

    /// Everything but `/health` needs an API key.
    public var requiresAPIKey: Bool { self != .health }
}
