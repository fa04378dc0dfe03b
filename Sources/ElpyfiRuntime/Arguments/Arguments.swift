#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process edge of the command line: help to stdout and exit 0, a usage error to
/// stderr and exit 64. Everything it decides with is pure and unit-tested
/// (`CommandSpec.parse`, `CommandSet.select`, `HelpText`); this only prints and exits.
public enum Arguments {
    /// This process's arguments, without the program name.
    public static var current: [String] { Array(CommandLine.arguments.dropFirst()) }

    /// The options of `command` in `arguments`, or the process ends (help: 0, error: 64).
    public static func parseOrExit(_ command: CommandSpec, _ arguments: [String]) -> ParsedFlags {
        exitIfVersion(command.name, arguments)
        do {
            switch try command.parse(arguments) {
            case .run(let flags): return flags
            case .help: exitWithHelp(HelpText.page(for: command))
            }
        } catch {
            exitWithUsageError(HelpText.error(error, usage: command.usage, helpCommand: command.name))
        }
    }

    /// The subcommand `arguments` select and the arguments left for it, or the process
    /// ends (help: 0, error: 64).
    public static func selectOrExit(_ set: CommandSet, _ arguments: [String]) -> (command: CommandSpec, arguments: [String]) {
        exitIfVersion(set.name, arguments)
        do {
            switch try set.select(arguments) {
            case .command(let word, let rest): return (set.command(word)!, rest)
            case .help: exitWithHelp(HelpText.page(for: set))
            case .subcommandHelp(let word): exitWithHelp(HelpText.page(for: set.command(word)!))
            }
        } catch {
            let usage = "\(set.name) [<subcommand>] [<options>]"
            exitWithUsageError(HelpText.error(error, usage: usage, helpCommand: set.name))
        }
    }

    /// `--version` alone prints `NAME VERSION` (`elpyfi-fcgi 0.1.0`) and exits 0: what an operator or the
    /// package's tests compare with `dpkg -s elpyfi-api`.
    private static func exitIfVersion(_ name: String, _ arguments: [String]) {
        guard arguments == ["--version"] else { return }
        print("\(name) \(Version.current)")
        exit(0)
    }

    private static func exitWithHelp(_ page: String) -> Never {
        print(page, terminator: "")
        exit(0)
    }

    private static func exitWithUsageError(_ text: String) -> Never {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        exit(ExitStatus.usage)
    }
}
