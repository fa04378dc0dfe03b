/// What routing needs to know about an event: its `type` and `data.strategy`.
public struct EventRoute: Sendable, Equatable {
    /// The top-level `type`, e.g. `signal.generated`.
    public var type: String
    /// `data.strategy` when `data` is an object and it is a string.
    public var strategy: String?
    /// The streams whose type prefixes match, one bit per `StreamKind`: matched once per event, not per client.
    public let kinds: UInt8

    /// Creates a route.
    public init(type: String, strategy: String?) {
        self.type = type
        self.strategy = strategy
        kinds = StreamKind.allCases.reduce(0) { $1.matches(type: type) ? $0 | $1.bit : $0 }
    }
}

/// A payload that passed validation, split where `"seq":N` goes.
///
/// `head` is the engine's object up to the end of its last member (any
/// top-level `seq` already removed) and `tail` the rest (`}` and any space
/// before it), so `head + ,"seq":N + tail` is the relayed text.
public struct ScannedEvent: Sendable, Equatable {
    /// Where the event goes.
    public var route: EventRoute
    /// The object's bytes up to the insertion point.
    public var head: [UInt8]
    /// The object's bytes from the insertion point (ends with `}`). Made only by `EventScanner`
    /// (the memberwise initialiser is internal): a scanned event is one that passed validation.
    public var tail: [UInt8]

    /// The relayed JSON text with `seq` appended as the last member.
    public func json(seq: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count + tail.count + 28)
        out += head
        out += ScannedEvent.seqKey
        out += String(seq).utf8
        out += tail
        return out
    }

    private static let seqKey: [UInt8] = Array(",\"seq\":".utf8)
}
