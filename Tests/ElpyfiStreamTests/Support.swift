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

/// The JSON text inside an encoded server text frame.
func text(_ frame: [UInt8]) -> String {
    let length = Int(frame[1])
    let offset = length == 126 ? 4 : length == 127 ? 10 : 2
    return String(decoding: frame[offset...], as: UTF8.self)
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
        if case .send(let frame, _) = self { return text(frame) }
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
        if case .admitted(_, let frames, _) = self { return frames.map(text) }
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
    /// Numbers `event` as the sequencer would (next seq; nothing while no epoch is live) and relays it.
    mutating func relay(_ event: ScannedEvent, now: Moment) -> Action? {
        guard epoch != nil else { return nil }
        return relay(RelayedEvent(event, seq: seq + 1, receivedAt: now))
    }

    /// Runs `id`'s replay to its end as a writable socket would: every step's frames, in order,
    /// then "<caught up>" or the gap frame's text.
    mutating func drainReplay(_ id: ClientID, maxBytes: Int = 64, now: Moment = at(10)) -> [String] {
        var out: [String] = []
        while let step = continueReplay(id, maxBytes: maxBytes, now: now) {
            switch step {
            case .frames(let frames): out += frames.map(text)
            case .caughtUp: out.append("<caught up>")
            case .gap(let frame): out.append(text(frame))
            }
        }
        return out
    }
}

extension ClientRegistry.ReplayStep {
    /// The seqs of a `.frames` step's events.
    var sentSeqs: [Int]? {
        guard case .frames(let frames) = self else { return nil }
        return frames.map { Int(text($0).split(separator: ":").last!.dropLast())! }
    }
}
