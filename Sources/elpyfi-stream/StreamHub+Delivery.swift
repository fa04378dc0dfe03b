import ElpyfiStream
import NIOCore

/// The fan-out: what a batch of events writes is worked out once per audience (the clients that share a filter
/// and a framing), so that the loop over clients only writes bytes that already exist, as nchan does.
extension StreamHub {
    /// What the clients of one audience share.
    struct Audience: Hashable {
        let filter: StreamFilter
        let framing: Framing
    }

    /// A batch of numbered events in NOTIFY order: each live client is written every event its filter matches,
    /// each frame built once per loop and framing (`FrameCache`), a run of consecutive matches in one write (the
    /// whole batch, for a client that takes every event). Slow consumers are judged after the writes, so that
    /// closing one never changes the registry while it is being read.
    func deliver(_ batch: [RelayedEvent]) {
        for event in batch { registry.relay(event) }
        if audiencesGeneration != registry.generation {
            // Regrouped only when the set of live clients changes, not per batch.
            var groups: [Audience: [StreamClientHandler]] = [:]
            registry.forEachLive { client, filter in groups[Audience(filter: filter, framing: client.framing), default: []].append(client) }
            audiences = groups.map { ($0.key, $0.value) }
            audiencesGeneration = registry.generation
        }
        guard let epoch = registry.position?.epoch else { return }
        var frames = FrameCache(batch.map(\.message), epoch: epoch, seqs: batch.map(\.seq))
        var overBound: [StreamClientHandler] = []
        for (audience, clients) in audiences {
            var runs: [Range<Int>] = []
            for index in batch.indices where audience.filter.matches(batch[index].route) {
                if let last = runs.last, last.upperBound == index { runs[runs.count - 1] = last.lowerBound..<index + 1 } else { runs.append(index..<index + 1) }
            }
            let writes = runs.map { frames.frames($0, audience.framing) }
            for client in clients {
                for bytes in writes where !client.write(bytes) {
                    overBound.append(client)
                    break
                }
            }
        }
        overBound.forEach(queueFull)
    }
}
