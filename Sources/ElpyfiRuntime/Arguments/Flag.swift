/// One `--name <value>` option of a command.
///
/// Every option takes a value: the executables have no on/off switches besides
/// `-h`/`--help`, which the parser handles itself.
public struct Flag: Sendable, Equatable {
    /// What the value must look like. Checked while parsing, so `--threads abc` is a
    /// usage error (exit 64) like any other mistake on the command line.
    public enum Kind: Sendable, Equatable {
        /// Any text; the command checks its meaning (a listen address, a path).
        case text
        /// A whole decimal number, possibly negative; the command checks its range.
        case integer
    }

    /// The long name without dashes: `listen` for `--listen`.
    public let name: String
    /// What the value must look like.
    public let kind: Kind
    /// One sentence for `--help`.
    public let help: String

    /// An option `--name <name>` of `kind`, described by `help`.
    public init(_ name: String, kind: Kind = .text, help: String) {
        self.name = name
        self.kind = kind
        self.help = help
    }

    /// `--threads <threads>`, as usage lines, help and errors show it.
    public var synopsis: String { "--\(name) <\(name)>" }
}
