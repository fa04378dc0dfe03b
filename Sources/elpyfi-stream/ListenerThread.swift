import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore
import NIOPosix
import Postgres
import Synchronization

/// Runs the LISTEN connection on a thread of its own, driven by `ListenStateMachine`.
///
/// libpq is blocking C, so it stays off the event loops: this thread polls the socket
/// (250 ms at most, to notice shutdown), validates each payload with `EventScanner`, numbers the good
/// ones once (`EventSequencer`, which also records LISTEN's state) and hands each batch to every
/// loop's hub in NOTIFY order, waiting while `backlog` says the loops are too far behind.
final class ListenerThread: @unchecked Sendable {
    private let listener: PostgresListener
    private let hubs: StreamHubs
    private let sidecarID: String
    private let stopping = Atomic<Bool>(false)
    private let pool = NIOThreadPool(numberOfThreads: 1)
    private let log = Log(component: "listener")

    init(listener: PostgresListener, hubs: StreamHubs, sidecarID: String) {
        self.listener = listener
        self.hubs = hubs
        self.sidecarID = sidecarID
    }

    /// Each batch is counted once per loop it is handed to.
    private var backlog: DeliveryBacklog { hubs.backlog }

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
        var epochs = 0
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
                let epoch = EpochID.random(sidecar: sidecarID)
                hubs.sequencer.start(epoch: epoch)
                epochs += 1
                if epochs > 1 { hubs.stats.listenReconnects.add(1, ordering: .relaxed) }
                log.info("LISTEN \(PostgresListener.channel) live; epoch \(epoch)")
                hubs.post(.up(epoch))
                pump()
                action = isStopping ? machine.shutdown() : machine.connectionLost()
            case .waitThenRetry(let milliseconds, let reportLoss):
                // Health goes 503 and new clients are refused from here; `Retry-After` is the next attempt.
                hubs.sequencer.stop(retryAfterMilliseconds: milliseconds)
                if reportLoss {
                    listener.disconnect()
                    log.warning("LISTEN connection lost; reconnecting in \(milliseconds) ms")
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
        let stats = hubs.stats
        while !isStopping {
            var scanned: [ScannedEvent] = []
            var lost: PostgresError?
            do {
                if try listener.waitForInput(timeoutMilliseconds: 250) == .readable {
                    try listener.drainNotifications { payload in
                        switch EventScanner.scan(payload) {
                        case .success(let event):
                            scanned.append(event)
                        case .failure(let rejection):
                            stats.droppedPayloads.add(1, ordering: .relaxed)
                            log.warning("dropped a notification: \(rejection)")
                        }
                    }
                }
            } catch {
                lost = error
            }
            let batch = hubs.sequencer.number(scanned, now: Moment.now())
            if let last = batch.last {
                stats.events.add(batch.count, ordering: .relaxed)
                stats.lastEventUnixMilliseconds.store(last.receivedAt.unixMilliseconds, ordering: .relaxed)
                waitForRoom(batch.count * hubs.hubs.count)
                backlog.added(batch.count * hubs.hubs.count)
                hubs.post(.events(batch))
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
