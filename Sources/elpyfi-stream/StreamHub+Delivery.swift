import ElpyfiStream
import NIOCore

/// The fan-out: what a batch of events writes is worked out once per audience (the clients that share a filter
/// and a framing), so that the loop over clients only writes bytes that already exist, as nchan does.
extension StreamHub {
    /// Live clients that receive the same bytes.
    struct Audience {
        /// What the clients share.
        struct Key: Hashable {
            let filter: StreamFilter
            let framing: Framing
        }

        let key: Key
        var clients: [StreamClientHandler]
    }

    /// A batch of numbered events in NOTIFY order: each live client is written every event its filter matches,
    /// each frame built once per loop and framing (`FrameCache`), a run of consecutive matches in one write (the
    /// whole batch, for a client that takes every event). Slow consumers are judged after the writes, so that
    /// closing one never changes the registry while it is being read.
    func deliver(_ batch: [RelayedEvent]) {
        for event in batch { registry.relay(event) }
        if audiencesGeneration != registry.generation { regroup() }
        guard let epoch = registry.position?.epoch else { return }
        var frames = FrameCache(batch.map(\.message), epoch: epoch, seqs: batch.map(\.seq))
        var overBound: [StreamClientHandler] = []
        for audience in audiences {
            let writes = StreamHub.runs(of: batch, matching: audience.key.filter).map { frames.frames($0, audience.key.framing) }
            for client in audience.clients {
                for bytes in writes where !client.write(bytes) {
                    overBound.append(client)
                    break
                }
            }
        }
        overBound.forEach(queueFull)
    }

    /// The registry's live clients by filter and framing: rebuilt only when that set changes, not per batch.
    private func regroup() {
        var index: [Audience.Key: Int] = [:]
        audiences.removeAll(keepingCapacity: true)
        registry.forEachLive { client, filter in
            let key = Audience.Key(filter: filter, framing: client.framing)
            if let at = index[key] {
                audiences[at].clients.append(client)
            } else {
                index[key] = audiences.count
                audiences.append(Audience(key: key, clients: [client]))
            }
        }
        audiencesGeneration = registry.generation
    }

    /// The runs of consecutive events of `batch` that `filter` matches.
    private static func runs(of batch: [RelayedEvent], matching filter: StreamFilter) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for index in batch.indices where filter.matches(batch[index].route) {
            if let last = runs.last, last.upperBound == index {
                runs[runs.count - 1] = last.lowerBound..<index + 1
            } else {
                runs.append(index..<index + 1)
            }
        }
        return runs
    }
}
