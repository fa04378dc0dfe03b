/// What a command accepts and how `--help` describes it.
///
/// A value, not a parser object: the executables declare theirs as `static let`s and
/// the pure `parse(_:)` (in `CommandSpec+Parse.swift`) reads arguments against it.
public struct CommandSpec: Sendable {
    /// The full name as typed: `elpyfi-stream`, or `elpyfi-fcgi serve` for a subcommand
    /// (whose last word is what selects it in a `CommandSet`).
    public let name: String
    /// One line for the OVERVIEW and for the parent's SUBCOMMANDS list.
    public let abstract: String
    /// An optional paragraph under the overview.
    public let discussion: String?
    /// The options, in the order `--help` lists them.
    public let flags: [Flag]

    /// A command called `name` with `flags`.
    public init(name: String, abstract: String, discussion: String? = nil, flags: [Flag] = []) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.flags = flags
    }

    /// The word that selects this command after its parent's name (`serve`).
    public var word: String { String(name.split(separator: " ").last ?? Substring(name)) }

    /// `elpyfi-fcgi serve [--listen <listen>] [--threads <threads>] …`
    public var usage: String {
        ([name] + flags.map { "[\($0.synopsis)]" }).joined(separator: " ")
    }
}
