import ElpyfiCore
import ElpyfiRuntime
import ElpyfiStream
import NIOCore
import NIOPosix
import Postgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `elpyfi-stream [--listen HOST:PORT] [--env-file PATH]`: the WebSocket sidecar.
///
/// Wires the pieces and waits: `Config` → `UpgradeGate` + `StreamHubs` (one `StreamHub` per event
/// loop) → `StreamServer` (NIO HTTP/1 + WebSocket) and `ListenerThread` (libpq LISTEN).
/// The exit status is `ExitStatus`'s: 0 after SIGTERM/SIGINT, 2 for bad configuration or listen address.
@main
enum ElpyfiStreamCommand {
    /// Overrides `ELPYFI_STREAM_LISTEN`.
    static let listen = Flag("listen", help: "HOST:PORT to serve HTTP/WebSocket on (default ELPYFI_STREAM_LISTEN, 127.0.0.1:9020).")
    /// A `.env` file other than `./.env`.
    static let envFile = Flag("env-file", help: "A .env file read under the environment (default ./.env if present).")

    /// The options above, as `--help` lists them.
    static let command = CommandSpec(
        name: "elpyfi-stream",
        abstract: "Relays PostgreSQL NOTIFY trading_events to WebSocket clients (/ws, /ws/signals, /ws/trades).",
        flags: [listen, envFile]
    )

    /// Reads the command line (help and usage errors end the process there), then serves.
    static func main() {
        exit(run(Arguments.parseOrExit(command, Arguments.current)))
    }

    /// Serves until SIGTERM/SIGINT; the process exit status (`ExitStatus`).
    static func run(_ flags: ParsedFlags) -> Int32 {
        let log = Log(component: "stream")
        guard let (config, policy) = Config.startUp(envFile: flags.text(envFile), log: log) else {
            return ExitStatus.badConfiguration
        }
        guard case .tcp(let host, let port)? = ListenAddress(flags.text(listen) ?? config.streamListen) else {
            log.error("invalid --listen: must be host:port")
            return ExitStatus.badConfiguration
        }

        // One event loop per core (ELPYFI_STREAM_THREADS): NIO spreads connections over them, each loop's hub
        // owns its clients, and the listener thread hands every loop each event once, already framed.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.streamThreads)
        let hubs = StreamHubs(group: group, gate: UpgradeGate(policy: policy), config: config)
        let server: Channel
        do {
            server = try StreamServer.bind(host: host, port: port, group: group, hubs: hubs, queueBytes: config.streamClientQueueBytes)
        } catch {
            log.error("cannot listen on \(host):\(port): \(error)")
            try? group.syncShutdownGracefully()
            return ExitStatus.failed
        }
        hubs.broadcast { $0.started() }
        hubs.startMemoryTrim()

        let settings = PostgresConnection.Settings(
            url: config.listenDatabaseURL,
            connectTimeoutSeconds: config.databaseConnectTimeoutSeconds,
            sessionParameters: [("default_transaction_read_only", "on"), ("TimeZone", config.timeZone)],
            applicationName: "elpyfi-stream-listen"
        )
        let listener = ListenerThread(listener: PostgresListener(settings: settings), hubs: hubs, sidecarID: config.streamID)
        listener.start()

        let signals = ShutdownSignals { hubs.shutdown(server: server) }
        log.info("serving /ws*, /sse* (signals, trades) and /stream/health on \(host):\(port) (sidecar \(config.streamID), \(config.streamThreads) event loops)")

        hubs.waitUntilFinished()
        listener.stop()
        signals.cancel()
        try? group.syncShutdownGracefully()
        log.info("stopped")
        return ExitStatus.stopped
    }
}
