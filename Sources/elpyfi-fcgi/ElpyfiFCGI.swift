import ElpyfiRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `elpyfi-fcgi`: the REST worker (`serve`, the default) and the key generator (`keygen`).
///
/// The exit status is the command's: 0 after SIGTERM, 2 for bad configuration, 1 when the
/// socket or every worker thread fails, 64 for a bad command line.
@main
enum ElpyfiFCGI {
    /// Both subcommands; `serve` runs when none is named (`elpyfi-fcgi --listen …`).
    static let commands = CommandSet(
        name: "elpyfi-fcgi",
        abstract: "Read-only REST API of the elpyfi trading engine, as a FastCGI responder behind nginx.",
        commands: [Serve.command, Keygen.command],
        defaultWord: "serve"
    )

    /// Picks the subcommand and reads its options (help and usage errors end the process there), then runs it.
    static func main() {
        let (command, arguments) = Arguments.selectOrExit(commands, Arguments.current)
        let flags = Arguments.parseOrExit(command, arguments)
        switch command.word {
        case Keygen.command.word: Keygen.run()
        default: exit(Serve.run(flags))
        }
    }
}
