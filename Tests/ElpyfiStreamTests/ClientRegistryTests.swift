import ElpyfiStream
import Testing

@Suite struct ClientRegistryTests {
    private let epoch = EpochID(text: "00000000000000e1")

    private func liveRegistry() -> ClientRegistry<Int> {
        var registry = ClientRegistry<Int>(ring: .init(minimumEvents: 100, minimumSeconds: 60), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        return registry
    }

    @Test func clientsAreRefusedUntilListenIsLive() {
        var registry = ClientRegistry<Int>(ring: .init(), pingSeconds: 30, pingTimeoutSeconds: 75)
        guard case .refused = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0)) else {
            Issue.record("admitted while not listening"); return
        }
        _ = registry.listenerUp(epoch: epoch, now: at(1))
        #expect(registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(1)).id != nil)
    }

    @Test func connectedComesFirstWithStreamEpochAndSeq() {
        var registry = liveRegistry()
        _ = registry.relay(event("signal.generated"), now: at(1))
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(2))
        #expect(admission.frames == [#"{"type":"connected","stream":"signals","epoch":"00000000000000e1","seq":1,"timestamp":"2024-01-15T10:31:02.000Z"}"#])
    }

    @Test func eventsGoOnlyToMatchingClientsWithRisingSeq() {
        var registry = liveRegistry()
        _ = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(0))
        _ = registry.admit(3, subscription: Subscription(filter: StreamFilter(kind: .trades, strategy: "momentum")), now: at(0))
        let signal = registry.relay(event("signal.generated", strategy: "momentum"), now: at(1))
        #expect(signal?.recipients.sorted() == [1, 2])
        #expect(signal?.sentText == #"{"type":"signal.generated","data":{"strategy":"momentum"},"seq":1}"#)
        #expect(registry.relay(event("trade.executed", strategy: "momentum"), now: at(1))?.recipients.sorted() == [1, 3])
        #expect(registry.relay(event("trade.executed", strategy: "other"), now: at(1))?.recipients == [1])
        #expect(registry.seq == 3)
        #expect(registry.lastEventAt == at(1))
    }

    @Test func resumeReplaysExactlyTheMissedEventsInOrder() {
        var registry = liveRegistry()
        for index in 1...15 { _ = registry.relay(event("signal.\(index)"), now: at(1)) }
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all),
                                                                    resume: .init(since: 5, epoch: epoch.text)), now: at(2))
        let frames = admission.frames
        #expect(frames.count == 11)
        #expect(frames.dropFirst().map { $0.contains("\"seq\":") } == Array(repeating: true, count: 10))
        #expect(frames[1] == #"{"type":"signal.6","data":{},"seq":6}"#)
        #expect(frames[10] == #"{"type":"signal.15","data":{},"seq":15}"#)
    }

    @Test func resumeReplaysOnlyWhatTheFilterMatches() {
        var registry = liveRegistry()
        _ = registry.relay(event("signal.a"), now: at(1))
        _ = registry.relay(event("trade.b"), now: at(1))
        _ = registry.relay(event("signal.c"), now: at(1))
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .signals), resume: .init(since: 0, epoch: epoch.text)), now: at(2))
        #expect(admission.frames.count == 3)
        #expect(admission.frames.last?.hasPrefix(#"{"type":"signal.c""#) == true)
    }

    @Test func resumeAtTheCurrentSeqReplaysNothing() {
        var registry = liveRegistry()
        _ = registry.relay(event("a"), now: at(1))
        #expect(registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 1, epoch: epoch.text)), now: at(2)).frames.count == 1)
    }

    @Test func staleEpochFutureSeqAndEvictedSeqGetAGapAfterConnected() {
        var registry = ClientRegistry<Int>(ring: .init(minimumEvents: 3, minimumSeconds: 0), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        for index in 1...10 { _ = registry.relay(event("a"), now: at(Double(index) / 2)) }
        let gap = #"{"type":"stream.gap","epoch":"00000000000000e1","seq":10,"timestamp":"2024-01-15T10:31:06.000Z"}"#
        for resume in [Subscription.ResumePoint(since: 3, epoch: "0000000000000000"),
                       .init(since: 11, epoch: epoch.text),
                       .init(since: 2, epoch: epoch.text)] {
            let frames = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: resume), now: at(6)).frames
            #expect(frames.count == 2)
            #expect(frames.first?.hasPrefix(#"{"type":"connected""#) == true)
            #expect(frames.last == gap)
        }
        #expect(registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 7, epoch: epoch.text)), now: at(6)).frames.count == 4)
    }

    @Test func resumeBiggerThanTheReplayCapGetsAGapInstead() {
        var registry = ClientRegistry<Int>(ring: .init(), pingSeconds: 30, pingTimeoutSeconds: 75, replayByteLimit: 100)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        for _ in 1...5 { _ = registry.relay(event("a"), now: at(1)) }  // 34-byte frames
        let resume = { (since: Int) in Subscription(filter: StreamFilter(kind: .all), resume: .init(since: since, epoch: self.epoch.text)) }
        #expect(registry.admit(1, subscription: resume(3), now: at(2)).frames.count == 1 + 2)
        #expect(registry.admit(2, subscription: resume(1), now: at(2)).frames.last?.hasPrefix(#"{"type":"stream.gap""#) == true)
    }

    @Test func listenRecoveryStartsANewEpochAndTellsEveryClient() {
        var registry = liveRegistry()
        _ = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(0))
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .trades, strategy: "x")), now: at(0))
        _ = registry.relay(event("signal.a"), now: at(1))
        registry.listenerDown()
        #expect(!registry.isListening)
        #expect(registry.clientCount == 2)
        let next = EpochID(text: "00000000000000e2")
        let actions = registry.listenerUp(epoch: next, now: at(3))
        #expect(actions.count == 1)
        #expect(actions[0].recipients.sorted() == [1, 2])
        #expect(actions[0].sentText == #"{"type":"stream.resumed","epoch":"00000000000000e2","seq":0,"timestamp":"2024-01-15T10:31:03.000Z"}"#)
        #expect(registry.relay(event("signal.b"), now: at(4))?.sentText?.hasSuffix(#""seq":1}"#) == true)
        // The old epoch's events are gone: a resume naming it gets a gap.
        let frames = registry.admit(3, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(5)).frames
        #expect(frames.last?.hasPrefix(#"{"type":"stream.gap","epoch":"00000000000000e2","seq":1"#) == true)
    }

    @Test func slowConsumerIsClosedWith1008AndCountedOnce() {
        var registry = liveRegistry()
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0)).id!
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        guard case .close(let handles, let code, let reason)? = registry.slowConsumer(id) else {
            Issue.record("no close action"); return
        }
        #expect(handles == [1] && code == 1008 && reason == "slow consumer")
        #expect(registry.slowConsumer(id) == nil)
        #expect(registry.slowConsumersClosed == 1)
        #expect(registry.relay(event("a"), now: at(1))?.recipients == [2])
    }

    @Test func idleClientsArePingedAndSilentOnesDropped() {
        var registry = liveRegistry()
        let talker = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0)).id!
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        #expect(registry.tick(now: at(29)).isEmpty)
        registry.heard(from: talker, now: at(29))
        let first = registry.tick(now: at(30))
        #expect(first.count == 1 && first[0].recipients == [2])
        #expect(registry.tick(now: at(31)).isEmpty)  // pinged already, not yet due again
        registry.heard(from: talker, now: at(70))
        let late = registry.tick(now: at(75))
        guard late.count == 1, case .close(let dropped, 1008, "ping timeout") = late[0] else {
            Issue.record("expected a drop, got \(late)"); return
        }
        #expect(dropped == [2])
        #expect(registry.clientCount == 1)
    }

    @Test func malformedPayloadsAreCounted() {
        var registry = liveRegistry()
        registry.payloadDropped()
        registry.payloadDropped()
        #expect(registry.droppedPayloads == 2)
    }

    @Test func shutdownClosesEveryClientWith1001() {
        var registry = liveRegistry()
        _ = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(0))
        let actions = registry.shutdown()
        guard actions.count == 1, case .close(let handles, 1001, _) = actions[0] else {
            Issue.record("expected one close"); return
        }
        #expect(handles.sorted() == [1, 2])
        #expect(registry.clientCount == 0)
    }
}
