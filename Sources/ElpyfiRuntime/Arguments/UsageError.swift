/// A command line that does not fit its `CommandSpec`: the process prints it with the
/// usage line to stderr and exits 64 (`EX_USAGE`).
public enum UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dash-prefixed word that names no option (`--bogus`, `-x`).
    case unknownOption(String)
    /// An option at the end of the line, or followed by another option.
    case missingValue(Flag)
    /// A value that is not of the option's kind (`--threads abc`).
    case invalidValue(String, Flag)
    /// A word that is neither an option nor an option's value, nor a known subcommand.
    case unexpectedArgument(String)

    /// The sentence after `Error: `.
    public var description: String {
        switch self {
        case .unknownOption(let option):
            "Unknown option '\(option)'"
        case .missingValue(let flag):
            "Missing value for '\(flag.synopsis)'"
        case .invalidValue(let value, let flag):
            "The value '\(value)' is invalid for '\(flag.synopsis)': expected a whole number"
        case .unexpectedArgument(let argument):
            "Unexpected argument '\(argument)'"
        }
    }
}
