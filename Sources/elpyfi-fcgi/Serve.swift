import ElpyfiCore
import ElpyfiRuntime
import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// `elpyfi-fcgi serve`: bind (or inherit) the FastCGI socket and answer until SIGTERM.
enum Serve {
    /// Overrides `ELPYFI_FCGI_LISTEN`.
    static let listen = Flag("listen", help: "Unix socket path or host:port to listen on (overrides ELPYFI_FCGI_LISTEN; ignored under systemd socket activation).")
    /// Overrides `ELPYFI_FCGI_THREADS`.
    static let threads = Flag("threads", kind: .integer, help: "Worker threads, each with its own PostgreSQL connection (overrides ELPYFI_FCGI_THREADS).")
    /// A `.env` file other than `./.env`.
    static let envFile = Flag("env-file", help: "A .env file to read under the environment (default: ./.env if present).")

    /// The options above, as `--help` lists them.
    static let command = CommandSpec(
        name: "elpyfi-fcgi serve",
        abstract: "Answer REST requests from nginx over FastCGI (the default command).",
        discussion: "Configuration comes from ELPYFI_* environment variables and an optional .env file; see deploy/elpyfi.env.example.",
        flags: [listen, threads, envFile]
    )

    /// Serves until SIGTERM; the process exit status (`ExitStatus`).
    static func run(_ flags: ParsedFlags) -> Int32 {
        let log = Log(component: "fcgi")
        guard case (var config, let policy)? = Config.startUp(envFile: flags.text(envFile), log: log) else {
            return ExitStatus.badConfiguration
        }
        if let address = flags.text(listen) {
            guard ListenAddress(address) != nil else {
                log.error("invalid --listen: must be an absolute Unix socket path or host:port")
                return ExitStatus.badConfiguration
            }
            config.fastCGIListen = address
        }
        if let count = flags.integer(threads) {
            guard (1...256).contains(count) else {
                log.error("invalid --threads: must be a whole number from 1 to 256")
                return ExitStatus.badConfiguration
            }
            config.fastCGIThreads = count
        }

        let server: FastCGIServer
        do {
            try FastCGIListener.initializeLibrary()
            server = try FastCGIServer(listener: FastCGIListener.inherited(environment: Config.processEnvironment())
                ?? FastCGIListener.bind(config.fastCGIListen))
        } catch {
            log.error("\(error)")
            return ExitStatus.failed
        }

        let pool = WorkerPool(
            server: server,
            service: APIService(policy: policy, publicCacheSeconds: config.publicCacheSeconds),
            databaseSettings: DatabaseSettings.forREST(config),
            threadCount: config.fastCGIThreads,
            log: log,
            metrics: config.metricsEnabled ? RequestMetrics(threadCount: config.fastCGIThreads) : nil
        )
        log.info("listening on \(config.fastCGIListen) with \(config.fastCGIThreads) threads")
        guard pool.runUntilSignalled() else { return ExitStatus.failed }
        log.info("stopped")
        return ExitStatus.stopped
    }
}
