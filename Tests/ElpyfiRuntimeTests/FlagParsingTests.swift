import ElpyfiRuntime
import Testing

/// Options shaped like `elpyfi-fcgi serve`'s (the executables' own specs are not importable).
private let listen = Flag("listen", help: "Unix socket path or host:port to listen on.")
private let threads = Flag("threads", kind: .integer, help: "Worker threads.")
private let envFile = Flag("env-file", help: "A .env file to read.")
private let serve = CommandSpec(name: "tool serve", abstract: "Serve.", flags: [listen, threads, envFile])

/// The usage error `arguments` raise, nil when they parse.
private func usageError(_ arguments: [String]) -> UsageError? {
    do {
        _ = try serve.parse(arguments)
        return nil
    } catch {
        return error
    }
}

/// The options `arguments` give, nil when they ask for help or fail.
private func flags(_ arguments: [String]) -> ParsedFlags? {
    guard case .run(let flags)? = try? serve.parse(arguments) else { return nil }
    return flags
}

@Suite struct FlagParsingTests {
    @Test func valueAfterASpaceIsRead() {
        let parsed = flags(["--listen", "/run/elpyfi/fcgi-1.sock", "--threads", "4"])
        #expect(parsed?.text(listen) == "/run/elpyfi/fcgi-1.sock")
        #expect(parsed?.integer(threads) == 4)
        #expect(parsed?.text(envFile) == nil)
    }

    @Test func valueAfterAnEqualsSignIsReadWholeEvenWithAnotherEqualsSign() {
        let parsed = flags(["--threads=2", "--env-file=/etc/elpyfi/a=b.env"])
        #expect(parsed?.integer(threads) == 2)
        #expect(parsed?.text(envFile) == "/etc/elpyfi/a=b.env")
    }

    @Test func noArgumentsGiveNoOptions() {
        #expect(flags([]) == ParsedFlags())
    }

    @Test func lastOfARepeatedOptionWins() {
        #expect(flags(["--listen", "a:1", "--listen=b:2"])?.text(listen) == "b:2")
    }

    @Test func unknownLongOptionIsAUsageError() {
        #expect(usageError(["--listen", "a:1", "--bogus"]) == .unknownOption("--bogus"))
        #expect(usageError(["--bogus=1"]) == .unknownOption("--bogus"))
    }

    @Test func shortOptionOtherThanHelpIsUnknown() {
        #expect(usageError(["-t", "4"]) == .unknownOption("-t"))
    }

    @Test func optionAtTheEndIsMissingItsValue() {
        #expect(usageError(["--threads"]) == .missingValue(threads))
    }

    @Test func optionFollowedByAnotherOptionIsMissingItsValue() {
        #expect(usageError(["--listen", "--threads", "4"]) == .missingValue(listen))
    }

    @Test func nonNumericIntegerIsAUsageError() {
        #expect(usageError(["--threads", "abc"]) == .invalidValue("abc", threads))
        #expect(usageError(["--threads=4.5"]) == .invalidValue("4.5", threads))
        #expect(usageError(["--threads="]) == .invalidValue("", threads))
    }

    @Test func negativeIntegerAfterAnEqualsSignReachesTheCommandForItsRangeCheck() {
        #expect(flags(["--threads=-1"])?.integer(threads) == -1)
    }

    @Test func strayWordIsAnUnexpectedArgument() {
        #expect(usageError(["--threads", "4", "extra"]) == .unexpectedArgument("extra"))
        #expect(usageError(["-"]) == .unexpectedArgument("-"))
    }

    @Test func helpAnywhereWinsEvenOverMistakes() throws {
        #expect(try serve.parse(["--help"]) == .help)
        #expect(try serve.parse(["-h"]) == .help)
        #expect(try serve.parse(["--bogus", "--threads", "abc", "-h"]) == .help)
    }

    @Test func usageErrorsNameTheOptionAsHelpShowsIt() {
        #expect(UsageError.unknownOption("--bogus").description == "Unknown option '--bogus'")
        #expect(UsageError.missingValue(threads).description == "Missing value for '--threads <threads>'")
        #expect(UsageError.invalidValue("abc", threads).description.hasPrefix("The value 'abc' is invalid for '--threads <threads>'"))
        #expect(UsageError.unexpectedArgument("extra").description == "Unexpected argument 'extra'")
    }
}
