import ElpyfiStream
import Testing

@Suite struct LoopInboxTests {
    private func describe(_ items: [ListenerNews<Int>]) -> [String] {
        items.map {
            switch $0 {
            case .events(let events): "events \(events)"
            case .up(let epoch): "up \(epoch)"
            }
        }
    }

    @Test func onlyTheFirstPostSinceADrainAsksForOne() {
        let inbox = LoopInbox<Int>()
        #expect(inbox.post(.events([1])))
        #expect(!inbox.post(.events([2])))
        _ = inbox.take()
        #expect(inbox.post(.events([3])))
    }

    @Test func batchesQueuedBehindASlowLoopAreDeliveredAsOne() {
        let inbox = LoopInbox<Int>()
        for batch in [[1, 2], [3], [4, 5]] { _ = inbox.post(.events(batch)) }
        #expect(describe(inbox.take()) == ["events [1, 2, 3, 4, 5]"])
        #expect(inbox.take().isEmpty)
    }

    @Test func noEventCrossesAnEpochChange() {
        let inbox = LoopInbox<Int>()
        _ = inbox.post(.events([1]))
        _ = inbox.post(.events([2]))
        _ = inbox.post(.up(EpochID(text: "1-00000000000000e2")))
        _ = inbox.post(.events([1]))
        _ = inbox.post(.events([2]))
        #expect(describe(inbox.take()) == ["events [1, 2]", "up 1-00000000000000e2", "events [1, 2]"])
    }
}
