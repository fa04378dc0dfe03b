import ElpyfiCore
import ElpyfiRuntime
import Testing

/// The config error for `environment`, nil when it is accepted.
private func configError(_ environment: [String: String]) -> ConfigError? {
    thrownError { () throws(ConfigError) in try Config(environment: environment) }
}

private let validHash = String(repeating: "ab", count: 32)

@Suite struct ConfigTests {
    @Test func everyKeyHasItsDocumentedDefault() throws {
        let config = try Config(environment: [:], defaultThreads: 4)
        #expect(config.databaseURL == "postgresql://elpyfi:password@localhost/elpyfi")
        #expect(config.listenDatabaseURL == "postgresql://elpyfi:password@localhost/elpyfi")
        #expect(config.apiKeys == [])
        #expect(config.apiKeyHashes == [])
        #expect(config.timeZone == "UTC")
        #expect(config.databaseConnectTimeoutSeconds == 2)
        #expect(config.statementTimeoutMilliseconds == 2000)
        #expect(config.fastCGIListen == "/tmp/elpyfi-fcgi.sock")
        #expect(config.fastCGIThreads == 4)
        #expect(config.streamListen == "127.0.0.1:9020")
        #expect(config.streamClientQueueBytes == 1_048_576)
        #expect(config.streamPingSeconds == 30)
        #expect(config.streamPingTimeoutSeconds == 75)
        #expect(config.streamRingEvents == 10_000)
        #expect(config.streamRingSeconds == 900)
    }

    @Test func metricsAreOnUnlessSwitchedOffWithZero() throws {
        #expect(try Config(environment: [:]).metricsEnabled)
        #expect(try !Config(environment: ["ELPYFI_METRICS": "0"]).metricsEnabled)
        #expect(try Config(environment: ["ELPYFI_METRICS": "1"]).metricsEnabled)
        #expect(configError(["ELPYFI_METRICS": "yes"])?.variable == "ELPYFI_METRICS")
    }

    @Test func defaultThreadCountBelowOneBecomesOne() throws {
        #expect(try Config(environment: [:], defaultThreads: 0).fastCGIThreads == 1)
        #expect(try Config(environment: [:], defaultThreads: -3).fastCGIThreads == 1)
    }

    @Test func everyKeyIsReadFromTheEnvironment() throws {
        let config = try Config(environment: [
            "ELPYFI_DATABASE_URL": "postgresql://reader@db/elpyfi",
            "ELPYFI_LISTEN_DATABASE_URL": "postgresql://reader@primary/elpyfi",
            "ELPYFI_API_KEYS": "k1,k2",
            "ELPYFI_API_KEY_HASHES": validHash,
            "ELPYFI_TIMEZONE": "America/New_York",
            "ELPYFI_DB_CONNECT_TIMEOUT": "10",
            "ELPYFI_STATEMENT_TIMEOUT_MS": "0",
            "ELPYFI_FCGI_LISTEN": "127.0.0.1:9100",
            "ELPYFI_FCGI_THREADS": "16",
            "ELPYFI_STREAM_LISTEN": "0.0.0.0:9999",
            "ELPYFI_STREAM_CLIENT_QUEUE_BYTES": "2048",
            "ELPYFI_STREAM_PING_SECONDS": "5",
            "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "6",
            "ELPYFI_STREAM_RING_EVENTS": "50",
            "ELPYFI_STREAM_RING_SECONDS": "60",
            "ELPYFI_STREAM_THREADS": "3",
            "ELPYFI_STREAM_ID": "b7",
        ], defaultThreads: 4)
        #expect(config.databaseURL == "postgresql://reader@db/elpyfi")
        #expect(config.listenDatabaseURL == "postgresql://reader@primary/elpyfi")
        #expect(config.apiKeys == ["k1", "k2"])
        #expect(config.apiKeyHashes == [[UInt8](repeating: 0xAB, count: 32)])
        #expect(config.timeZone == "America/New_York")
        #expect(config.databaseConnectTimeoutSeconds == 10)
        #expect(config.statementTimeoutMilliseconds == 0)
        #expect(config.fastCGIListen == "127.0.0.1:9100")
        #expect(config.fastCGIThreads == 16)
        #expect(config.streamListen == "0.0.0.0:9999")
        #expect(config.streamClientQueueBytes == 2048)
        #expect(config.streamPingSeconds == 5)
        #expect(config.streamPingTimeoutSeconds == 6)
        #expect(config.streamRingEvents == 50)
        #expect(config.streamRingSeconds == 60)
        #expect(config.streamThreads == 3)
        #expect(config.streamID == "b7")
    }

    @Test func streamThreadsDefaultToTheCoresAndTheSidecarIDTo1() throws {
        let config = try Config(environment: [:], defaultThreads: 6)
        #expect(config.streamThreads == 6)
        #expect(config.streamID == "1")
    }

    @Test func listenDatabaseURLDefaultsToDatabaseURL() throws {
        let config = try Config(environment: ["ELPYFI_DATABASE_URL": "postgresql://replica/elpyfi"])
        #expect(config.listenDatabaseURL == "postgresql://replica/elpyfi")
    }

    @Test func integersAcceptLeadingZerosAndTheirRangeBounds() throws {
        let low = try Config(environment: [
            "ELPYFI_DB_CONNECT_TIMEOUT": "1", "ELPYFI_FCGI_THREADS": "001", "ELPYFI_STREAM_CLIENT_QUEUE_BYTES": "1024",
            "ELPYFI_STREAM_PING_SECONDS": "1", "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "2",
            "ELPYFI_STREAM_RING_EVENTS": "1", "ELPYFI_STREAM_RING_SECONDS": "1", "ELPYFI_STATEMENT_TIMEOUT_MS": "0",
        ])
        #expect(low.databaseConnectTimeoutSeconds == 1)
        #expect(low.fastCGIThreads == 1)
        #expect(low.streamClientQueueBytes == 1024)
        let high = try Config(environment: [
            "ELPYFI_DB_CONNECT_TIMEOUT": "60", "ELPYFI_FCGI_THREADS": "256",
            "ELPYFI_STREAM_CLIENT_QUEUE_BYTES": "1073741824", "ELPYFI_STREAM_PING_SECONDS": "3600",
            "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "7200", "ELPYFI_STREAM_RING_EVENTS": "10000000",
            "ELPYFI_STREAM_RING_SECONDS": "86400", "ELPYFI_STATEMENT_TIMEOUT_MS": "3600000",
        ])
        #expect(high.databaseConnectTimeoutSeconds == 60)
        #expect(high.fastCGIThreads == 256)
        #expect(high.streamRingEvents == 10_000_000)
        #expect(high.statementTimeoutMilliseconds == 3_600_000)
    }

    @Test func surroundingWhitespaceOfAValueIsTrimmed() throws {
        let config = try Config(environment: [
            "ELPYFI_DATABASE_URL": "  postgresql://db/elpyfi \n", "ELPYFI_FCGI_THREADS": " 8\t",
            "ELPYFI_STREAM_LISTEN": " 127.0.0.1:9021 ",
        ])
        #expect(config.databaseURL == "postgresql://db/elpyfi")
        #expect(config.fastCGIThreads == 8)
        #expect(config.streamListen == "127.0.0.1:9021")
    }

    /// Every malformed value: (variable, value).
    static let malformed: [(String, String)] = [
        ("ELPYFI_DATABASE_URL", ""), ("ELPYFI_DATABASE_URL", "   "),
        ("ELPYFI_LISTEN_DATABASE_URL", ""),
        ("ELPYFI_TIMEZONE", ""), ("ELPYFI_TIMEZONE", "UTC'; SET x TO 'y"), ("ELPYFI_TIMEZONE", "Europe/Berlin\\"),
        ("ELPYFI_TIMEZONE", "Central European"), ("ELPYFI_TIMEZONE", "Zürich"),
        ("ELPYFI_DB_CONNECT_TIMEOUT", "abc"), ("ELPYFI_DB_CONNECT_TIMEOUT", "0"), ("ELPYFI_DB_CONNECT_TIMEOUT", "61"),
        ("ELPYFI_DB_CONNECT_TIMEOUT", ""), ("ELPYFI_DB_CONNECT_TIMEOUT", "-1"), ("ELPYFI_DB_CONNECT_TIMEOUT", "+5"),
        ("ELPYFI_DB_CONNECT_TIMEOUT", "1e1"), ("ELPYFI_DB_CONNECT_TIMEOUT", "2.5"), ("ELPYFI_DB_CONNECT_TIMEOUT", "2 s"),
        ("ELPYFI_DB_CONNECT_TIMEOUT", "99999999999999999999999"),
        ("ELPYFI_STATEMENT_TIMEOUT_MS", "-1"), ("ELPYFI_STATEMENT_TIMEOUT_MS", "3600001"), ("ELPYFI_STATEMENT_TIMEOUT_MS", "5s"),
        ("ELPYFI_FCGI_THREADS", "0"), ("ELPYFI_FCGI_THREADS", "257"), ("ELPYFI_FCGI_THREADS", "four"), ("ELPYFI_FCGI_THREADS", ""),
        ("ELPYFI_STREAM_CLIENT_QUEUE_BYTES", "1023"), ("ELPYFI_STREAM_CLIENT_QUEUE_BYTES", "1073741825"),
        ("ELPYFI_STREAM_CLIENT_QUEUE_BYTES", "1MiB"),
        ("ELPYFI_STREAM_PING_SECONDS", "0"), ("ELPYFI_STREAM_PING_SECONDS", "3601"),
        ("ELPYFI_STREAM_PING_TIMEOUT_SECONDS", "0"), ("ELPYFI_STREAM_PING_TIMEOUT_SECONDS", "7201"),
        ("ELPYFI_STREAM_RING_EVENTS", "0"), ("ELPYFI_STREAM_RING_EVENTS", "10000001"),
        ("ELPYFI_STREAM_RING_SECONDS", "0"), ("ELPYFI_STREAM_RING_SECONDS", "86401"),
        ("ELPYFI_STREAM_THREADS", "0"), ("ELPYFI_STREAM_THREADS", "65"), ("ELPYFI_STREAM_THREADS", "two"),
        ("ELPYFI_STREAM_ID", ""), ("ELPYFI_STREAM_ID", "A1"), ("ELPYFI_STREAM_ID", "a-1"), ("ELPYFI_STREAM_ID", "s1.x"),
        ("ELPYFI_STREAM_ID", "abcdefghijklmnopq"),
        ("ELPYFI_FCGI_LISTEN", ""), ("ELPYFI_FCGI_LISTEN", "relative/fcgi.sock"), ("ELPYFI_FCGI_LISTEN", "localhost"),
        ("ELPYFI_FCGI_LISTEN", "localhost:0"), ("ELPYFI_FCGI_LISTEN", "localhost:65536"), ("ELPYFI_FCGI_LISTEN", ":9000"),
        ("ELPYFI_FCGI_LISTEN", "localhost:http"), ("ELPYFI_FCGI_LISTEN", "[]:9000"),
        ("ELPYFI_STREAM_LISTEN", ""), ("ELPYFI_STREAM_LISTEN", "/tmp/stream.sock"), ("ELPYFI_STREAM_LISTEN", "127.0.0.1"),
        ("ELPYFI_STREAM_LISTEN", "127.0.0.1:"), ("ELPYFI_STREAM_LISTEN", "127.0.0.1:70000"),
        ("ELPYFI_API_KEY_HASHES", String(repeating: "zz", count: 32)),
        ("ELPYFI_API_KEY_HASHES", String(repeating: "a", count: 63)),
        ("ELPYFI_API_KEY_HASHES", String(repeating: "a", count: 62)),
        ("ELPYFI_API_KEY_HASHES", String(repeating: "a", count: 66)),
        ("ELPYFI_API_KEY_HASHES", "sha256:" + validHash),
        ("ELPYFI_API_KEY_HASHES", validHash + ",not-a-hash"),
    ]

    @Test(arguments: malformed)
    func malformedValueStopsStartWithAnErrorNamingTheVariable(variable: String, value: String) {
        let error = configError([variable: value])
        #expect(error?.variable == variable)
        #expect(error?.description.hasPrefix("invalid \(variable): ") == true)
    }

    /// Values distinctive enough that finding them in a message would be a leak.
    static let secretLooking: [(String, String)] = [
        ("ELPYFI_DB_CONNECT_TIMEOUT", "s3cr3t-value-77"), ("ELPYFI_FCGI_THREADS", "s3cr3t-value-77"),
        ("ELPYFI_TIMEZONE", "s3cr3t value 77"), ("ELPYFI_FCGI_LISTEN", "s3cr3t-value-77"),
        ("ELPYFI_STREAM_LISTEN", "s3cr3t-value-77"), ("ELPYFI_API_KEY_HASHES", "s3cr3t-value-77"),
        ("ELPYFI_API_KEY_HASHES", "elpyfi_" + String(repeating: "K", count: 43)),
        ("ELPYFI_API_KEY_HASHES", validHash + "00"),
    ]

    @Test(arguments: secretLooking)
    func configErrorNeverEchoesTheValue(variable: String, value: String) {
        let error = configError([variable: value])
        #expect(error?.variable == variable)
        #expect(error.map { !$0.description.contains(value) && !$0.reason.contains(value) } == true)
    }

    @Test func pingTimeoutNotLongerThanPingIntervalIsRefused() {
        let equal = configError(["ELPYFI_STREAM_PING_SECONDS": "30", "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "30"])
        #expect(equal?.variable == "ELPYFI_STREAM_PING_TIMEOUT_SECONDS")
        let shorter = configError(["ELPYFI_STREAM_PING_SECONDS": "100", "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "99"])
        #expect(shorter?.variable == "ELPYFI_STREAM_PING_TIMEOUT_SECONDS")
        // Only the interval set: it must still stay below the default timeout of 75.
        let againstDefault = configError(["ELPYFI_STREAM_PING_SECONDS": "75"])
        #expect(againstDefault?.variable == "ELPYFI_STREAM_PING_TIMEOUT_SECONDS")
    }

    @Test func pingTimeoutOneSecondLongerThanIntervalIsAccepted() throws {
        let config = try Config(environment: ["ELPYFI_STREAM_PING_SECONDS": "30", "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "31"])
        #expect(config.streamPingTimeoutSeconds == 31)
    }

    @Test func blanksInKeyListsAreIgnored() throws {
        let config = try Config(environment: [
            "ELPYFI_API_KEYS": " first , ,second,,\t, ",
            "ELPYFI_API_KEY_HASHES": ", \(validHash) , ,",
        ])
        #expect(config.apiKeys == ["first", "second"])
        #expect(config.apiKeyHashes == [[UInt8](repeating: 0xAB, count: 32)])
    }

    @Test func keyListsOfOnlyBlanksMeanNoKeys() throws {
        let config = try Config(environment: ["ELPYFI_API_KEYS": " , ,", "ELPYFI_API_KEY_HASHES": ""])
        #expect(config.apiKeys.isEmpty)
        #expect(config.apiKeyHashes.isEmpty)
    }

    @Test func upperCaseHashesAreAccepted() throws {
        let config = try Config(environment: ["ELPYFI_API_KEY_HASHES": String(repeating: "AB", count: 32)])
        #expect(config.apiKeyHashes == [[UInt8](repeating: 0xAB, count: 32)])
    }

    @Test func unknownElpyfiKeysAreIgnored() throws {
        let config = try Config(environment: [
            "ELPYFI_NO_SUCH_SETTING": "garbage", "ELPYFI_PORT": "not-a-port", "ELPYFI_CORS_ORIGINS": ",,",
            "ELPYFI_fcgi_threads": "zero", "PATH": "/usr/bin",
        ], defaultThreads: 3)
        let defaults = try Config(environment: [:], defaultThreads: 3)
        #expect(config == defaults)
    }

    @Test func fcgiListenAcceptsUnixPathsAndHostPorts() throws {
        #expect(try Config(environment: ["ELPYFI_FCGI_LISTEN": "/run/elpyfi/fcgi-1.sock"]).fastCGIListen == "/run/elpyfi/fcgi-1.sock")
        #expect(try Config(environment: ["ELPYFI_FCGI_LISTEN": "127.0.0.1:9000"]).fastCGIListen == "127.0.0.1:9000")
        #expect(try Config(environment: ["ELPYFI_FCGI_LISTEN": "[::1]:9000"]).fastCGIListen == "[::1]:9000")
    }

    /// Every other value is trimmed before use; the listen address must be validated as it will be used.
    @Test func fcgiListenIsValidatedAfterTrimmingLikeEveryOtherValue() throws {
        #expect(try Config(environment: ["ELPYFI_FCGI_LISTEN": " /run/elpyfi/fcgi.sock"]).fastCGIListen == "/run/elpyfi/fcgi.sock")
        #expect(try Config(environment: ["ELPYFI_FCGI_LISTEN": "127.0.0.1:9000 "]).fastCGIListen == "127.0.0.1:9000")
    }

    @Test func missingEnvFileNamedOnTheCommandLineIsAConfigError() {
        let error = thrownError { () throws(ConfigError) in try Config.load(envFile: "/nonexistent/elpyfi-core-tests.env") }
        #expect(error?.variable == "--env-file")
    }

    @Test func configErrorDescriptionNamesTheVariable() {
        #expect(ConfigError(variable: "ELPYFI_X", reason: "must be y").description == "invalid ELPYFI_X: must be y")
    }
}

@Suite struct DotEnvTests {
    @Test func parsesKeysValuesCommentsAndBlankLines() {
        let parsed = DotEnv.parse("""
        # a comment
        ELPYFI_A=1

           # an indented comment
        ELPYFI_B = two words\u{20}
        """)
        #expect(parsed == ["ELPYFI_A": "1", "ELPYFI_B": "two words"])
    }

    @Test func exportPrefixIsDropped() {
        #expect(DotEnv.parse("export ELPYFI_A=1\nexport   ELPYFI_B=2") == ["ELPYFI_A": "1", "ELPYFI_B": "2"])
    }

    @Test func aCommentAfterAQuotedValueIsDropped() {
        let parsed = DotEnv.parse("A=\"quoted # kept\" # note\nB='x' #n\n")
        #expect(parsed["A"] == "quoted # kept")
        #expect(parsed["B"] == "x")
    }

    @Test func aCommentAfterAnUnquotedValueIsDropped() {
        #expect(DotEnv.parse("ELPYFI_API_KEYS=abc # prod key\n")["ELPYFI_API_KEYS"] == "abc")
    }

    @Test func matchingQuotesAroundTheValueAreRemoved() {
        let parsed = DotEnv.parse("""
        A="double quoted"
        B='single quoted'
        C="mismatched'
        D="
        E=""
        F='it''s'
        """)
        #expect(parsed["A"] == "double quoted")
        #expect(parsed["B"] == "single quoted")
        #expect(parsed["C"] == "\"mismatched'")
        #expect(parsed["D"] == "\"")
        #expect(parsed["E"] == "")
        #expect(parsed["F"] == "it''s")
    }

    @Test func valueMayContainEqualsSigns() {
        #expect(DotEnv.parse("ELPYFI_DATABASE_URL=postgresql://u@h/db?sslmode=require&a=b")
            == ["ELPYFI_DATABASE_URL": "postgresql://u@h/db?sslmode=require&a=b"])
    }

    @Test func malformedLinesAreSkipped() {
        let parsed = DotEnv.parse("no equals sign here\n=value without key\n  =\nGOOD=yes\nexport\n")
        #expect(parsed == ["GOOD": "yes"])
    }

    @Test func emptyValueIsKeptAsEmpty() {
        #expect(DotEnv.parse("ELPYFI_API_KEYS=") == ["ELPYFI_API_KEYS": ""])
    }

    @Test func windowsLineEndingsAreHandled() {
        #expect(DotEnv.parse("A=1\r\nB=2\r\n") == ["A": "1", "B": "2"])
    }

    @Test func laterLineForTheSameKeyWins() {
        #expect(DotEnv.parse("A=1\nA=2") == ["A": "2"])
    }

    @Test func emptyFileHasNoVariables() {
        #expect(DotEnv.parse("").isEmpty)
        #expect(DotEnv.parse("\n\n# only comments\n").isEmpty)
    }

    @Test func processEnvironmentWinsOverDotEnv() {
        let merged = Config.mergedEnvironment(
            process: ["ELPYFI_A": "from-process", "HOME": "/root"],
            dotEnvContents: "ELPYFI_A=from-file\nELPYFI_B=only-in-file")
        #expect(merged == ["ELPYFI_A": "from-process", "ELPYFI_B": "only-in-file", "HOME": "/root"])
    }

    @Test func processEmptyValueStillWinsOverDotEnv() {
        let merged = Config.mergedEnvironment(process: ["ELPYFI_API_KEYS": ""], dotEnvContents: "ELPYFI_API_KEYS=k1")
        #expect(merged["ELPYFI_API_KEYS"] == "")
    }

    @Test func noDotEnvFileMeansTheProcessEnvironmentAsIs() {
        #expect(Config.mergedEnvironment(process: ["A": "1"], dotEnvContents: nil) == ["A": "1"])
    }

    @Test func dotEnvValuesFeedTheConfig() throws {
        let environment = Config.mergedEnvironment(process: [:], dotEnvContents: "export ELPYFI_FCGI_THREADS=\"12\"\n")
        #expect(try Config(environment: environment).fastCGIThreads == 12)
    }
}

@Suite struct ListenAddressTests {
    @Test func absolutePathIsAUnixSocket() {
        #expect(ListenAddress("/tmp/elpyfi-fcgi.sock") == .unix(path: "/tmp/elpyfi-fcgi.sock"))
        #expect(ListenAddress("/tmp/elpyfi-fcgi.sock")?.isTCP == false)
    }

    @Test func hostAndPortIsTCP() {
        #expect(ListenAddress("127.0.0.1:9020") == .tcp(host: "127.0.0.1", port: 9020))
        #expect(ListenAddress("localhost:1") == .tcp(host: "localhost", port: 1))
        #expect(ListenAddress("0.0.0.0:65535") == .tcp(host: "0.0.0.0", port: 65535))
        #expect(ListenAddress("127.0.0.1:9020")?.isTCP == true)
    }

    @Test func bracketedIPv6HostLosesItsBrackets() {
        #expect(ListenAddress("[::1]:9020") == .tcp(host: "::1", port: 9020))
    }

    @Test(arguments: ["", "relative.sock", "localhost", "localhost:", ":9020", "localhost:0", "localhost:65536",
                      "localhost:-1", "localhost:+80", "localhost: 80", "localhost:http", "[]:80", "[::1]", "localhost:99999999999999999999"])
    func malformedAddressIsRefused(text: String) {
        #expect(ListenAddress(text) == nil)
    }

    /// RFC 3986 §3.2.2: an IPv6 host must be bracketed; `::1` or `fe80::1:8080` is ambiguous, not host ":" port 1.
    @Test(arguments: ["::1", "fe80::1:8080"])
    func unbracketedIPv6AddressIsRefused(text: String) {
        #expect(ListenAddress(text) == nil)
    }
}

@Suite struct DecimalDigitsTests {
    @Test func plainDigitsParse() {
        #expect(DecimalDigits.parse("0") == 0)
        #expect(DecimalDigits.parse("7") == 7)
        #expect(DecimalDigits.parse("1000") == 1000)
    }

    @Test func leadingZerosAreFine() {
        #expect(DecimalDigits.parse("05") == 5)
        #expect(DecimalDigits.parse("000") == 0)
        #expect(DecimalDigits.parse("0000000000000000000000000042") == 42)
    }

    @Test func largestIntParsesAndOneMoreOverflows() {
        #expect(DecimalDigits.parse("9223372036854775807") == Int.max)
        #expect(DecimalDigits.parse("9223372036854775808") == nil)
        #expect(DecimalDigits.parse("99999999999999999999") == nil)
    }

    @Test(arguments: ["", "-1", "+1", " 1", "1 ", "1e3", "1.0", "0x10", "12a", "abc", "\u{0661}", "１"])
    func anythingButPlainDigitsIsRefused(text: String) {
        #expect(DecimalDigits.parse(text) == nil)
    }

    @Test func substringsParseToo() {
        let text = "limit=25"
        #expect(DecimalDigits.parse(text.dropFirst(6)) == 25)
    }
}

@Suite struct HexTests {
    @Test func encodesLowerCase() {
        #expect(Hex.encode([0x00, 0xFF, 0x10, 0xAB, 0x9C]) == "00ff10ab9c")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func everyByteRoundTrips() {
        let bytes = (0...255).map(UInt8.init)
        let encoded = Hex.encode(bytes)
        #expect(encoded.utf8.count == 512)
        #expect(Hex.decode(encoded) == bytes)
        #expect(Hex.decode(encoded.uppercased()) == bytes)
    }

    @Test func decodesEitherCase() {
        #expect(Hex.decode("aBcD") == [0xAB, 0xCD])
    }

    @Test(arguments: ["a", "abc", "zz", "0g", "ab cd", "éé", "0x00"])
    func malformedHexIsRefused(text: String) {
        #expect(Hex.decode(text) == nil)
    }
}
