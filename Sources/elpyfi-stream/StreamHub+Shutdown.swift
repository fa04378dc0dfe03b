import ElpyfiStream
import NIOCore

/// What a hub's shutdown has done so far (its loop only).
struct ShutdownState {
    /// Stop admitting; set once.
    var begun = false
    /// Completed once every client is closed (or cut).
    var finished: EventLoopPromise<Void>?
    /// `finished` has been completed (by the closes or by the deadline, whichever came first).
    var done = false
}

extension StreamHub {
    /// Completes once shutdown has closed every client.
    var finished: EventLoopFuture<Void> { shutdown.finished!.futureResult }

    /// Stop admitting, close every client with 1001 `going away` (a close it resumes from: `?since=&epoch=` on
    /// another sidecar, or this one restarted, answers `stream.gap` or replays), then complete `finished`.
    func beginShutdown() {
        loop.preconditionInEventLoop()
        guard !shutdown.begun else { return }
        shutdown.begun = true
        let closes = registry.shutdown()
        var closing: [EventLoopFuture<Void>] = []
        for case .close(let clients, let code, let reason) in closes {
            log.info("shutting down: closing \(clients.count) clients with 1001")
            for client in clients {
                closing.append(client.closeFuture)
                client.close(code: code, reason: reason, grace: .seconds(2))
            }
        }
        // Clients that do not answer the close in time are cut; either way `finished` completes once.
        let deadline = loop.scheduleTask(in: .seconds(3)) { [self] in finish() }
        EventLoopFuture.andAllComplete(closing, on: loop).whenComplete { [self] _ in
            deadline.cancel()
            finish()
        }
    }

    private func finish() {
        guard !shutdown.done else { return }
        shutdown.done = true
        shutdown.finished?.succeed()
    }
}
