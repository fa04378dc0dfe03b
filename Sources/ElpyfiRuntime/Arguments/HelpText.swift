/// `--help` pages laid out the way swift-argument-parser printed them (which these
/// executables used before): an OVERVIEW, USAGE, then one row per option or subcommand,
/// wrapped to 80 columns with the descriptions in a column of their own.
public enum HelpText {
    /// Terminal width the pages are wrapped to.
    static let width = 80
    /// Where descriptions start: two spaces of indent plus a 24-character name column.
    static let descriptionColumn = 26

    /// The help page of one command.
    public static func page(for command: CommandSpec) -> String {
        var lines = wrap("OVERVIEW: " + command.abstract, width: width) + [""]
        if let discussion = command.discussion { lines += wrap(discussion, width: width) + [""] }
        lines += ["USAGE: " + command.usage, "", "OPTIONS:"]
        lines += optionRows(command.flags)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The help page of a program with subcommands: each subcommand's abstract, then the
    /// default subcommand's options, which work without naming it.
    public static func page(for set: CommandSet) -> String {
        var lines = wrap("OVERVIEW: " + set.abstract, width: width) + [""]
        lines += ["USAGE: \(set.name) [<subcommand>] [<options>]", "", "SUBCOMMANDS:"]
        for command in set.commands {
            let label = command.word == set.defaultWord ? "\(command.word) (default)" : command.word
            lines += row(label, command.abstract)
        }
        lines += ["", "OPTIONS (of \(set.defaultWord), the default subcommand):"]
        lines += optionRows(set.defaultCommand.flags)
        lines += ["", "  See '\(set.name) help <subcommand>' for detailed help."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The lines printed to stderr for a usage error.
    public static func error(_ error: UsageError, usage: String, helpCommand: String) -> String {
        "Error: \(error.description)\nUsage: \(usage)\n  See '\(helpCommand) --help' for more information.\n"
    }

    /// One row per flag, then `-h, --help`.
    static func optionRows(_ flags: [Flag]) -> [String] {
        flags.flatMap { row($0.synopsis, $0.help) } + row("-h, --help", "Show help information.")
    }

    /// `  label   description…` with the description wrapped in its column; a label too
    /// long for the column puts the description on the lines below it.
    static func row(_ label: String, _ description: String) -> [String] {
        let indent = String(repeating: " ", count: descriptionColumn)
        var described = wrap(description, width: width - descriptionColumn).map { indent + $0 }
        let head = "  " + label
        if head.count + 1 < descriptionColumn, !described.isEmpty {
            described[0] = head + String(repeating: " ", count: descriptionColumn - head.count) + described[0].dropFirst(descriptionColumn)
            return described
        }
        return [head] + described
    }

    /// `text` broken at spaces into lines of at most `width` characters (a longer word stays whole).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
