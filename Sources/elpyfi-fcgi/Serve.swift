import ArgumentParser
import ElpyfiCore
import ElpyfiRuntime
import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// `elpyfi-fcgi serve`: bind (or inherit) the FastCGI socket and answer until SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer REST requests from nginx over FastCGI (the default command).",
        discussion: "Configuration comes from ELPYFI_* environment variables and an optional .env file; see deploy/elpyfi.env.example."
    )

    @Option(help: "Unix socket path or host:port to listen on (overrides ELPYFI_FCGI_LISTEN; ignored under systemd socket activation).")
    var listen: String?

    @Option(help: "Worker threads, each with its own PostgreSQL connection (overrides ELPYFI_FCGI_THREADS).")
    var threads: Int?

    @Option(help: "A .env file to read under the environment (default: ./.env if present).")
    var envFile: String?

    func run() throws {
        let log = Log(component: "fcgi")
        var config: Config
        do {
            config = try Config.load(envFile: envFile)
        } catch {
            log.error(error.description)
            throw ExitCode(2)
        }
        if let listen {
            guard ListenAddress(listen) != nil else {
                log.error("invalid --listen: must be an absolute Unix socket path or host:port")
                throw ExitCode(2)
            }
            config.fastCGIListen = listen
        }
        if let threads {
            guard (1...256).contains(threads) else {
                log.error("invalid --threads: must be a whole number from 1 to 256")
                throw ExitCode(2)
            }
            config.fastCGIThreads = threads
        }

        let verifier = APIKeyVerifier(config: config)
        if verifier.isDevelopmentMode {
            log.warning("DEVELOPMENT MODE: no ELPYFI_API_KEYS or ELPYFI_API_KEY_HASHES configured; every request is allowed")
        }

        let listener: FastCGIListener
        do {
            try FastCGIListener.initializeLibrary()
            listener = try FastCGIListener.inherited(environment: Config.processEnvironment())
                ?? FastCGIListener.bind(config.fastCGIListen)
        } catch {
            log.error("\(error)")
            throw ExitCode(1)
        }

        let pool = WorkerPool(
            listener: listener,
            service: APIService(verifier: verifier),
            databaseSettings: DatabaseSettings.forREST(config),
            threadCount: config.fastCGIThreads,
            log: log
        )
        log.info("listening on \(config.fastCGIListen) with \(config.fastCGIThreads) threads")
        guard pool.runUntilSignalled() else { throw ExitCode(1) }
        log.info("stopped")
    }
}
