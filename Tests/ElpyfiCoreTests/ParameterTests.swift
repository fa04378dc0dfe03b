import ElpyfiCore
import Testing

/// The pairs of a query string, with undecodable values shown as `<bad>`.
private func pairs(_ query: String) -> [String] {
    QueryParameters(query).pairs.map { "\($0.name)=\($0.value ?? "<bad>")" }
}

private func single(_ query: String, _ name: String) -> Result<String?, APIError> {
    Result { () throws(APIError) in try QueryParameters(query).single(name) }
}

/// What a request binds: the endpoint its path matched and the values for `$1...$n`.
private struct Plan {
    let endpoint: Endpoint
    let parameters: [String?]
    var query: Query { endpoint.query }
    var shape: Endpoint.Shape { endpoint.shape }
}

private func makePlan(_ path: String, _ query: String = "") -> Result<Plan, APIError> {
    Result { () throws(APIError) in
        guard let match = EndpointMatch(path: path[...]) else { throw APIError.notFound }
        return Plan(endpoint: match.endpoint, parameters: try match.bind(QueryParameters(query)))
    }
}

/// The parameter a plan's 400 names, nil when the plan was accepted.
private func refused(_ path: String, _ query: String) -> String? {
    guard case .failure(let error) = makePlan(path, query) else { return nil }
    return rejectedParameter(error)
}

private func bound(_ path: String, _ query: String = "") -> [String?]? {
    try? makePlan(path, query).get().parameters
}

@Suite struct QueryParametersTests {
    @Test func splitsNamesAndValuesInOrder() {
        #expect(pairs("limit=5&strategy=mean_rev&x=") == ["limit=5", "strategy=mean_rev", "x="])
    }

    @Test func emptyQueryHasNoPairs() {
        #expect(pairs("").isEmpty)
        #expect(pairs("&&&").isEmpty)
    }

    @Test func emptyPiecesBetweenAmpersandsAreSkipped() {
        #expect(pairs("&a=1&&b=2&") == ["a=1", "b=2"])
    }

    @Test func nameWithoutEqualsHasTheEmptyValue() {
        #expect(pairs("flag&a=1") == ["flag=", "a=1"])
    }

    @Test func onlyTheFirstEqualsSplits() {
        #expect(pairs("a==b=c") == ["a==b=c"])
        #expect(QueryParameters("a==b=c").pairs.first?.value == "=b=c")
    }

    @Test func plusIsASpaceAndEncodedPlusIsAPlus() {
        #expect(pairs("q=a+b&r=a%2Bb") == ["q=a b", "r=a+b"])
    }

    @Test func percentEscapesAreDecodedInNamesAndValues() {
        #expect(pairs("str%61tegy=mean%5Frev&s=%E2%82%AC&t=%c3%a9") == ["strategy=mean_rev", "s=€", "t=é"])
    }

    @Test(arguments: ["%ZZ", "%4", "%", "a%", "%G1", "%FF", "%C3", "%C3%28", "%ED%A0%80", "%C0%AF"])
    func badEscapesAndInvalidUTF8AreKeptAsUndecodable(value: String) {
        #expect(pairs("limit=" + value) == ["limit=<bad>"])
        #expect(single("limit=" + value, "limit") == .failure(.invalidParameter(name: "limit", reason: "bad percent-encoding")))
    }

    @Test func pairWithAnUndecodableNameIsDropped() {
        #expect(pairs("li%ZZmit=5&a=1") == ["a=1"])
    }

    @Test func singleValueIsReturned() {
        #expect(single("a=1&limit=05", "limit") == .success("05"))
    }

    @Test func absentNameIsNil() {
        #expect(single("a=1", "limit") == .success(nil))
        #expect(single("LIMIT=5", "limit") == .success(nil))
    }

    @Test(arguments: ["limit=5&limit=5", "limit=5&limit=6", "limit=&limit=5", "limit=%ZZ&limit=5", "limit&limit"])
    func nameGivenTwiceIsRefused(query: String) {
        #expect(rejectedParameter(single(query, "limit").failureValue) == "limit")
    }

    @Test(arguments: ["limit=", "limit", "a=1&limit=&b=2"])
    func emptyValueIsRefused(query: String) {
        #expect(single(query, "limit") == .failure(.invalidParameter(name: "limit", reason: "must not be empty")))
    }

    @Test func encodedAmpersandAndEqualsStayInTheValue() {
        #expect(pairs("s=a%26b%3Dc") == ["s=a&b=c"])
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

@Suite struct ParameterRuleTests {
    private func limit(_ text: String?) -> Int? { (try? ParameterRule.limit(default: 50).bind(text, name: "limit")).flatMap { $0.flatMap(Int.init) } }
    private func beforeID(_ text: String?) -> Result<Int?, APIError> {
        Result { () throws(APIError) in try ParameterRule.beforeID.bind(text, name: "before_id").flatMap(Int.init) }
    }

    @Test func limitDefaultsTo50() {
        #expect(limit(nil) == 50)
    }

    @Test(arguments: [("1", 1), ("50", 50), ("1000", 1000), ("05", 5), ("0001000", 1000), ("0000000000000000000000001", 1)])
    func limitInRangeIsAccepted(text: String, value: Int) {
        #expect(limit(text) == value)
    }

    @Test(arguments: ["0", "1001", "100000", "-1", "+5", "1e3", " 5", "5 ", "abc", "", "1.0", "5,6", "0x10",
                      "99999999999999999999", "٥"])
    func limitOutsideTheRuleIsRefusedNamingLimit(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRule.limit(default: 50).bind(text, name: "limit") }
        #expect(rejectedParameter(error) == "limit")
        #expect(error?.status == 400)
    }

    @Test func limitWithLeadingZerosIsAccepted() {
        #expect(limit("05") == 5)
    }

    @Test func beforeIDIsOptional() {
        #expect(beforeID(nil) == .success(nil))
    }

    @Test func beforeIDAcceptsOneThroughTwoToThe63MinusOne() {
        #expect(beforeID("1") == .success(1))
        #expect(beforeID("0042") == .success(42))
        #expect(beforeID("9223372036854775807") == .success(Int.max))
    }

    @Test(arguments: ["0", "00", "9223372036854775808", "18446744073709551616", "-1", "+1", "1e3", " 1", "x", ""])
    func beforeIDOutsideTheRuleIsRefused(text: String) {
        #expect(rejectedParameter(beforeID(text).failureValue) == "before_id")
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "2024-01-15", "2024-04-30", "2024-12-31", "0001-01-01", "9999-12-31"])
    func realDateIsAccepted(text: String) throws {
        #expect(try ParameterRule.date.bind(text, name: "date") == text)
    }

    @Test(arguments: ["2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-32", "2024-01-00",
                      "2024-1-01", "2024-01-1", "24-01-01", "0000-01-01", "2024/01/01", "2024-01-01T00:00:00", "20240101",
                      " 2024-01-01", "2024-01-01 ", "+024-01-01", "2024-+1-01", "2024-01-0a", "today", "", "２０２４-01-01"])
    func invalidDateIsRefusedNamingDate(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRule.date.bind(text, name: "date") }
        #expect(rejectedParameter(error) == "date")
    }

    @Test func dayNumbersOfConsecutiveDatesDifferByOne() {
        let pairs = [("2024-02-28", "2024-02-29"), ("2024-02-29", "2024-03-01"), ("2023-02-28", "2023-03-01"),
                     ("2023-12-31", "2024-01-01"), ("1999-12-31", "2000-01-01"), ("0001-01-01", "0001-01-02")]
        for (day, next) in pairs {
            #expect(ParameterRule.dayNumber(next)! - ParameterRule.dayNumber(day)! == 1, "\(day) → \(next)")
        }
        #expect(ParameterRule.dayNumber("2025-01-01")! - ParameterRule.dayNumber("2024-01-01")! == 366)
        #expect(ParameterRule.dayNumber("2024-02-30") == nil)
    }

    @Test func dateIsOptional() throws {
        #expect(try ParameterRule.date.bind(nil, name: "date") == nil)
    }

    @Test(arguments: ["buy", "sell", "hold", "proposed"])
    func everySchemaActionIsAccepted(text: String) throws {
        #expect(try ParameterRule.action.bind(text, name: "action") == text)
    }

    @Test(arguments: ["BUY", "Buy", "buy ", " buy", "b", "short", "proposed\u{0}", "", "buy,sell", "'buy' OR 1=1"])
    func otherActionIsRefusedNamingAction(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRule.action.bind(text, name: "action") }
        #expect(rejectedParameter(error) == "action")
    }

    @Test func nameOf64BytesIsAcceptedAnd65IsRefused() throws {
        let sixtyFour = String(repeating: "a", count: 64)
        #expect(try ParameterRule.name.bind(sixtyFour, name: "strategy") == sixtyFour)
        let error = thrownError { () throws(APIError) in try ParameterRule.name.bind(sixtyFour + "b", name: "strategy") }
        #expect(rejectedParameter(error) == "strategy")
    }

    @Test(arguments: ["a", "AAPL", "BRK.B", "mean_reversion", "ES:CME", "spy-0dte", "A_z.0:9-", "..", "-"])
    func nameOfAllowedCharactersIsAccepted(text: String) throws {
        #expect(try ParameterRule.name.bind(text, name: "symbol") == text)
    }

    @Test(arguments: ["", "mean rev", "a/b", "..%2F", "a%20b", "x'; DROP TABLE signals; --", "1 OR 1=1", "a*", "a;b",
                      "a\"b", "a\\b", "a\nb", "a\u{0}b", "é", "Ａ", "😀", String(repeating: "é", count: 32), "a+b", "a,b", "<script>"])
    func nameWithIllegalCharactersIsRefusedNamingTheParameter(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRule.name.bind(text, name: "symbol") }
        #expect(rejectedParameter(error) == "symbol")
    }

    @Test func nameLengthIsCountedInBytesNotCharacters() {
        // 22 three-byte characters: 22 characters but 66 bytes.
        #expect(!ParameterRule.isValidName(String(repeating: "€", count: 22)))
        #expect(ParameterRule.isValidName(String(repeating: "Z", count: 64)))
    }

    @Test func absentNameIsNil() throws {
        #expect(try ParameterRule.name.bind(nil, name: "strategy") == nil)
    }

    @Test func invalidParameterMessageNamesTheParameterButNotTheValue() {
        let error = thrownError { () throws(APIError) in try ParameterRule.name.bind("secret<value>", name: "strategy") }
        #expect(error?.message.contains("'strategy'") == true)
        #expect(error?.message.contains("secret<value>") == false)
    }
}

@Suite struct EndpointBindingTests {
    @Test func positionsBindsStrategyThenSymbol() throws {
        let plan = try makePlan("/positions", "symbol=AAPL&strategy=mean_rev").get()
        #expect(plan.query.name == EndpointTable.positions.query.name)
        #expect(plan.parameters == ["mean_rev", "AAPL"])
        #expect(plan.shape == .array)
    }

    @Test func positionsWithoutFiltersBindsNulls() {
        #expect(bound("/positions") == [nil, nil])
    }

    @Test func recentSignalsDefaultsToLimit50AndNoFilters() throws {
        let plan = try makePlan("/signals/recent").get()
        #expect(plan.query.name == "elpyfi_signals_recent")
        #expect(plan.parameters == [nil, nil, nil, "50", nil])
        #expect(plan.shape == .array)
    }

    @Test func recentSignalsBindsStrategySymbolActionLimitBeforeIDInOrder() {
        #expect(bound("/signals/recent", "before_id=42&limit=7&action=buy&symbol=AAPL&strategy=mean_rev")
            == ["mean_rev", "AAPL", "buy", "7", "42"])
    }

    @Test func recentSignalsBindsTheNormalisedNumbers() {
        #expect(bound("/signals/recent", "limit=005&before_id=0009223372036854775807") == [nil, nil, nil, "5", "9223372036854775807"])
    }

    @Test func proposedSignalsTakesTheSameParametersFromItsOwnQuery() throws {
        let plan = try makePlan("/signals/proposed", "strategy=ai&limit=10&before_id=3").get()
        #expect(plan.query.name == "elpyfi_signals_proposed")
        #expect(plan.query.sql.contains("pending_ai_proposals"))
        #expect(plan.parameters == ["ai", nil, nil, "10", "3"])
    }

    @Test func metricsBindsThePathStrategyAndTheDate() throws {
        let today = try makePlan("/metrics/mean_rev").get()
        #expect(today.query.name == "elpyfi_metrics")
        #expect(today.parameters == ["mean_rev", nil])
        #expect(today.shape == .firstOrEmptyObject)
        #expect(bound("/metrics/mean_rev", "date=2024-02-29") == ["mean_rev", "2024-02-29"])
    }

    @Test func metricsIgnoresAStrategyQueryParameter() {
        #expect(bound("/metrics/path", "strategy=query") == ["path", nil])
    }

    @Test func pdtStatusAndStrategiesBindNothing() throws {
        let pdt = try makePlan("/pdt/status", "limit=abc&strategy=%ZZ").get()
        #expect(pdt.query.name == "elpyfi_pdt_status")
        #expect(pdt.parameters.isEmpty)
        #expect(pdt.shape == .firstOrEmptyObject)
        let strategies = try makePlan("/strategies", "limit=0").get()
        #expect(strategies.query.name == "elpyfi_strategies")
        #expect(strategies.parameters.isEmpty)
        #expect(strategies.shape == .array)
    }

    @Test func unknownParametersAreIgnored() {
        #expect(bound("/signals/recent", "foo=bar&api_key=x&page=2&offset=-1&LIMIT=abc") == [nil, nil, nil, "50", nil])
        #expect(bound("/positions", "limit=abc&action=nope&before_id=0") == [nil, nil])
    }

    @Test func percentEncodedFilterIsDecodedBeforeValidation() {
        #expect(bound("/positions", "strategy=mean%5Frev") == ["mean_rev", nil])
        #expect(refused("/positions", "strategy=mean+rev") == "strategy")
    }

    static let badParameters: [(String, String, String)] = [
        ("/signals/recent", "limit=abc", "limit"), ("/signals/recent", "limit=0", "limit"), ("/signals/recent", "limit=100000", "limit"),
        ("/signals/recent", "limit=", "limit"), ("/signals/recent", "limit=5&limit=5", "limit"), ("/signals/recent", "limit=+5", "limit"),
        ("/signals/recent", "limit=%2B5", "limit"), ("/signals/recent", "before_id=0", "before_id"),
        ("/signals/recent", "before_id=9223372036854775808", "before_id"), ("/signals/recent", "action=BUY", "action"),
        ("/signals/recent", "symbol=" + String(repeating: "A", count: 65), "symbol"), ("/signals/recent", "strategy=a%2Fb", "strategy"),
        ("/signals/proposed", "limit=1001", "limit"), ("/signals/proposed", "before_id=-1", "before_id"),
        ("/signals/proposed", "action=sell%00", "action"), ("/positions", "symbol=AAPL;DROP", "symbol"), ("/positions", "strategy=", "strategy"),
        ("/metrics/..%2F", "", "strategy"), ("/metrics/mean%5Frev", "", "strategy"),
        ("/metrics/ok", "date=2023-02-29", "date"), ("/metrics/ok", "date=2024-1-01", "date"),
        ("/metrics/ok", "date=2024-01-01&date=2024-01-02", "date"),
    ]

    @Test(arguments: badParameters)
    func badParameterIsA400NamingIt(path: String, query: String, parameter: String) {
        #expect(refused(path, query) == parameter)
    }

    @Test func firstBadParameterInBindingOrderIsNamed() {
        #expect(refused("/signals/recent", "before_id=0&limit=0&action=x&symbol=%20&strategy=%20") == "strategy")
        #expect(refused("/signals/recent", "before_id=0&limit=0&action=x&symbol=%20") == "symbol")
        #expect(refused("/signals/recent", "before_id=0&limit=0&action=x") == "action")
        #expect(refused("/signals/recent", "before_id=0&limit=0") == "limit")
        #expect(refused("/positions", "symbol=%20&strategy=%20") == "strategy")
        #expect(refused("/metrics/a%20b", "date=nope") == "strategy")
    }

    @Test func everyEndpointBindsExactlyThePlaceholdersItsSQLUses() {
        for endpoint in EndpointTable.all {
            let count = endpoint.parameters.count
            for n in stride(from: 1, through: count, by: 1) {
                #expect(endpoint.query.sql.contains("$\(n)::"), "\(endpoint.query.name) does not use $\(n)")
            }
            #expect(!endpoint.query.sql.contains("$\(count + 1)"), "\(endpoint.query.name) uses more than \(count) parameters")
        }
    }

    @Test func everyPathParameterOfATemplateIsBoundOnce() {
        for endpoint in EndpointTable.all {
            let fromTemplate = endpoint.template.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            #expect(endpoint.parameters.filter { $0.location == .path }.map(\.name) == fromTemplate, "\(endpoint.template)")
        }
    }

    @Test func everyStatementHasItsOwnName() {
        let names = EndpointTable.all.map(\.query.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == 8)
    }

    @Test func columnsAreTheContractFieldsInOrder() {
        let fields = { (endpoint: Endpoint) in endpoint.query.columns.map(\.name) }
        #expect(fields(EndpointTable.positions) == ["symbol", "quantity", "entry_price", "current_price", "unrealized_pl", "strategy"])
        #expect(fields(EndpointTable.recentSignals) == ["id", "strategy", "symbol", "action", "confidence", "timestamp", "metadata"])
        #expect(fields(EndpointTable.proposedSignals) == fields(EndpointTable.recentSignals))
        #expect(fields(EndpointTable.metrics) == ["strategy", "date", "total_trades", "win_rate", "profit_loss", "sharpe_ratio", "max_drawdown"])
        #expect(fields(EndpointTable.metricsHistory) == ["date", "total_trades", "win_rate", "profit_loss", "sharpe_ratio", "max_drawdown"])
        #expect(fields(EndpointTable.pdtStatus) == ["week_start", "trades_used", "trades_remaining"])
        #expect(fields(EndpointTable.strategies) == ["name", "active", "description"])
    }
}
