import ElpyfiStream
import Testing

@Suite struct DeliveryBacklogTests {
    @Test func listenerWaitsOnceTheLoopIsAFullBacklogBehindAndGoesOnAsItCatchesUp() {
        let backlog = DeliveryBacklog(limit: 100)
        #expect(backlog.hasRoom(for: 60))
        backlog.added(60)
        #expect(backlog.hasRoom(for: 40))
        #expect(!backlog.hasRoom(for: 41))
        backlog.added(40)
        #expect(!backlog.hasRoom(for: 1))
        backlog.delivered(60)
        #expect(backlog.count == 40)
        #expect(backlog.hasRoom(for: 60))
        backlog.delivered(40)
        #expect(backlog.count == 0)
    }

    @Test func oneBatchBiggerThanTheLimitStillGoesWhenNothingIsInFlight() {
        let backlog = DeliveryBacklog(limit: 10)
        #expect(backlog.hasRoom(for: 500))
        backlog.added(500)
        #expect(!backlog.hasRoom(for: 1))
    }
}
