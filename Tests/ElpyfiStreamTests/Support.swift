import ElpyfiStream

/// A moment `seconds` after an arbitrary start.
func at(_ seconds: Double) -> Moment {
    Moment(monotonicNanoseconds: UInt64(seconds * 1e9) + 1_000_000_000_000, unixMilliseconds: 1_705_314_660_000 + Int64(seconds * 1000))
}

/// A scanned event of `type` for `strategy`.
func event(_ type: String, strategy: String? = nil) -> ScannedEvent {
    let data = strategy.map { #"{"strategy":"\#($0)"}"# } ?? "{}"
    guard case .success(let scanned) = EventScanner.scan(Array(#"{"type":"\#(type)","data":\#(data)}"#.utf8)) else {
        fatalError("test event does not scan")
    }
    return scanned
}

/// A message's JSON text.
func text(_ message: [UInt8]) -> String {
    String(decoding: message, as: UTF8.self)
}

extension EpochID {
    /// The issuing sidecar's id, as nginx's `$arg_epoch` map reads it: the text before the first `-`, nil without one.
    var sidecar: Substring? {
        guard let dash = text.firstIndex(of: "-") else { return nil }
        return text[..<dash]
    }
}

extension ClientRegistry.Action {
    var sentText: String? {
        if case .send(let message, _) = self { return text(message) }
        return nil
    }
    var recipients: [Handle] {
        switch self {
        case .send(_, let to): to
        case .ping(let to): to
        case .close(let to, _, _): to
        }
    }
}

extension ClientRegistry.Admission {
    var frames: [String] {
        if case .admitted(_, let messages, _) = self { return messages.map(text) }
        return []
    }
    var id: ClientID? {
        if case .admitted(let id, _, _) = self { return id }
        return nil
    }
    var replaying: Bool {
        if case .admitted(_, _, let replaying) = self { return replaying }
        return false
    }
}

extension ClientRegistry {
    /// The last seq relayed (0 before the first event of the epoch).
    var seq: Int { position?.seq ?? 0 }

    /// Every client, live or replaying (shutdown of a copy names them all).
    var allHandles: [Handle] {
        var copy = self
        return copy.shutdown().first?.recipients ?? []
    }

    /// Connected clients.
    var clientCount: Int { allHandles.count }

    /// The live clients matching `route`: who the hub writes an event to.
    func recipients(of route: EventRoute) -> [Handle] {
        var out: [Handle] = []
        forEachLive { handle, filter in if filter.matches(route) { out.append(handle) } }
        return out
    }

    /// Relays `event` numbered as the sequencer would (next seq), as `relay(RelayedEvent)` then the hub's write
    /// would: the send to every live client its filter lets through, nil when none (or when no epoch began).
    mutating func relay(_ event: ScannedEvent, now: Moment) -> Action? {
        guard position != nil else { return nil }
        let numbered = RelayedEvent(event, seq: seq + 1, receivedAt: now)
        return relay(numbered: numbered)
    }

    /// `relay(_:)` and the hub's recipients, as above.
    mutating func relay(numbered: RelayedEvent) -> Action? {
        relay(numbered)
        let to = recipients(of: numbered.route)
        return to.isEmpty ? nil : .send(message: numbered.message, to: to)
    }

    /// Runs `id`'s replay to its end as a writable socket would: every step's frames, in order,
    /// then "<caught up>" or the gap frame's text.
    mutating func drainReplay(_ id: ClientID, maxBytes: Int = 64, now: Moment = at(10)) -> [String] {
        var out: [String] = []
        while let step = continueReplay(id, maxBytes: maxBytes, now: now) {
            switch step {
            case .messages(let events): out += events.map { text($0.message) }
            case .caughtUp: out.append("<caught up>")
            case .gap(let frame): out.append(text(frame))
            }
        }
        return out
    }
}

extension ClientRegistry.ReplayStep {
    /// The seqs of a `.messages` step's events.
    var sentSeqs: [Int]? {
        guard case .messages(let frames) = self else { return nil }
        return frames.map { Int(text($0.message).split(separator: ":").last!.dropLast())! }
    }
}

extension ClientRegistry where Handle: Equatable {
    /// True while `handle` is fed from the ring rather than live.
    func isReplaying(_ handle: Handle) -> Bool {
        allHandles.contains(handle) && !isLive(handle)
    }

    /// True when `handle` gets live sends.
    func isLive(_ handle: Handle) -> Bool {
        var live = false
        forEachLive { other, _ in if other == handle { live = true } }
        return live
    }
}
