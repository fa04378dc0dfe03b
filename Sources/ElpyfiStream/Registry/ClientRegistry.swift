/// Every connected WebSocket client of one event loop and the loop's replay ring, as a state machine.
///
/// Does no I/O: each call returns what to send or close, and the server
/// performs it. `Handle` is whatever the server uses to reach a connection
/// (its channel handler); tests use plain integers. One instance lives on one
/// event loop, so calls are never concurrent. Messages are JSON: the server frames them.
///
/// A resuming client is *replaying*: it holds a cursor (the last seq it has been
/// given) into the ring, and the server pulls ring messages for it with
/// `continueReplay` while its socket has room. Live events are appended to the
/// ring before anyone is sent them, so a replaying client gets no live sends: its
/// cursor simply runs on until it reaches the head, and only then does it turn live
/// (no gap, no duplicate, NOTIFY order kept) — see `ClientRegistry+Replay.swift`.
public struct ClientRegistry<Handle> {
    /// What the server must do.
    public enum Action {
        /// Write this JSON message (the same bytes for every recipient) to each handle.
        case send(message: [UInt8], to: [Handle])
        /// Send a protocol ping to each handle.
        case ping([Handle])
        /// Send a close frame with `code` and `reason`, then close the connection.
        case close([Handle], code: UInt16, reason: String)
    }

    /// The answer to a new client.
    public enum Admission {
        /// LISTEN has not been live on this loop yet: refuse.
        case refused
        /// Registered; write `messages` (connected, then stream.gap if the resume point is lost) before anything else.
        /// When `replaying`, ring events follow: call `continueReplay` while the client's socket has room.
        case admitted(ClientID, messages: [[UInt8]], replaying: Bool)
    }

    struct Client {
        var handle: Handle
        var filter: StreamFilter
        var lastHeard: UInt64
        var lastPinged: UInt64
        /// While replaying: the last seq this client has been given (or skipped by its filter); nil once live.
        var replayCursor: Int?
    }

    /// Ping and drop deadlines.
    public let pingIntervalNanoseconds: UInt64
    /// Silence after which a client is dropped.
    public let pingTimeoutNanoseconds: UInt64

    var clients: [ClientID: Client] = [:]
    private var nextID: UInt64 = 1
    var ring: ReplayRing
    /// Bumped whenever the set of live clients changes (admitted live, turned live, removed, a new epoch), so
    /// that the server may keep the list `forEachLive` gives until it does.
    public internal(set) var generation = 0
    /// What this loop has relayed: the epoch of its ring and the last seq it relayed (`EventSequencer` numbered
    /// it; nothing here assigns one). Kept while LISTEN is down, for `connected` and a replay's `stream.gap`.
    public private(set) var position: StreamPosition?

    /// A registry with the ring `limits` and the ping policy in seconds.
    public init(ring limits: ReplayRing.Limits, pingSeconds: Int, pingTimeoutSeconds: Int) {
        ring = ReplayRing(limits: limits)
        pingIntervalNanoseconds = UInt64(pingSeconds) * 1_000_000_000
        pingTimeoutNanoseconds = UInt64(pingTimeoutSeconds) * 1_000_000_000
    }

    // MARK: Listener

    /// LISTEN is live again: a new epoch starts and every connected client gets `stream.resumed`.
    ///
    /// A client still replaying the old epoch stays paced: its cursor moves to seq 0 of the new
    /// one, so the new epoch's events reach it through the ring, after `stream.resumed`.
    public mutating func listenerUp(epoch: EpochID, now: Moment) -> [Action] {
        position = StreamPosition(epoch: epoch, seq: 0)
        ring.removeAll()
        guard !clients.isEmpty else { return [] }
        for (id, client) in clients where client.replayCursor != nil { clients[id]?.replayCursor = 0 }
        generation += 1
        return [.send(message: ControlMessages.resumed(epoch: epoch, at: now), to: clients.values.map(\.handle))]
    }

    /// An event numbered by the `EventSequencer`, in order: kept for resumes. Live clients get it from the
    /// server (`forEachLive`); replaying ones reach it through the ring.
    public mutating func relay(_ event: RelayedEvent) {
        position?.seq = event.seq
        ring.append(event)
    }

    /// Every live (not replaying) client with its filter, for the server's writes.
    public func forEachLive(_ body: (Handle, StreamFilter) -> Void) {
        for client in clients.values where client.replayCursor == nil { body(client.handle, client.filter) }
    }

    // MARK: Clients

    /// Registers a client and returns what it must receive first.
    public mutating func admit(_ handle: Handle, subscription: Subscription, now: Moment) -> Admission {
        guard let position else { return .refused }
        let id = ClientID(raw: nextID)
        nextID += 1
        var client = Client(handle: handle, filter: subscription.filter,
                            lastHeard: now.monotonicNanoseconds, lastPinged: now.monotonicNanoseconds)
        let (epoch, seq) = (position.epoch, position.seq)
        var messages = [ControlMessages.connected(stream: subscription.filter.kind, epoch: epoch, seq: seq, at: now)]
        if let resume = subscription.resume {
            if resume.epoch == epoch.text, resume.since <= seq, ring.entries(after: resume.since, currentSeq: seq) != nil {
                // Nothing missed (since == seq) means live at once; otherwise the ring holds all of it.
                client.replayCursor = resume.since < seq ? resume.since : nil
            } else {
                messages.append(ControlMessages.gap(epoch: epoch, seq: seq, at: now))
            }
        }
        clients[id] = client
        generation += 1
        return .admitted(id, messages: messages, replaying: client.replayCursor != nil)
    }

    /// The client sent something (any frame): it is alive.
    public mutating func heard(from id: ClientID, now: Moment) {
        clients[id]?.lastHeard = now.monotonicNanoseconds
    }

    /// The connection is gone (closed by either side).
    public mutating func remove(_ id: ClientID) {
        if clients.removeValue(forKey: id) != nil { generation += 1 }
    }

    /// The client's send queue went over its bound: close it with 1008 (the caller counts it, `StreamStats`).
    /// Nil when it is gone, or replaying: a replay is paced by the socket, so a full queue only pauses it.
    public mutating func slowConsumer(_ id: ClientID) -> Action? {
        guard let client = clients[id], client.replayCursor == nil else { return nil }
        remove(id)
        return .close([client.handle], code: CloseCode.policyViolation, reason: "slow consumer")
    }

    /// Periodic housekeeping: ping clients idle for a ping interval, drop those silent past the timeout.
    public mutating func tick(now: Moment) -> [Action] {
        let current = now.monotonicNanoseconds
        var toPing: [Handle] = []
        var toDrop: [(ClientID, Handle)] = []
        for (id, client) in clients {
            if current &- client.lastHeard >= pingTimeoutNanoseconds {
                toDrop.append((id, client.handle))
            } else if current &- max(client.lastHeard, client.lastPinged) >= pingIntervalNanoseconds {
                toPing.append(client.handle)
                clients[id]?.lastPinged = current
            }
        }
        for (id, _) in toDrop { remove(id) }
        var actions: [Action] = []
        if !toPing.isEmpty { actions.append(.ping(toPing)) }
        if !toDrop.isEmpty { actions.append(.close(toDrop.map(\.1), code: CloseCode.policyViolation, reason: "ping timeout")) }
        return actions
    }

    /// Shutdown: every client gets close 1001 and the registry empties.
    public mutating func shutdown() -> [Action] {
        let handles = clients.values.map(\.handle)
        clients.removeAll()
        generation += 1
        return handles.isEmpty ? [] : [.close(handles, code: CloseCode.goingAway, reason: "server shutting down")]
    }
}

extension ClientRegistry.Action: Equatable where Handle: Equatable {}
