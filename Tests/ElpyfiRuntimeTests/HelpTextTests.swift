import ElpyfiRuntime
import Testing

private let threads = Flag("threads", kind: .integer, help: "Worker threads, each with its own PostgreSQL connection (overrides ELPYFI_FCGI_THREADS).")
private let envFile = Flag("env-file", help: "A .env file to read under the environment (default: ./.env if present).")
private let serve = CommandSpec(
    name: "tool serve",
    abstract: "Answer requests.",
    discussion: "Configuration comes from the environment.",
    flags: [threads, envFile]
)
private let tool = CommandSet(
    name: "tool",
    abstract: "A tool.",
    commands: [serve, CommandSpec(name: "tool keygen", abstract: "Print a new key.")],
    defaultWord: "serve"
)

/// `text`'s lines with their runs of spaces squeezed to one, so a test can look for a sentence across a wrap.
private func squeezed(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
}

@Suite struct HelpTextTests {
    @Test func commandHelpListsEveryOptionWithItsHelpLine() {
        let page = HelpText.page(for: serve)
        #expect(page.hasPrefix("OVERVIEW: Answer requests.\n\nConfiguration comes from the environment.\n\n"))
        #expect(page.contains("USAGE: tool serve [--threads <threads>] [--env-file <env-file>]\n"))
        #expect(page.contains("\n  --threads <threads>     Worker threads,"))
        #expect(page.contains("\n  --env-file <env-file>   A .env file"))
        #expect(page.contains("\n  -h, --help              Show help information.\n"))
        #expect(squeezed(page).contains(squeezed(threads.help)))
        #expect(squeezed(page).contains(squeezed(envFile.help)))
    }

    @Test func helpLinesWrapWithinEightyColumnsUnderTheirColumn() {
        let lines = HelpText.page(for: serve).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 80 })
        // The threads help is longer than its 54-column space: its end lands on a line of its own, in the column.
        let continuation = lines.first { $0.contains("ELPYFI_FCGI_THREADS") }
        #expect(continuation?.hasPrefix(String(repeating: " ", count: 26)) == true)
        #expect(continuation?.dropFirst(26).first != " ")
    }

    @Test func programHelpListsSubcommandsAndTheDefaultsOptions() {
        let page = HelpText.page(for: tool)
        #expect(page.contains("\n  serve (default)         Answer requests.\n"))
        #expect(page.contains("\n  keygen                  Print a new key.\n"))
        #expect(page.contains("\n  --threads <threads>     Worker threads,"))
        #expect(page.contains("See 'tool help <subcommand>'"))
    }

    @Test func usageErrorTextNamesTheErrorTheUsageAndWhereHelpIs() {
        let text = HelpText.error(.unknownOption("--bogus"), usage: serve.usage, helpCommand: serve.name)
        #expect(text == """
            Error: Unknown option '--bogus'
            Usage: tool serve [--threads <threads>] [--env-file <env-file>]
              See 'tool serve --help' for more information.

            """)
    }
}
