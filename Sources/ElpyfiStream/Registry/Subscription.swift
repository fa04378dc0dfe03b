/// A registered client's id (never reused within a run).
public struct ClientID: Hashable, Sendable {
    /// The number behind the id (made only by the registry: the memberwise initialiser is internal).
    public let raw: UInt64
}

/// What a client asked for at upgrade (or SSE request): its stream filter, an optional resume point, its transport.
public struct Subscription: Sendable, Equatable {
    /// `?since=SEQ&epoch=E`.
    public struct ResumePoint: Sendable, Equatable {
        /// The last seq the client saw.
        public var since: Int
        /// The epoch that seq belongs to.
        public var epoch: String
        /// A resume point.
        public init(since: Int, epoch: String) {
            self.since = since
            self.epoch = epoch
        }
    }

    /// The stream and strategy the client receives.
    public var filter: StreamFilter
    /// Where to resume from, if the client asked.
    public var resume: ResumePoint?
    /// The transport: the path (`/ws*` or `/sse*`) chose it; nothing but framing depends on it.
    public var framing: Framing

    /// A subscription.
    public init(filter: StreamFilter, resume: ResumePoint? = nil, framing: Framing = .webSocket) {
        self.filter = filter
        self.resume = resume
        self.framing = framing
    }
}
