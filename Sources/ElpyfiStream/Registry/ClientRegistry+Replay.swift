/// Paced replay: a resuming client is fed from the ring only as fast as its socket takes it.
///
/// Why paced: a resume may cover the whole ring (10,000 events of up to 8 kB), far more than
/// the slow-consumer bound of one client's queue. Writing it at once would close the client
/// with 1008, and it would reconnect into the same wall. So the server asks for one step at a
/// time while the socket is writable, and again when it becomes writable; the registry only
/// moves the cursor. Live events land in the ring first, so the cursor runs on into them and
/// the client turns live exactly at the head: no gap, no duplicate, NOTIFY order kept.
extension ClientRegistry {
    /// One step of a client's replay.
    public enum ReplayStep: Equatable {
        /// Write these ring events' messages (oldest first), then ask again once the socket has room.
        case messages([RelayedEvent])
        /// The cursor reached the head: the client is live from now on (nothing to write).
        case caughtUp
        /// The ring evicted the event under the cursor before it was sent: write this `stream.gap`
        /// message; the client is live from now on (the next event it gets is `seq + 1`).
        case gap([UInt8])
    }

    /// The next step of `id`'s replay: matching ring messages after its cursor, up to about
    /// `maxBytes` (at least one frame), and the cursor moves past them. Nil when the client
    /// is live or gone. Call only while its socket has room, so that turning live happens
    /// with the queue under its bound.
    public mutating func continueReplay(_ id: ClientID, maxBytes: Int, now: Moment) -> ReplayStep? {
        guard let client = clients[id], let cursor = client.replayCursor, let position else { return nil }
        let seq = position.seq
        guard cursor < seq else { return turnLive(id, .caughtUp) }
        guard let missed = ring.entries(after: cursor, currentSeq: seq) else {
            return turnLive(id, .gap(ControlMessages.gap(epoch: position.epoch, seq: seq, at: now)))
        }
        var messages: [RelayedEvent] = []
        var bytes = 0
        var last = cursor
        for entry in missed {
            last = entry.seq
            guard client.filter.matches(entry.route) else { continue }
            messages.append(entry)
            bytes += entry.message.count
            if bytes >= maxBytes { break }
        }
        // No match left means the scan reached the head: live now, rather than one more empty round.
        guard !messages.isEmpty else { return turnLive(id, .caughtUp) }
        clients[id]?.replayCursor = last
        return .messages(messages)
    }

    /// Ends `id`'s replay with `step`: from now on it gets live sends, so the set of live clients changed.
    private mutating func turnLive(_ id: ClientID, _ step: ReplayStep) -> ReplayStep {
        clients[id]?.replayCursor = nil
        generation += 1
        return step
    }
}
