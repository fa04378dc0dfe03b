import ElpyfiRuntime
import Testing

/// A program shaped like `elpyfi-fcgi`: `serve` (default, with options) and `keygen`.
private let tool = CommandSet(
    name: "tool",
    abstract: "A tool.",
    commands: [
        CommandSpec(name: "tool serve", abstract: "Serve.", flags: [Flag("listen", help: "Where.")]),
        CommandSpec(name: "tool keygen", abstract: "Make a key."),
    ],
    defaultWord: "serve"
)

/// The usage error `arguments` raise, nil when they select something.
private func selectionError(_ arguments: [String]) -> UsageError? {
    do {
        _ = try tool.select(arguments)
        return nil
    } catch {
        return error
    }
}

@Suite struct CommandSetTests {
    @Test func noArgumentsRunTheDefaultSubcommand() throws {
        // systemd's `ExecStart=/usr/local/bin/elpyfi-fcgi serve` and a bare `elpyfi-fcgi` alike.
        #expect(try tool.select([]) == .command(word: "serve", arguments: []))
        #expect(try tool.select(["serve"]) == .command(word: "serve", arguments: []))
    }

    @Test func namedSubcommandGetsTheArgumentsAfterIt() throws {
        #expect(try tool.select(["serve", "--listen", "/tmp/a.sock"]) == .command(word: "serve", arguments: ["--listen", "/tmp/a.sock"]))
        #expect(try tool.select(["keygen"]) == .command(word: "keygen", arguments: []))
    }

    @Test func optionsWithoutASubcommandGoToTheDefault() throws {
        #expect(try tool.select(["--listen", "/tmp/a.sock"]) == .command(word: "serve", arguments: ["--listen", "/tmp/a.sock"]))
    }

    @Test func subcommandHelpIsLeftToTheSubcommand() throws {
        #expect(try tool.select(["serve", "--help"]) == .command(word: "serve", arguments: ["--help"]))
    }

    @Test func helpFirstOrTheHelpWordAsksForTheProgramsHelp() throws {
        #expect(try tool.select(["--help"]) == .help)
        #expect(try tool.select(["-h", "serve"]) == .help)
        #expect(try tool.select(["help"]) == .help)
        #expect(try tool.select(["help", "keygen"]) == .subcommandHelp(word: "keygen"))
    }

    @Test func unknownFirstWordIsAnErrorNotTheDefault() {
        #expect(selectionError(["frob"]) == .unexpectedArgument("frob"))
        #expect(selectionError(["help", "frob"]) == .unexpectedArgument("frob"))
        #expect(selectionError(["help", "serve", "extra"]) == .unexpectedArgument("extra"))
    }

    @Test func defaultSubcommandIsFoundByItsWord() {
        #expect(tool.defaultCommand.name == "tool serve")
        #expect(tool.command("keygen")?.word == "keygen")
        #expect(tool.command("frob") == nil)
    }
}
