/// The LISTEN connection's life: connect, listen, lose it, back off, reconnect.
///
/// Pure, in the manner of postgres-nio's `ListenStateMachine`: each event
/// returns the one action the listener thread must perform next, so the
/// backoff schedule and the epoch announcements are unit-tested without a database.
public struct ListenStateMachine: Sendable {
    /// What the listener thread must do next.
    public enum Action: Equatable, Sendable {
        /// Open the connection and run `LISTEN trading_events`; report `connected()` or `connectFailed()`.
        case connect
        /// LISTEN is live: start a new epoch (connected clients get `stream.resumed`), then read notifications
        /// until the connection is lost (`connectionLost()`).
        case startEpoch
        /// Wait, then report `retryDelayElapsed()`. `reportLoss`: tell the server LISTEN is down first
        /// (health goes 503, new clients are refused).
        case waitThenRetry(milliseconds: Int, reportLoss: Bool)
        /// Close the connection and end the thread.
        case stop
    }

    private enum State: Equatable, Sendable {
        case idle
        case connecting
        case listening
        case waiting
        case stopped
    }

    /// The first retry delay (0.5 s), doubled on each failure.
    public static let initialDelayMilliseconds = 500
    /// The cap of the retry delay (30 s), so a long outage is still noticed within half a minute of its end.
    public static let maximumDelayMilliseconds = 30_000

    private var state: State = .idle
    private var nextDelay = ListenStateMachine.initialDelayMilliseconds

    /// A machine that has not started.
    public init() {}

    /// The thread starts.
    public mutating func start() -> Action {
        guard state == .idle else { return state == .stopped ? .stop : .connect }
        state = .connecting
        return .connect
    }

    /// Connect and LISTEN succeeded: the backoff resets.
    public mutating func connected() -> Action {
        guard state == .connecting else { return .stop }
        state = .listening
        nextDelay = ListenStateMachine.initialDelayMilliseconds
        return .startEpoch
    }

    /// Connect or LISTEN failed: wait the current delay, doubled for next time up to the cap.
    public mutating func connectFailed() -> Action {
        guard state == .connecting else { return .stop }
        return backOff(reportLoss: false)
    }

    /// The live connection broke: report it and retry after the initial delay.
    public mutating func connectionLost() -> Action {
        guard state == .listening else { return .stop }
        return backOff(reportLoss: true)
    }

    /// The wait is over.
    public mutating func retryDelayElapsed() -> Action {
        guard state == .waiting else { return .stop }
        state = .connecting
        return .connect
    }

    /// Shutdown: from any state, close and end.
    public mutating func shutdown() -> Action {
        state = .stopped
        return .stop
    }

    private mutating func backOff(reportLoss: Bool) -> Action {
        state = .waiting
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, ListenStateMachine.maximumDelayMilliseconds)
        return .waitThenRetry(milliseconds: delay, reportLoss: reportLoss)
    }
}
