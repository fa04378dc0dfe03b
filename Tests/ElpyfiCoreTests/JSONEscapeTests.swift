import ElpyfiCore
import Testing

/// The JSON string literal for `value`.
private func quoted(_ value: String) -> String { JSONEscape.quoted(value) }

@Suite struct JSONEscapeTests {
    @Test func quoteBackslashAndNamedControlsAreEscaped() {
        #expect(quoted("\"\\\n\r\t\u{8}\u{C}") == #""\"\\\n\r\t\b\f""#)
    }

    @Test func otherControlCharactersAreEscapedAsFourHexDigits() {
        #expect(quoted("\u{0}\u{1}\u{7}\u{B}\u{E}\u{1B}\u{1F}") == #""\u0000\u0001\u0007\u000b\u000e\u001b\u001f""#)
    }

    @Test func nonASCIIIsKeptAsUTF8Bytes() {
        #expect(Array(quoted("é€😀").utf8) == [0x22, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x22])
    }

    @Test func escapesAmongPlainTextKeepTheTextAroundThem() {
        #expect(quoted("a\"b\nc\u{1}é") == #""a\"b\nc\u0001é""#)
    }

    @Test func deleteAndSlashAreKeptAsIs() {
        #expect(quoted("\u{7F}/</script>") == "\"\u{7F}/</script>\"")
    }

    @Test func spaceIsTheFirstUnescapedByte() {
        #expect(quoted(" ~") == "\" ~\"")
    }

    @Test func emptyStringIsTwoQuotes() {
        #expect(quoted("") == "\"\"")
    }
}

@Suite struct ErrorBodyTests {
    static let bodies: [(APIError, String)] = [
        (.notFound, #"{"error":{"code":"not_found","message":"no such endpoint"}}"#),
        (.methodNotAllowed, #"{"error":{"code":"method_not_allowed","message":"only GET and HEAD are allowed"}}"#),
        (.missingAPIKey, #"{"error":{"code":"missing_api_key","message":"an X-API-Key header is required"}}"#),
        (.invalidAPIKey, #"{"error":{"code":"invalid_api_key","message":"the X-API-Key is not valid"}}"#),
        (.databaseUnavailable, #"{"error":{"code":"database_unavailable","message":"the database is unavailable; retry shortly"}}"#),
        (.invalidParameter(name: "limit", reason: "must be a whole number from 1 to 1000"),
         #"{"error":{"code":"invalid_parameter","message":"invalid parameter 'limit': must be a whole number from 1 to 1000"}}"#),
    ]

    @Test(arguments: bodies)
    func errorBodyIsTheContractShapeExactly(error: APIError, body: String) {
        #expect(text(ErrorBody.json(error)) == body)
    }

    @Test func customCodeAndMessageAreEscaped() {
        #expect(text(ErrorBody.json(code: "stream_unavailable", message: "say \"later\"\n"))
            == #"{"error":{"code":"stream_unavailable","message":"say \"later\"\n"}}"#)
    }

    @Test func statusAndCodeFollowTheContractTable() {
        let table: [(APIError, Int, String)] = [
            (.missingAPIKey, 401, "missing_api_key"), (.invalidAPIKey, 403, "invalid_api_key"),
            (.invalidParameter(name: "x", reason: "y"), 400, "invalid_parameter"), (.notFound, 404, "not_found"),
            (.methodNotAllowed, 405, "method_not_allowed"), (.databaseUnavailable, 503, "database_unavailable"),
        ]
        for (error, status, code) in table {
            #expect(error.status == status)
            #expect(error.code == code)
        }
    }

    @Test func methodNotAllowedCarriesAllowAndUnavailableCarriesRetryAfter() {
        #expect(APIResponse(error: .methodNotAllowed).header("allow") == "GET, HEAD, OPTIONS")
        let retryAfter = APIResponse(error: .databaseUnavailable).header("Retry-After")
        #expect(retryAfter.flatMap { DecimalDigits.parse($0) }.map { $0 >= 1 } == true)
        #expect(APIResponse(error: .notFound).headers.isEmpty)
    }

    @Test func errorResponseIsJSON() {
        let response = APIResponse(error: .invalidAPIKey)
        #expect(response.status == 403)
        #expect(response.contentType == "application/json")
        #expect(response.body == ErrorBody.json(.invalidAPIKey))
    }
}

@Suite struct PostgresTextTests {
    @Test(arguments: ["150.250", "150.25", "-0.5", "0", "-0", "42", "0.000", "1e+100", "1.5e-07", "-1.7976931348623157e+308",
                      "5e-324", "9223372036854775807", "1E5", "123456789012345678901234567890.123456789"])
    func postgresNumberTextIsAJSONNumber(number: String) {
        #expect(PostgresText.isJSONNumber(Array(number.utf8)))
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity", "inf", "", "-", "01", "-01", ".5", "-.5", "5.", "+5", "1e", "1e+", "1.e5",
                      " 1", "1 ", "0x10", "1.2.3", "--1", "1e5.5", "１"])
    func nonJSONNumberTextIsRefused(number: String) {
        #expect(!PostgresText.isJSONNumber(Array(number.utf8)))
    }

    /// The encoder's cheap check agrees with the full grammar on every form PostgreSQL's output functions write.
    @Test(arguments: ["150.250", "-0.5", "0", "-0", "1e+100", "1.5e-07", "-1.7976931348623157e+308", "5e-324",
                      "9223372036854775807", "-42", "NaN", "Infinity", "-Infinity"])
    func finiteNumberCheckAgreesWithTheGrammarOnPostgresOutput(number: String) {
        let bytes = Array(number.utf8)
        bytes.withUnsafeBufferPointer { #expect(PostgresText.isFiniteNumber($0) == PostgresText.isJSONNumber(bytes)) }
    }

    @Test func emptyOrSignOnlyTextIsNotAFiniteNumber() {
        for text in ["", "-", "-I"] {
            Array(text.utf8).withUnsafeBufferPointer { #expect(!PostgresText.isFiniteNumber($0)) }
        }
    }

    @Test func numberInsideASliceIsReadFromItsOwnStartIndex() {
        let bytes = Array("x-1.5e3".utf8)
        #expect(PostgresText.isJSONNumber(bytes.dropFirst()))
        #expect(!PostgresText.isJSONNumber(bytes.dropLast(2)))
    }

    /// The timestamp check's word test agrees with its byte rule for every byte value in every position of a word.
    @Test func timestampWordTestAgreesWithTheByteRule() {
        let plain = Array("2024-01-".utf8)
        for position in 0..<8 {
            for byte in 0...255 {
                var word = plain
                word[position] = UInt8(byte)
                let value = word.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(PostgresText.wordIsTimestampBytes(value) == word.allSatisfy(PostgresText.isTimestampByte))
            }
        }
    }

    /// A UTC timestamp's text as the row encoder writes it; nil when it writes `null`.
    private func rfc3339(_ input: String) -> String? {
        let body = text(RowEncoder.array(QueryRows(texts: [[input]]), query: Query(name: "t", sql: "", columns: [("t", .timestamp)])))
        guard body.hasPrefix(#"[{"t":""#) else { return nil }
        return String(body.dropFirst(7).dropLast(3))
    }

    @Test func wholeSecondsGetTAndZ() {
        #expect(rfc3339("2024-01-15 10:31:00") == "2024-01-15T10:31:00Z")
    }

    @Test func fractionalSecondsAreKeptAsGiven() {
        #expect(rfc3339("2024-01-15 10:31:00.12") == "2024-01-15T10:31:00.12Z")
        #expect(rfc3339("2024-01-15 10:31:00.123456") == "2024-01-15T10:31:00.123456Z")
        #expect(rfc3339("0001-01-01 00:00:00.5") == "0001-01-01T00:00:00.5Z")
    }

    @Test(arguments: ["infinity", "-infinity", "2024-01-15 10:31:00 BC", "0044-03-15 12:00:00 BC", "2024-01-15 10:31",
                      "2024-01-15", "", "2024-01-15T10:31:00", "2024-01-15 10:31:00+00", "2024-01-15 10:31:00Z",
                      "2024-01-15 10:31:00/5", "2024-01-15 10:31:00.5\u{80}", "2024-01-15\u{0}10:31:00"])
    func valueWithoutAnRFC3339FormIsNil(input: String) {
        #expect(rfc3339(input) == nil)
    }
}
