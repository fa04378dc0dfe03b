import ElpyfiStream
import NIOCore

extension StreamHub {
    /// Stop admitting, close every client with 1001 `going away` (a close it resumes from: `?since=&epoch=` on
    /// another sidecar, or this one restarted, answers `stream.gap` or replays), then complete `finished`.
    func beginShutdown() {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return }
        shuttingDown = true
        let closes = registry.shutdown()
        var closing: [EventLoopFuture<Void>] = []
        for case .close(let clients, let code, let reason) in closes {
            log.info("shutting down: closing \(clients.count) clients with 1001")
            for client in clients {
                closing.append(client.closeFuture)
                client.close(code: code, reason: reason, grace: .seconds(2))
            }
        }
        // Clients that do not answer the close in time are cut; whichever comes first completes `finished`
        // (a promise keeps its first result: the later `succeed` does nothing).
        let deadline = loop.scheduleTask(in: .seconds(3)) { [finished] in finished.succeed() }
        EventLoopFuture.andAllComplete(closing, on: loop).whenComplete { [finished] _ in
            deadline.cancel()
            finished.succeed()
        }
    }
}
