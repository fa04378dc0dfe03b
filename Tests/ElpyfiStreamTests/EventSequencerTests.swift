import ElpyfiStream
import Testing

@Suite struct EventSequencerTests {
    private let epoch = EpochID(text: "1-00000000000000e1")

    @Test func nothingIsNumberedWhileListenIsDown() {
        let sequencer = EventSequencer()
        #expect(sequencer.number([event("signal.a")], now: at(0)).isEmpty)
        #expect(!sequencer.isListening)
        sequencer.start(epoch: epoch)
        #expect(sequencer.number([event("signal.a")], now: at(0)).map(\.seq) == [1])
        sequencer.stop(retryAfterMilliseconds: 1500)
        #expect(sequencer.number([event("signal.a")], now: at(0)).isEmpty)
        #expect(sequencer.position == nil && sequencer.retryAfterSeconds == 2)
    }

    @Test func seqRisesByOnePerEventAndRestartsWithEachEpoch() {
        let sequencer = EventSequencer()
        sequencer.start(epoch: epoch)
        #expect(sequencer.number([event("trade.x"), event("trade.y")], now: at(1)).map(\.seq) == [1, 2])
        #expect(sequencer.number([event("trade.z")], now: at(1)).map(\.seq) == [3])
        #expect(sequencer.position == StreamPosition(epoch: epoch, seq: 3))
        sequencer.start(epoch: EpochID(text: "1-00000000000000e2"))
        #expect(sequencer.number([event("trade.x")], now: at(2)).map(\.seq) == [1])
    }

    @Test func theMessageIsTheEngineObjectPlusSeq() {
        let sequencer = EventSequencer()
        sequencer.start(epoch: epoch)
        let numbered = sequencer.number([event("signal.generated", strategy: "m")], now: at(1))[0]
        #expect(text(numbered.message) == #"{"type":"signal.generated","data":{"strategy":"m"},"seq":1}"#)
        #expect(numbered.route == EventRoute(type: "signal.generated", strategy: "m"))
        #expect(numbered.receivedAt == at(1))
    }

    /// Two event loops, one registry each, fed the same numbered events: they agree on every seq, each
    /// sends only to its own clients, and a resume on either replays the same messages.
    @Test func registriesOnSeveralLoopsShareOneNumbering() {
        let sequencer = EventSequencer()
        sequencer.start(epoch: epoch)
        var loops = [0, 1].map { _ in ClientRegistry<Int>(ring: .init(minimumEvents: 100, minimumSeconds: 60), pingSeconds: 30, pingTimeoutSeconds: 75) }
        for index in loops.indices { _ = loops[index].listenerUp(epoch: epoch, now: at(0)) }
        _ = loops[0].admit(10, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        _ = loops[1].admit(20, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(0))
        for type in ["signal.a", "trade.b", "signal.c"] {
            let numbered = sequencer.number([event(type)], now: at(1))[0]
            let sends = loops.indices.map { loops[$0].relay(numbered: numbered) }
            #expect(sends[0]?.recipients == [10])
            #expect(sends[1]?.recipients == (type.hasPrefix("signal.") ? [20] : nil))
            if let sent = sends[1] { #expect(sent == .send(message: numbered.message, to: [20])) }
        }
        #expect(loops.map(\.seq) == [3, 3])
        let resume = Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 1, epoch: epoch.text))
        let replays = loops.indices.map { index -> [String] in
            let id = loops[index].admit(99, subscription: resume, now: at(2)).id!
            return loops[index].drainReplay(id)
        }
        #expect(replays[0] == replays[1])
        #expect(replays[0] == [#"{"type":"trade.b","data":{},"seq":2}"#, #"{"type":"signal.c","data":{},"seq":3}"#, "<caught up>"])
    }
}

@Suite struct StreamStatsTests {
    @Test func healthSumsEveryLoopsCountersAndCarriesThePosition() {
        let stats = StreamStats(loopCount: 2)
        let sequencer = EventSequencer()
        stats.loops[0].count(3, .all, .webSocket)
        stats.loops[1].count(5, .signals, .webSocket)
        stats.loops[1].count(-1, .signals, .webSocket)
        stats.loops[1].slowConsumersClosed.add(2, ordering: .relaxed)
        stats.droppedPayloads.add(1, ordering: .relaxed)
        #expect(stats.lastEventAt == nil)
        let down = StreamHealth.response(stats, sequencer, ifNoneMatch: nil)
        #expect(down.status == 503)
        #expect(String(decoding: down.body, as: UTF8.self).hasSuffix(#""epoch":null,"seq":0}"#))
        sequencer.start(epoch: EpochID(text: "1-00000000000000e1"))
        _ = sequencer.number([event("a"), event("b")], now: at(1))
        stats.lastEventUnixMilliseconds.store(1_705_314_661_000, ordering: .relaxed)
        let response = StreamHealth.response(stats, sequencer, ifNoneMatch: nil)
        #expect(String(decoding: response.body, as: UTF8.self) ==
                #"{"status":"healthy","listening":true,"clients":7,"last_event_at":"2024-01-15T10:31:01Z","dropped_payloads":1,"slow_consumers_closed":2,"epoch":"1-00000000000000e1","seq":2}"#)
    }
}

@Suite struct EpochSidecarTests {
    @Test func anEpochCarriesTheIssuingSidecarsID() {
        let id = EpochID.random(sidecar: "2")
        #expect(id.text.hasPrefix("2-") && id.text.count == 18)
        #expect(id.sidecar == "2")
        #expect(EpochID(text: "00000000000000e1").sidecar == nil)
    }
}

@Suite struct MemoryTrimPolicyTests {
    @Test func trimsOnceAfterMostClientsLeftNotOnEveryDeparture() {
        var policy = MemoryTrimPolicy(minimumDrop: 1000)
        // 10,000 up; 1,000 left (most stay); past half gone: trim; the mark is now 4,000; then everyone left.
        let counts = [10_000, 9_000, 4_000, 3_900, 0, 0]
        let trims = counts.map { policy.shouldTrim(clients: $0) }
        #expect(trims == [false, false, true, false, true, false])
    }

    @Test func smallCrowdsNeverTrigger() {
        var policy = MemoryTrimPolicy(minimumDrop: 1000)
        let trims = [800, 0].map { policy.shouldTrim(clients: $0) }
        #expect(trims == [false, false])
    }
}
