import ElpyfiCore
import ElpyfiRuntime
import FastCGI
import Postgres
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// N threads, each owning one FastCGI request slot and one PostgreSQL connection and taking the next request
/// from any of the server's connections, plus a signal thread that turns SIGTERM/SIGINT into a graceful stop.
///
/// One connection per thread keeps the hot path lock-free; a request's
/// failure (bad input, dead database) is answered and contained in its thread.
struct WorkerPool: Sendable {
    let server: FastCGIServer
    let service: APIService
    let databaseSettings: PostgresConnection.Settings
    let threadCount: Int
    let log: Log
    /// Nil when `ELPYFI_METRICS=0`: nothing is counted and the exposition shows no requests.
    let metrics: RequestMetrics?
    /// The exposition's answer when counting is off: the families exist, with no samples.
    private static let disabledMetrics = RequestMetrics(threadCount: 0)

    /// What the threads share: how many still serve, and whether a stop was asked for.
    private final class Progress: Sendable {
        let running = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
    }

    /// Serves until SIGTERM/SIGINT and lets in-flight requests finish (true), or until every
    /// worker thread has failed on its own (false: the caller exits non-zero so a supervisor restarts it).
    func runUntilSignalled() -> Bool {
        // Stop signals are taken by the signal thread only (sigwait). The stop takes the socket out of service at
        // once (`FastCGIServer.stop`: nginx is refused and moves on to the next worker, instead of queueing on a
        // worker that is leaving), lets every thread finish the request it holds, and exits.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let progress = Progress()
        progress.running.store(threadCount, ordering: .sequentiallyConsistent)
        let workers = (0..<threadCount).map { index in
            NativeThread.start {
                serve(threadIndex: index, progress: progress)
                progress.running.subtract(1, ordering: .sequentiallyConsistent)
            }
        }
        let server = self.server
        let log = self.log
        let waitSet = stopSignals
        let signalThread = NativeThread.start {
            var set = waitSet
            var received: Int32 = 0
            sigwait(&set, &received)
            if progress.running.load(ordering: .sequentiallyConsistent) > 0 {
                progress.stopping.store(true, ordering: .sequentiallyConsistent)
                log.info("signal \(received): finishing in-flight requests")
            }
            server.stop()
        }
        workers.forEach { $0.join() }
        let stoppedBySignal = progress.stopping.load(ordering: .sequentiallyConsistent)
        if !stoppedBySignal {
            log.error("every worker thread stopped accepting; exiting so the supervisor restarts the worker")
            signalThread.signal(SIGTERM)
        }
        signalThread.join()
        return stoppedBySignal
    }

    private func serve(threadIndex: Int, progress: Progress) {
        let connection = PostgresConnection(settings: databaseSettings)
        let counters = metrics?.threads[threadIndex]
        let request = FastCGIRequest(server: server)
        let database = PostgresDatabase(connection: connection, log: log, metrics: counters) {
            request.parameter("REQUEST_ID")
        }
        do {
            try connection.connect()
            database.observe(reached: true)
        } catch {
            database.observe(reached: false)
            log.warning("thread \(threadIndex): database not reachable at start (\(error.detail)); will retry per request")
        }
        while request.accept() {
            let started = Monotonic.nanoseconds()
            // Only nginx's ops listener sets this parameter (snippets/ops.conf); a client cannot, so the public
            // ports never reach the exposition. It is answered from counters alone, never from the database.
            if request.parameter("ELPYFI_OPS") != nil {
                let body = (metrics ?? WorkerPool.disabledMetrics).render()
                let response = APIResponse(status: 200, headers: [("Cache-Control", "no-store")], contentType: Exposition.contentType, body: body)
                request.respond(response)
                request.finish()
                continue
            }
            let apiRequest = APIRequest(
                method: request.parameter("REQUEST_METHOD") ?? "GET",
                uri: request.parameter("REQUEST_URI") ?? "/",
                apiKey: APIRequest.headerValue(fromLines: request.parameterValues("HTTP_X_API_KEY")),
                ifNoneMatch: request.parameter("HTTP_IF_NONE_MATCH")
            )
            let response = service.respond(to: apiRequest, database: database)
            request.respond(response)
            if let counters {
                counters.record(endpoint: EndpointLabel.index(for: response), status: response.status,
                                nanoseconds: Monotonic.nanoseconds() &- started)
            }
            request.finish()
        }
        if !progress.stopping.load(ordering: .sequentiallyConsistent) {
            log.error("thread \(threadIndex): accept failed; thread stopped")
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds, for request durations.
enum Monotonic {
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
