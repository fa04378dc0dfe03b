import ElpyfiStream
import Testing

@Suite struct ListenStateMachineTests {
    @Test func startConnectsThenListens() {
        var machine = ListenStateMachine()
        #expect(machine.start() == .connect)
        #expect(machine.connected() == .startEpoch)
    }

    @Test func failedConnectsBackOffDoublingToThirtySeconds() {
        var machine = ListenStateMachine()
        _ = machine.start()
        var delays: [Int] = []
        for _ in 0..<9 {
            guard case .waitThenRetry(let milliseconds, false) = machine.connectFailed() else {
                Issue.record("expected a retry"); return
            }
            delays.append(milliseconds)
            #expect(machine.retryDelayElapsed() == .connect)
        }
        #expect(delays == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
    }

    @Test func lossIsReportedAndBackoffResetsAfterSuccess() {
        var machine = ListenStateMachine()
        _ = machine.start()
        _ = machine.connectFailed()
        _ = machine.retryDelayElapsed()
        _ = machine.connectFailed()
        _ = machine.retryDelayElapsed()
        #expect(machine.connected() == .startEpoch)
        #expect(machine.connectionLost() == .waitThenRetry(milliseconds: 500, reportLoss: true))
        #expect(machine.retryDelayElapsed() == .connect)
        #expect(machine.connectFailed() == .waitThenRetry(milliseconds: 1000, reportLoss: false))
        #expect(machine.retryDelayElapsed() == .connect)
        #expect(machine.connected() == .startEpoch)
        #expect(machine.connectionLost() == .waitThenRetry(milliseconds: 500, reportLoss: true))
    }

    @Test func shutdownStopsFromAnyState() {
        var machine = ListenStateMachine()
        _ = machine.start()
        _ = machine.connected()
        #expect(machine.shutdown() == .stop)
        #expect(machine.connectionLost() == .stop)
        #expect(machine.retryDelayElapsed() == .stop)
        #expect(machine.start() == .stop)
    }
}
