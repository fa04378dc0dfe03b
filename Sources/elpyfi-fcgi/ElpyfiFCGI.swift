import ElpyfiRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `elpyfi-fcgi`: the REST worker (`serve`, the default), the key generator (`keygen`) and the endpoint table (`routes`).
///
/// The exit status is the command's (`ExitStatus`).
@main
enum ElpyfiFCGI {
    /// The subcommands; `serve` runs when none is named (`elpyfi-fcgi --listen …`).
    static let commands = CommandSet(
        name: "elpyfi-fcgi",
        abstract: "Read-only REST API of the elpyfi trading engine, as a FastCGI responder behind nginx.",
        commands: [Serve.command, Keygen.command, Routes.command],
        defaultWord: "serve"
    )

    /// Picks the subcommand and reads its options (help and usage errors end the process there), then runs it.
    static func main() {
        let (command, arguments) = Arguments.selectOrExit(commands, Arguments.current)
        let flags = Arguments.parseOrExit(command, arguments)
        switch command.word {
        case Keygen.command.word: Keygen.run()
        case Routes.command.word: exit(Routes.run(flags))
        default: exit(Serve.run(flags))
        }
    }
}
