/// A program whose first word picks a subcommand, one of which runs when none is named:
/// `elpyfi-fcgi [serve] [--listen …]`, `elpyfi-fcgi keygen`, `elpyfi-fcgi help [serve]`.
public struct CommandSet: Sendable {
    /// What the first word asked for.
    public enum Selection: Sendable, Equatable {
        /// Run the subcommand selected by `word` on the remaining arguments.
        case command(word: String, arguments: [String])
        /// Print the program's help (`-h`, `--help`, `help`).
        case help
        /// Print one subcommand's help (`help serve`).
        case subcommandHelp(word: String)
    }

    /// The program name: `elpyfi-fcgi`.
    public let name: String
    /// One line for the OVERVIEW.
    public let abstract: String
    /// The subcommands, in the order `--help` lists them.
    public let commands: [CommandSpec]
    /// The word of the subcommand that runs when the first argument is not a subcommand
    /// (`serve`: systemd units and scripts may call `elpyfi-fcgi --listen …`).
    public let defaultWord: String

    /// A program called `name` with `commands`; `defaultWord` must be one of their words.
    public init(name: String, abstract: String, commands: [CommandSpec], defaultWord: String) {
        precondition(commands.contains { $0.word == defaultWord }, "default subcommand \(defaultWord) is not among the commands")
        self.name = name
        self.abstract = abstract
        self.commands = commands
        self.defaultWord = defaultWord
    }

    /// The subcommand selected by `word`, nil when there is none.
    public func command(_ word: String) -> CommandSpec? { commands.first { $0.word == word } }

    /// The subcommand that runs when none is named.
    public var defaultCommand: CommandSpec { command(defaultWord)! }

    /// What `arguments` (without the program name) select. Options without a subcommand go
    /// to the default one; any other unknown first word is an error, not a silent default.
    public func select(_ arguments: [String]) throws(UsageError) -> Selection {
        guard let first = arguments.first else { return .command(word: defaultWord, arguments: []) }
        let rest = Array(arguments.dropFirst())
        if CommandSpec.isHelp(first) { return .help }
        if first == "help" {
            guard let topic = rest.first else { return .help }
            guard let command = command(topic), rest.count == 1 else { throw .unexpectedArgument(rest.last!) }
            return .subcommandHelp(word: command.word)
        }
        if let command = command(first) { return .command(word: command.word, arguments: rest) }
        if CommandSpec.isOption(first) { return .command(word: defaultWord, arguments: arguments) }
        throw .unexpectedArgument(first)
    }
}
