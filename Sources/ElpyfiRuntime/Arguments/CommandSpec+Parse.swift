/// What a command line asks for once it has been read.
public enum ParseOutcome: Sendable, Equatable {
    /// Run the command with these options.
    case run(ParsedFlags)
    /// `-h` or `--help` appeared anywhere: print the help and exit 0.
    case help
}

/// The options given on a command line, by `Flag`; an option given twice keeps its last value.
public struct ParsedFlags: Sendable, Equatable {
    private let values: [String: String]

    /// Options by flag name (what `CommandSpec.parse` builds; tests compare against it).
    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The value of a `.text` flag, nil when absent.
    public func text(_ flag: Flag) -> String? { values[flag.name] }

    /// The value of an `.integer` flag, nil when absent (parsing already rejected non-numbers).
    public func integer(_ flag: Flag) -> Int? { values[flag.name].flatMap { Int($0) } }
}

extension CommandSpec {
    /// Reads `arguments` (without the program name) as `--name value` or `--name=value` options.
    ///
    /// The rules are swift-argument-parser's, which these executables used before, so no
    /// script sees a difference: help wins wherever it appears; a value may not start with
    /// `-` unless written `--name=-value`; unknown options and stray words are errors.
    public func parse(_ arguments: [String]) throws(UsageError) -> ParseOutcome {
        if arguments.contains(where: Self.isHelp) { return .help }
        var values: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard Self.isOption(argument) else { throw .unexpectedArgument(argument) }
            guard argument.hasPrefix("--"), argument.count > 2 else { throw .unknownOption(argument) }
            let body = argument.dropFirst(2)
            let equals = body.firstIndex(of: "=")
            let name = String(body[..<(equals ?? body.endIndex)])
            guard let flag = flags.first(where: { $0.name == name }) else { throw .unknownOption("--" + name) }
            let value: String
            if let equals {
                value = String(body[body.index(after: equals)...])
            } else if index < arguments.endIndex, !Self.isOption(arguments[index]) {
                value = arguments[index]
                index += 1
            } else {
                throw .missingValue(flag)
            }
            if flag.kind == .integer, Int(value) == nil { throw .invalidValue(value, flag) }
            values[flag.name] = value
        }
        return .run(ParsedFlags(values))
    }

    /// `-h` or `--help`.
    static func isHelp(_ argument: String) -> Bool { argument == "-h" || argument == "--help" }

    /// Dash-prefixed, other than a lone `-` (which is an ordinary word).
    static func isOption(_ argument: String) -> Bool { argument.hasPrefix("-") && argument != "-" }
}
