import ElpyfiStream
import Testing

@Suite struct ReplayRingTests {
    private func entry(_ seq: Int, at seconds: UInt64, bytes: Int = 10) -> RelayedEvent {
        var entry = RelayedEvent(event("a"), seq: seq, receivedAt: Moment(monotonicNanoseconds: seconds * 1_000_000_000, unixMilliseconds: 0))
        entry.message = [UInt8](repeating: 0, count: bytes)
        return entry
    }

    @Test func eventsLeaveOnlyWhenBothCountAndAgeAreExceeded() {
        var ring = ReplayRing(limits: .init(minimumEvents: 3, minimumSeconds: 10))
        for seq in 1...6 { ring.append(entry(seq, at: 0)) }
        #expect(ring.count == 6)  // over the count, but all young
        ring.append(entry(7, at: 11))
        #expect(ring.count == 3)  // the old ones go, down to the minimum count
        #expect(ring.firstSeq == 5)
        ring.append(entry(8, at: 12))
        #expect(ring.count == 3)
        #expect(ring.firstSeq == 6)
        ring.append(entry(9, at: 13))
        ring.append(entry(10, at: 14))
        #expect(ring.count == 4)  // over the count again, but the oldest left (seq 7, t=11) is young
        #expect(ring.firstSeq == 7)
    }

    @Test func byteCapBoundsMemory() {
        var ring = ReplayRing(limits: .init(minimumEvents: 1000, minimumSeconds: 1000, maximumBytes: 100))
        for seq in 1...20 { ring.append(entry(seq, at: 0, bytes: 10)) }
        #expect(ring.count == 10)
        #expect(ring.byteCount == 100)
    }

    @Test func entriesAfterASeqAreExactlyTheNewerOnes() {
        var ring = ReplayRing(limits: .init(minimumEvents: 5, minimumSeconds: 0))
        for seq in 1...3000 { ring.append(entry(seq, at: UInt64(seq))) }
        #expect(ring.count == 5)
        #expect(ring.entries(after: 2997, currentSeq: 3000)?.map(\.seq) == [2998, 2999, 3000])
        #expect(ring.entries(after: 2995, currentSeq: 3000)?.count == 5)
        #expect(ring.entries(after: 2994, currentSeq: 3000) == nil)
        #expect(ring.entries(after: 3000, currentSeq: 3000)?.isEmpty == true)
    }
}
