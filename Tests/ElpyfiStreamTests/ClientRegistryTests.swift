import ElpyfiStream
import Testing

@Suite struct ClientRegistryTests {
    private let epoch = EpochID(text: "00000000000000e1")

    private func liveRegistry() -> ClientRegistry<Int> {
        var registry = ClientRegistry<Int>(ring: .init(minimumEvents: 100, minimumSeconds: 60), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        return registry
    }

    @Test func clientsAreRefusedUntilTheLoopHearsListenIsLive() {
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
        #expect(admission.frames == [#"{"type":"connected","stream":"signals","epoch":"00000000000000e1","seq":1,"timestamp":"2024-01-15T10:31:02Z"}"#])
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
    }

    @Test func resumeReplaysExactlyTheMissedEventsInOrder() {
        var registry = liveRegistry()
        for index in 1...15 { _ = registry.relay(event("signal.\(index)"), now: at(1)) }
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all),
                                                                    resume: .init(since: 5, epoch: epoch.text)), now: at(2))
        #expect(admission.frames.count == 1)  // connected; the rest is paced
        #expect(admission.replaying)
        let replayed = registry.drainReplay(admission.id!)
        #expect(replayed.count == 11)
        #expect(replayed.first == #"{"type":"signal.6","data":{},"seq":6}"#)
        #expect(replayed[9] == #"{"type":"signal.15","data":{},"seq":15}"#)
        #expect(replayed.last == "<caught up>")
        #expect(!registry.isReplaying(1))
        #expect(registry.relay(event("live"), now: at(3))?.recipients == [1])
    }

    @Test func resumeReplaysOnlyWhatTheFilterMatches() {
        var registry = liveRegistry()
        _ = registry.relay(event("signal.a"), now: at(1))
        _ = registry.relay(event("trade.b"), now: at(1))
        _ = registry.relay(event("signal.c"), now: at(1))
        _ = registry.relay(event("trade.d"), now: at(1))
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .signals), resume: .init(since: 0, epoch: epoch.text)), now: at(2))
        let replayed = registry.drainReplay(admission.id!, maxBytes: 1)
        #expect(replayed.count == 3)
        #expect(replayed[1].hasPrefix(#"{"type":"signal.c""#))
        #expect(replayed[2] == "<caught up>")
    }

    @Test func resumeAtTheCurrentSeqReplaysNothing() {
        var registry = liveRegistry()
        _ = registry.relay(event("a"), now: at(1))
        let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 1, epoch: epoch.text)), now: at(2))
        #expect(admission.frames.count == 1)
        #expect(!admission.replaying)
        #expect(registry.continueReplay(admission.id!, maxBytes: 100, now: at(2)) == nil)
        #expect(registry.relay(event("b"), now: at(3))?.recipients == [1])
    }

    @Test func staleEpochFutureSeqAndEvictedSeqGetAGapAfterConnected() {
        var registry = ClientRegistry<Int>(ring: .init(minimumEvents: 3, minimumSeconds: 0), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        for index in 1...10 { _ = registry.relay(event("a"), now: at(Double(index) / 2)) }
        let gap = #"{"type":"stream.gap","epoch":"00000000000000e1","seq":10,"timestamp":"2024-01-15T10:31:06Z"}"#
        for resume in [Subscription.ResumePoint(since: 3, epoch: "0000000000000000"),
                       .init(since: 11, epoch: epoch.text),
                       .init(since: .max, epoch: epoch.text),  // `since` digits too big for Int
                       .init(since: 3, epoch: ""),  // an `epoch` whose percent-encoding was broken
                       .init(since: 2, epoch: epoch.text)] {
            let admission = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: resume), now: at(6))
            #expect(admission.frames.count == 2)
            #expect(admission.frames.first?.hasPrefix(#"{"type":"connected""#) == true)
            #expect(admission.frames.last == gap)
            #expect(!admission.replaying)
        }
        let held = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 7, epoch: epoch.text)), now: at(6))
        #expect(registry.drainReplay(held.id!).count == 3 + 1)
    }

    @Test func resumeFarBiggerThanTheClientQueueIsReplayedWholeInPacedSteps() {
        var registry = ClientRegistry<Int>(ring: .init(), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        for index in 1...3000 { _ = registry.relay(event("trade.\(index)"), now: at(1)) }
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(2)).id!
        var seqs: [Int] = []
        var steps = 0
        while let step = registry.continueReplay(id, maxBytes: 4096, now: at(2)), let sent = step.sentSeqs {
            steps += 1
            if case .messages(let frames) = step { #expect(frames.reduce(0) { $0 + $1.message.count } < 4096 + 64) }  // about maxBytes per step
            seqs += sent
        }
        #expect(seqs == Array(1...3000))
        #expect(steps > 10)
        #expect(!registry.isReplaying(1))
    }

    @Test func liveEventsDuringAReplayArriveThroughTheCursorWithoutGapOrDuplicate() {
        var registry = liveRegistry()
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        for index in 1...5 { _ = registry.relay(event("e\(index)"), now: at(1)) }
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 2, epoch: epoch.text)), now: at(2)).id!
        #expect(registry.continueReplay(id, maxBytes: 1, now: at(2))?.sentSeqs == [3])
        // The socket is full: live events meanwhile go to live clients only, and into the ring.
        #expect(registry.relay(event("e6"), now: at(3))?.recipients == [2])
        #expect(registry.relay(event("e7"), now: at(3))?.recipients == [2])
        #expect(registry.drainReplay(id, maxBytes: 1) ==
                [#"{"type":"e4","data":{},"seq":4}"#, #"{"type":"e5","data":{},"seq":5}"#,
                 #"{"type":"e6","data":{},"seq":6}"#, #"{"type":"e7","data":{},"seq":7}"#, "<caught up>"])
        #expect(registry.relay(event("e8"), now: at(4))?.recipients.sorted() == [1, 2])
    }

    @Test func evictionUnderTheCursorSendsAGapAndTurnsLive() {
        var registry = ClientRegistry<Int>(ring: .init(minimumEvents: 4, minimumSeconds: 0), pingSeconds: 30, pingTimeoutSeconds: 75)
        _ = registry.listenerUp(epoch: epoch, now: at(0))
        for index in 1...4 { _ = registry.relay(event("a"), now: at(Double(index))) }
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(5)).id!
        #expect(registry.continueReplay(id, maxBytes: 1, now: at(5))?.sentSeqs == [1])
        for index in 5...8 { _ = registry.relay(event("a"), now: at(Double(index))) }  // evicts 2...4 before they were sent
        let gap = #"{"type":"stream.gap","epoch":"00000000000000e1","seq":8,"timestamp":"2024-01-15T10:31:09Z"}"#
        #expect(registry.continueReplay(id, maxBytes: 1, now: at(9)) == .gap(Array(gap.utf8)))
        #expect(!registry.isReplaying(1))
        #expect(registry.relay(event("a"), now: at(10))?.recipients == [1])
    }

    @Test func aReplayingClientIsPacedNeverClosedAsASlowConsumer() {
        var registry = liveRegistry()
        for _ in 1...5 { _ = registry.relay(event("a"), now: at(1)) }
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(2)).id!
        _ = registry.continueReplay(id, maxBytes: 1, now: at(2))
        #expect(registry.slowConsumer(id) == nil)
        #expect(registry.clientCount == 1)
        _ = registry.drainReplay(id)
        #expect(registry.slowConsumer(id)?.recipients == [1])  // live now: the usual rule
        #expect(registry.clientCount == 0)
    }

    @Test func listenRecoveryDuringAReplayCarriesOnInTheNewEpoch() {
        var registry = liveRegistry()
        for _ in 1...5 { _ = registry.relay(event("old"), now: at(1)) }
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(2)).id!
        _ = registry.continueReplay(id, maxBytes: 1, now: at(2))
        let resumed = registry.listenerUp(epoch: EpochID(text: "00000000000000e2"), now: at(3))
        #expect(resumed.first?.recipients == [1])
        #expect(registry.isReplaying(1))  // still paced: its socket may still be full
        #expect(registry.relay(event("new"), now: at(4)) == nil)
        #expect(registry.drainReplay(id) == [#"{"type":"new","data":{},"seq":1}"#, "<caught up>"])
    }

    @Test func listenRecoveryStartsANewEpochAndTellsEveryClient() {
        var registry = liveRegistry()
        _ = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .signals)), now: at(0))
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .trades, strategy: "x")), now: at(0))
        _ = registry.relay(event("signal.a"), now: at(1))
        #expect(registry.clientCount == 2)
        let next = EpochID(text: "00000000000000e2")
        let actions = registry.listenerUp(epoch: next, now: at(3))
        #expect(actions.count == 1)
        #expect(actions[0].recipients.sorted() == [1, 2])
        #expect(actions[0].sentText == #"{"type":"stream.resumed","epoch":"00000000000000e2","seq":0,"timestamp":"2024-01-15T10:31:03Z"}"#)
        #expect(registry.relay(event("signal.b"), now: at(4))?.sentText?.hasSuffix(#""seq":1}"#) == true)
        // The old epoch's events are gone: a resume naming it gets a gap.
        let frames = registry.admit(3, subscription: Subscription(filter: StreamFilter(kind: .all), resume: .init(since: 0, epoch: epoch.text)), now: at(5)).frames
        #expect(frames.last?.hasPrefix(#"{"type":"stream.gap","epoch":"00000000000000e2","seq":1"#) == true)
    }

    @Test func slowConsumerIsClosedWith1008Once() {
        var registry = liveRegistry()
        let id = registry.admit(1, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0)).id!
        _ = registry.admit(2, subscription: Subscription(filter: StreamFilter(kind: .all)), now: at(0))
        guard case .close(let handles, let code, let reason)? = registry.slowConsumer(id) else {
            Issue.record("no close action"); return
        }
        #expect(handles == [1] && code == 1008 && reason == "slow consumer")
        #expect(registry.slowConsumer(id) == nil)
        #expect(registry.clientCount == 1)
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
