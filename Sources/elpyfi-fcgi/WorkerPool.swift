import ElpyfiCore
import FastCGI
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// N accept-loop threads, each owning one FastCGI slot and one PostgreSQL connection,
/// plus a signal thread that turns SIGTERM/SIGINT into a graceful stop.
///
/// One connection per thread keeps the hot path lock-free; a request's
/// failure (bad input, dead database) is answered and contained in its thread.
struct WorkerPool: Sendable {
    let listener: FastCGIListener
    let service: APIService
    let databaseSettings: PostgresConnection.Settings
    let threadCount: Int
    let log: Log

    /// Serves until SIGTERM/SIGINT, lets in-flight requests finish, then returns.
    func runUntilSignalled() {
        // Block the stop signals in every thread; only the signal thread receives them (sigwait).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let workers = (0..<threadCount).map { index in
            NativeThread.start { serve(threadIndex: index) }
        }
        let listener = self.listener
        let log = self.log
        let stopSignals = signals
        let signalThread = NativeThread.start {
            var waitSet = stopSignals
            var received: Int32 = 0
            sigwait(&waitSet, &received)
            log.info("signal \(received): finishing in-flight requests")
            listener.stopAccepting()
        }
        workers.forEach { $0.join() }
        signalThread.join()
    }

    private func serve(threadIndex: Int) {
        let connection = PostgresConnection(settings: databaseSettings)
        do {
            try connection.connect()
        } catch {
            log.warning("thread \(threadIndex): database not reachable at start (\(error.detail)); will retry per request")
        }
        let database = PostgresDatabase(connection: connection, log: log)
        let request = FastCGIRequest(listener: listener)
        while request.accept() {
            let apiRequest = APIRequest(
                method: request.parameter("REQUEST_METHOD") ?? "GET",
                uri: request.parameter("REQUEST_URI") ?? "/",
                apiKey: request.parameter("HTTP_X_API_KEY"),
                ifNoneMatch: request.parameter("HTTP_IF_NONE_MATCH")
            )
            request.write(ResponseEncoding.bytes(service.respond(to: apiRequest, database: database)))
            request.finish()
        }
    }
}
