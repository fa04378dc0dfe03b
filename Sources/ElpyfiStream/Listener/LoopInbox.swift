import Synchronization

/// What the listener thread tells an event loop, in the order it happened.
public enum ListenerNews<Event: Sendable>: Sendable {
    /// Numbered events, in NOTIFY order.
    case events([Event])
    /// LISTEN is live in this new epoch (its loss needs no news: `EventSequencer` holds LISTEN's state).
    case up(EpochID)
}

/// The listener thread's mailbox to one event loop: posts queue here and the loop drains them all at once.
///
/// Why not one `execute` per batch: a loop that falls behind (a burst, 20,000 clients, a stolen core) would
/// then run each queued batch separately, one write per client per batch. Draining everything at once merges
/// the queued batches (`take`), so each client gets all its pending frames in one write: the further behind,
/// the cheaper each frame, and the loop catches up instead of falling further back. Order is kept: a run of
/// events is merged only up to the next `up`, so no event crosses an epoch change.
public final class LoopInbox<Event: Sendable>: Sendable {
    private struct State {
        var items: [ListenerNews<Event>] = []
        var drainScheduled = false
    }

    private let state = Mutex(State())

    /// An empty inbox.
    public init() {}

    /// Queues `news`; true when the caller must schedule a drain (none is pending), false when one already is.
    public func post(_ news: ListenerNews<Event>) -> Bool {
        state.withLock { state in
            state.items.append(news)
            guard !state.drainScheduled else { return false }
            state.drainScheduled = true
            return true
        }
    }

    /// Everything posted so far, in order, with adjacent event batches merged into one; the next post schedules
    /// a new drain.
    public func take() -> [ListenerNews<Event>] {
        let items = state.withLock { state in
            state.drainScheduled = false
            defer { state.items.removeAll(keepingCapacity: true) }
            return state.items
        }
        var merged: [ListenerNews<Event>] = []
        var run: [Event] = []  // the events since the last epoch change, appended once each
        for item in items {
            if case .events(let more) = item { run += more; continue }
            if !run.isEmpty { merged.append(.events(run)); run = [] }
            merged.append(item)
        }
        if !run.isEmpty { merged.append(.events(run)) }
        return merged
    }
}
