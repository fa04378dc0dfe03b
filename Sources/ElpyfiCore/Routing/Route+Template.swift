extension Route {
    /// The endpoint template of API.md's table (`/metrics/{strategy}`): what `AccessPolicy` decides on, so that
    /// the raw path a client spelled never reaches that decision.
    public var template: String {
        switch self {
        case .health: "/health"
        case .positions: "/positions"
        case .recentSignals: "/signals/recent"
        case .proposedSignals: "/signals/proposed"
        case .metrics: "/metrics/{strategy}"
        case .pdtStatus: "/pdt/status"
        case .strategies: "/strategies"
        }
    }
}
