import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore
import NIOPosix
import Postgres
import Synchronization

/// Runs the LISTEN connection on a thread of its own, driven by `ListenStateMachine`.
///
/// libpq is blocking C, so it stays off the event loop: this thread polls the socket
/// (250 ms at most, to notice shutdown), validates each payload with `EventScanner`
/// (pure, so the loop only numbers and writes) and hands batches to the hub in NOTIFY order,
/// waiting while `backlog` says the loop is too far behind.
final class ListenerThread: Sendable {
    private let listener: PostgresListener
    private let hub: StreamHub
    private let backlog = DeliveryBacklog()
    private let stopping = Atomic<Bool>(false)
    private let pool = NIOThreadPool(numberOfThreads: 1)
    private let log = Log(component: "listener")

    init(listener: PostgresListener, hub: StreamHub) {
        self.listener = listener
        self.hub = hub
    }

    func start() {
        pool.start()
        pool.submit { [self] _ in run() }
    }

    /// Ends the thread (within ~250 ms) and closes the connection.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        try? pool.syncShutdownGracefully()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func run() {
        var machine = ListenStateMachine()
        var action = machine.start()
        while true {
            if isStopping { action = machine.shutdown() }
            switch action {
            case .connect:
                do {
                    try listener.connect()
                    action = machine.connected()
                } catch {
                    log.warning("LISTEN connection failed: \(error.detail)")
                    action = machine.connectFailed()
                }
            case .startEpoch:
                let hub = self.hub
                hub.loop.execute { hub.listenerUp() }
                pump()
                action = isStopping ? machine.shutdown() : machine.connectionLost()
            case .waitThenRetry(let milliseconds, let reportLoss):
                let hub = self.hub
                if reportLoss {
                    listener.disconnect()
                    log.warning("LISTEN connection lost; reconnecting in \(milliseconds) ms")
                    hub.loop.execute { hub.listenerDown(retryAfterMilliseconds: milliseconds) }
                } else {
                    hub.loop.execute { hub.listenerRetrying(retryAfterMilliseconds: milliseconds) }
                }
                sleep(milliseconds: milliseconds)
                action = machine.retryDelayElapsed()
            case .stop:
                listener.disconnect()
                return
            }
        }
    }

    /// Reads notifications until the connection breaks or shutdown begins.
    private func pump() {
        let hub = self.hub
        while !isStopping {
            var batch: [Result<ScannedEvent, PayloadRejection>] = []
            var lost: PostgresError?
            do {
                if try listener.waitForInput(timeoutMilliseconds: 250) == .readable {
                    try listener.drainNotifications { batch.append(EventScanner.scan($0)) }
                }
            } catch {
                lost = error
            }
            if !batch.isEmpty {
                let events = batch
                let backlog = self.backlog
                let received = NIODeadline.now()
                let good = batch.reduce(0) { count, item in if case .success = item { count + 1 } else { count } }
                waitForRoom(events.count)
                backlog.added(events.count)
                hub.loop.execute {
                    hub.deliver(events)
                    hub.metrics?.relayed(count: good, nanoseconds: (NIODeadline.now() - received).nanoseconds.clampedToUInt64)
                    backlog.delivered(events.count)
                }
            }
            if let lost {
                log.warning("LISTEN connection broke: \(lost.detail)")
                return
            }
        }
    }

    /// Blocks (without reading the socket: PostgreSQL holds what arrives meanwhile) until the loop
    /// has relayed enough of what it was handed, or shutdown begins. See `DeliveryBacklog` for why not drop.
    private func waitForRoom(_ events: Int) {
        guard !backlog.hasRoom(for: events) else { return }
        log.warning("event loop behind (\(backlog.count) notifications queued); pausing LISTEN reads")
        while !backlog.hasRoom(for: events) && !isStopping {
            usleepMilliseconds(1)
        }
    }

    private func sleep(milliseconds: Int) {
        var left = milliseconds
        while left > 0 && !isStopping {
            let step = min(left, 100)
            usleepMilliseconds(step)
            left -= step
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func usleepMilliseconds(_ milliseconds: Int) {
    usleep(UInt32(milliseconds) * 1000)
}
