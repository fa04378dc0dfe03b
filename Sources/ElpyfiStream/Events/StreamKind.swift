/// The three streams of docs/CONTRACT.md, each a set of `type` prefixes.
public enum StreamKind: String, Sendable, CaseIterable {
    /// `/ws`: every event.
    case all
    /// `/ws/signals`: `signal.*`.
    case signals
    /// `/ws/trades`: `position.*`, `trade.*`, `order.*`, `pdt.*`.
    case trades

    /// The stream served at `path` (matched exactly: no trailing slash, no decoding).
    public init?(path: String) {
        switch path {
        case "/ws": self = .all
        case "/ws/signals": self = .signals
        case "/ws/trades": self = .trades
        default: return nil
        }
    }

    /// The type prefixes this stream receives; empty means everything.
    public var prefixes: [String] {
        switch self {
        case .all: []
        case .signals: ["signal."]
        case .trades: ["position.", "trade.", "order.", "pdt."]
        }
    }

    /// This stream's bit in `EventRoute.kinds`.
    public var bit: UInt8 {
        switch self {
        case .all: 1
        case .signals: 2
        case .trades: 4
        }
    }

    /// True when an event of `type` belongs on this stream (`signal.` matches `signal.` itself too).
    public func matches(type: String) -> Bool {
        prefixes.isEmpty || prefixes.contains { type.utf8.starts(with: $0.utf8) }
    }
}

/// One client's subscription: a stream, optionally narrowed to one strategy.
public struct StreamFilter: Sendable, Hashable {
    /// Which stream (`/ws`, `/ws/signals`, `/ws/trades`).
    public var kind: StreamKind
    /// `?strategy=`: only events whose `data.strategy` equals it.
    public var strategy: String?

    /// A filter for `kind`, optionally narrowed to `strategy`.
    public init(kind: StreamKind, strategy: String? = nil) {
        self.kind = kind
        self.strategy = strategy
    }

    /// True when an event routed as `route` goes to this client.
    public func matches(_ route: EventRoute) -> Bool {
        route.kinds & kind.bit != 0 && (strategy == nil || route.strategy == strategy)
    }
}
