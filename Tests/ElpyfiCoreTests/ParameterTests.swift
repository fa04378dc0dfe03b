import ElpyfiCore
import Testing

/// The pairs of a query string, with undecodable values shown as `<bad>`.
private func pairs(_ query: String) -> [String] {
    QueryParameters(query).pairs.map { "\($0.name)=\($0.value ?? "<bad>")" }
}

private func single(_ query: String, _ name: String) -> Result<String?, APIError> {
    Result { () throws(APIError) in try QueryParameters(query).single(name) }
}

private func makePlan(_ route: Route, _ query: String = "") -> Result<EndpointPlan, APIError> {
    Result { () throws(APIError) in try EndpointPlan(route: route, parameters: QueryParameters(query)) }
}

/// The parameter a plan's 400 names, nil when the plan was accepted.
private func refused(_ route: Route, _ query: String) -> String? {
    guard case .failure(let error) = makePlan(route, query) else { return nil }
    return rejectedParameter(error)
}

private func bound(_ route: Route, _ query: String = "") -> [String?]? {
    try? makePlan(route, query).get().parameters
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

@Suite struct ParameterRulesTests {
    private func limit(_ text: String?) -> Int? { try? ParameterRules.limit(text) }
    private func beforeID(_ text: String?) -> Result<Int?, APIError> {
        Result { () throws(APIError) in try ParameterRules.beforeID(text) }
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
        let error = thrownError { () throws(APIError) in try ParameterRules.limit(text) }
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
        #expect(try ParameterRules.date(text) == text)
    }

    @Test(arguments: ["2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-32", "2024-01-00",
                      "2024-1-01", "2024-01-1", "24-01-01", "0000-01-01", "2024/01/01", "2024-01-01T00:00:00", "20240101",
                      " 2024-01-01", "2024-01-01 ", "+024-01-01", "2024-+1-01", "2024-01-0a", "today", "", "２０２４-01-01"])
    func invalidDateIsRefusedNamingDate(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRules.date(text) }
        #expect(rejectedParameter(error) == "date")
    }

    @Test func dateIsOptional() throws {
        #expect(try ParameterRules.date(nil) == nil)
    }

    @Test(arguments: ["buy", "sell", "hold", "proposed"])
    func everySchemaActionIsAccepted(text: String) throws {
        #expect(try ParameterRules.action(text) == text)
    }

    @Test(arguments: ["BUY", "Buy", "buy ", " buy", "b", "short", "proposed\u{0}", "", "buy,sell", "'buy' OR 1=1"])
    func otherActionIsRefusedNamingAction(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRules.action(text) }
        #expect(rejectedParameter(error) == "action")
    }

    @Test func nameOf64BytesIsAcceptedAnd65IsRefused() throws {
        let sixtyFour = String(repeating: "a", count: 64)
        #expect(try ParameterRules.name(sixtyFour, parameter: "strategy") == sixtyFour)
        let error = thrownError { () throws(APIError) in try ParameterRules.name(sixtyFour + "b", parameter: "strategy") }
        #expect(rejectedParameter(error) == "strategy")
    }

    @Test(arguments: ["a", "AAPL", "BRK.B", "mean_reversion", "ES:CME", "spy-0dte", "A_z.0:9-", "..", "-"])
    func nameOfAllowedCharactersIsAccepted(text: String) throws {
        #expect(try ParameterRules.name(text, parameter: "symbol") == text)
    }

    @Test(arguments: ["", "mean rev", "a/b", "..%2F", "a%20b", "x'; DROP TABLE signals; --", "1 OR 1=1", "a*", "a;b",
                      "a\"b", "a\\b", "a\nb", "a\u{0}b", "é", "Ａ", "😀", String(repeating: "é", count: 32), "a+b", "a,b", "<script>"])
    func nameWithIllegalCharactersIsRefusedNamingTheParameter(text: String) {
        let error = thrownError { () throws(APIError) in try ParameterRules.name(text, parameter: "symbol") }
        #expect(rejectedParameter(error) == "symbol")
    }

    @Test func nameLengthIsCountedInBytesNotCharacters() {
        // 22 three-byte characters: 22 characters but 66 bytes.
        #expect(!ParameterRules.isValidName(String(repeating: "€", count: 22)))
        #expect(ParameterRules.isValidName(String(repeating: "Z", count: 64)))
    }

    @Test func absentNameIsNil() throws {
        #expect(try ParameterRules.name(nil, parameter: "strategy") == nil)
    }

    @Test func invalidParameterMessageNamesTheParameterButNotTheValue() {
        let error = thrownError { () throws(APIError) in try ParameterRules.name("secret<value>", parameter: "strategy") }
        #expect(error?.message.contains("'strategy'") == true)
        #expect(error?.message.contains("secret<value>") == false)
    }
}

@Suite struct EndpointPlanTests {
    @Test func positionsBindsStrategyThenSymbol() throws {
        let plan = try makePlan(.positions, "symbol=AAPL&strategy=mean_rev").get()
        #expect(plan.query.name == Queries.positions.name)
        #expect(plan.parameters == ["mean_rev", "AAPL"])
        #expect(plan.shape == .array)
    }

    @Test func positionsWithoutFiltersBindsNulls() {
        #expect(bound(.positions) == [nil, nil])
    }

    @Test func recentSignalsDefaultsToLimit50AndNoFilters() throws {
        let plan = try makePlan(.recentSignals).get()
        #expect(plan.query.name == "elpyfi_signals_recent")
        #expect(plan.parameters == [nil, nil, nil, "50", nil])
        #expect(plan.shape == .array)
    }

    @Test func recentSignalsBindsStrategySymbolActionLimitBeforeIDInOrder() {
        #expect(bound(.recentSignals, "before_id=42&limit=7&action=buy&symbol=AAPL&strategy=mean_rev")
            == ["mean_rev", "AAPL", "buy", "7", "42"])
    }

    @Test func recentSignalsBindsTheNormalisedNumbers() {
        #expect(bound(.recentSignals, "limit=005&before_id=0009223372036854775807") == [nil, nil, nil, "5", "9223372036854775807"])
    }

    @Test func proposedSignalsTakesTheSameParametersFromItsOwnQuery() throws {
        let plan = try makePlan(.proposedSignals, "strategy=ai&limit=10&before_id=3").get()
        #expect(plan.query.name == "elpyfi_signals_proposed")
        #expect(plan.query.sql.contains("pending_ai_proposals"))
        #expect(plan.parameters == ["ai", nil, nil, "10", "3"])
    }

    @Test func metricsBindsThePathStrategyAndTheDate() throws {
        let today = try makePlan(.metrics(strategySegment: "mean_rev")).get()
        #expect(today.query.name == "elpyfi_metrics")
        #expect(today.parameters == ["mean_rev", nil])
        #expect(today.shape == .firstOrEmptyObject)
        #expect(bound(.metrics(strategySegment: "mean_rev"), "date=2024-02-29") == ["mean_rev", "2024-02-29"])
    }

    @Test func metricsIgnoresAStrategyQueryParameter() {
        #expect(bound(.metrics(strategySegment: "path"), "strategy=query") == ["path", nil])
    }

    @Test func pdtStatusAndStrategiesBindNothing() throws {
        let pdt = try makePlan(.pdtStatus, "limit=abc&strategy=%ZZ").get()
        #expect(pdt.query.name == "elpyfi_pdt_status")
        #expect(pdt.parameters.isEmpty)
        #expect(pdt.shape == .firstOrEmptyObject)
        let strategies = try makePlan(.strategies, "limit=0").get()
        #expect(strategies.query.name == "elpyfi_strategies")
        #expect(strategies.parameters.isEmpty)
        #expect(strategies.shape == .array)
    }

    @Test func unknownParametersAreIgnored() {
        #expect(bound(.recentSignals, "foo=bar&api_key=x&page=2&offset=-1&LIMIT=abc") == [nil, nil, nil, "50", nil])
        #expect(bound(.positions, "limit=abc&action=nope&before_id=0") == [nil, nil])
    }

    @Test func percentEncodedFilterIsDecodedBeforeValidation() {
        #expect(bound(.positions, "strategy=mean%5Frev") == ["mean_rev", nil])
        #expect(refused(.positions, "strategy=mean+rev") == "strategy")
    }

    static let badParameters: [(Route, String, String)] = [
        (.recentSignals, "limit=abc", "limit"), (.recentSignals, "limit=0", "limit"), (.recentSignals, "limit=100000", "limit"),
        (.recentSignals, "limit=", "limit"), (.recentSignals, "limit=5&limit=5", "limit"), (.recentSignals, "limit=+5", "limit"),
        (.recentSignals, "limit=%2B5", "limit"), (.recentSignals, "before_id=0", "before_id"),
        (.recentSignals, "before_id=9223372036854775808", "before_id"), (.recentSignals, "action=BUY", "action"),
        (.recentSignals, "symbol=" + String(repeating: "A", count: 65), "symbol"), (.recentSignals, "strategy=a%2Fb", "strategy"),
        (.proposedSignals, "limit=1001", "limit"), (.proposedSignals, "before_id=-1", "before_id"),
        (.proposedSignals, "action=sell%00", "action"), (.positions, "symbol=AAPL;DROP", "symbol"), (.positions, "strategy=", "strategy"),
        (.metrics(strategySegment: "..%2F"), "", "strategy"), (.metrics(strategySegment: "mean%5Frev"), "", "strategy"),
        (.metrics(strategySegment: "ok"), "date=2023-02-29", "date"), (.metrics(strategySegment: "ok"), "date=2024-1-01", "date"),
        (.metrics(strategySegment: "ok"), "date=2024-01-01&date=2024-01-02", "date"),
    ]

    @Test(arguments: badParameters)
    func badParameterIsA400NamingIt(route: Route, query: String, parameter: String) {
        #expect(refused(route, query) == parameter)
    }

    @Test func firstBadParameterInBindingOrderIsNamed() {
        #expect(refused(.recentSignals, "before_id=0&limit=0&action=x&symbol=%20&strategy=%20") == "strategy")
        #expect(refused(.recentSignals, "before_id=0&limit=0&action=x&symbol=%20") == "symbol")
        #expect(refused(.recentSignals, "before_id=0&limit=0&action=x") == "action")
        #expect(refused(.recentSignals, "before_id=0&limit=0") == "limit")
        #expect(refused(.positions, "symbol=%20&strategy=%20") == "strategy")
        #expect(refused(.metrics(strategySegment: "a%20b"), "date=nope") == "strategy")
    }

    @Test func everyPlanBindsExactlyThePlaceholdersItsSQLUses() throws {
        let routes: [Route] = [.health, .positions, .recentSignals, .proposedSignals, .metrics(strategySegment: "x"), .pdtStatus, .strategies]
        for route in routes {
            let plan = try makePlan(route).get()
            let count = plan.parameters.count
            for n in stride(from: 1, through: count, by: 1) {
                #expect(plan.query.sql.contains("$\(n)::"), "\(plan.query.name) does not use $\(n)")
            }
            #expect(!plan.query.sql.contains("$\(count + 1)"), "\(plan.query.name) uses more than \(count) parameters")
        }
    }

    @Test func everyStatementHasItsOwnName() {
        let names = Queries.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == 7)
    }

    @Test func columnsAreTheContractFieldsInOrder() {
        #expect(Queries.positions.columns.map(\.name) == ["symbol", "quantity", "entry_price", "current_price", "unrealized_pl", "strategy"])
        #expect(Queries.recentSignals.columns.map(\.name) == ["id", "strategy", "symbol", "action", "confidence", "timestamp", "metadata"])
        #expect(Queries.proposedSignals.columns.map(\.name) == Queries.recentSignals.columns.map(\.name))
        #expect(Queries.metrics.columns.map(\.name)
            == ["strategy", "date", "total_trades", "win_rate", "profit_loss", "sharpe_ratio", "max_drawdown"])
        #expect(Queries.pdtStatus.columns.map(\.name) == ["week_start", "trades_used", "trades_remaining"])
        #expect(Queries.strategies.columns.map(\.name) == ["name", "active", "description"])
    }
}
