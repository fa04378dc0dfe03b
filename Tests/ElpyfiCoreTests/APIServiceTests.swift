import ElpyfiCore
import Testing

private let plainKey = "elpyfi_serviceTestPlainKey_abcdefghijklmnopqrstu"
private let hashedKey = "elpyfi_serviceTestHashedKey_ABCDEFGHIJKLMNOPQRS"

private let service = APIService(verifier: APIKeyVerifier(keys: [plainKey], hashes: [APIKeyVerifier.sha256(hashedKey)]))
private let devService = APIService(verifier: APIKeyVerifier(keys: [], hashes: []))

private let healthy = #"{"status":"healthy","service":"elpyfi-api","database":"up"}"#
private let unhealthy = #"{"status":"unhealthy","service":"elpyfi-api","database":"down"}"#

private func get(_ uri: String, key: String? = plainKey, ifNoneMatch: String? = nil, method: String = "GET",
                 database: FakeDatabase = FakeDatabase(), service: APIService = service) -> APIResponse {
    service.respond(to: APIRequest(method: method, uri: uri, apiKey: key, ifNoneMatch: ifNoneMatch), database: database)
}

private func expectError(_ response: APIResponse, _ error: APIError) {
    #expect(response.status == error.status)
    #expect(text(response.body) == text(ErrorBody.json(error)))
    #expect(response.contentType == "application/json")
}

private let signalRow: [String?] = ["7", "mean_rev", "AAPL", "buy", "0.85", "2024-01-15 10:31:00", nil]
private let positionRow: [String?] = ["AAPL", "100", "150.25", "151.00", "75.00", "mean_rev"]
private let signalBody = #"[{"id":7,"strategy":"mean_rev","symbol":"AAPL","action":"buy","confidence":0.85,"timestamp":"2024-01-15T10:31:00Z","metadata":{}}]"#

@Suite struct OrderOfChecksTests {
    @Test func unknownPathIs404BeforeTheMethodIsLookedAt() {
        let database = FakeDatabase()
        for method in ["GET", "POST", "DELETE", "OPTIONS"] {
            expectError(get("/nope", key: nil, method: method, database: database), .notFound)
        }
        expectError(get("/positions/", database: database), .notFound)
        expectError(get("/metrics/a/b", database: database), .notFound)
        #expect(database.calls.isEmpty)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", "head"])
    func otherMethodOnAKnownPathIs405WithAllow(method: String) {
        let database = FakeDatabase(rows: [signalRow])
        let response = get("/signals/recent", method: method, database: database)
        expectError(response, .methodNotAllowed)
        #expect(response.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(database.calls.isEmpty)
    }

    @Test func methodIsCheckedBeforeTheKey() {
        let database = FakeDatabase()
        expectError(get("/positions", key: nil, method: "POST", database: database), .methodNotAllowed)
        expectError(get("/positions", key: "wrong", method: "POST", database: database), .methodNotAllowed)
        expectError(get("/health", key: nil, method: "POST", database: database), .methodNotAllowed)
        #expect(database.calls.isEmpty)
    }

    @Test func methodIsCheckedBeforeParameters() {
        expectError(get("/signals/recent?limit=abc", method: "POST"), .methodNotAllowed)
        expectError(get("/metrics/..%2F", method: "PUT"), .methodNotAllowed)
    }

    @Test(arguments: [nil, "", "   "] as [String?])
    func missingKeyIs401BeforeABadParameter(key: String?) {
        let database = FakeDatabase()
        expectError(get("/signals/recent?limit=abc", key: key, database: database), .missingAPIKey)
        expectError(get("/metrics/..%2F", key: key, database: database), .missingAPIKey)
        #expect(database.calls.isEmpty)
    }

    @Test func invalidKeyIs403BeforeABadParameter() {
        let database = FakeDatabase()
        expectError(get("/signals/recent?limit=abc", key: "wrong", database: database), .invalidAPIKey)
        expectError(get("/signals/recent?limit=0", key: plainKey.uppercased(), database: database), .invalidAPIKey)
        expectError(get("/metrics/..%2F", key: String(repeating: "j", count: 10_240), database: database), .invalidAPIKey)
        #expect(database.calls.isEmpty)
    }

    @Test func badParameterIsRefusedBeforeTheDatabaseIsTouched() {
        let database = FakeDatabase(rows: [signalRow])
        let response = get("/signals/recent?limit=0", database: database)
        #expect(response.status == 400)
        #expect(text(response.body)
            == #"{"error":{"code":"invalid_parameter","message":"invalid parameter 'limit': must be a whole number from 1 to 1000"}}"#)
        #expect(database.calls.isEmpty)
    }

    @Test(arguments: [("/signals/recent?limit=abc", "limit"), ("/signals/recent?limit=100000", "limit"),
                      ("/signals/proposed?before_id=0", "before_id"), ("/signals/recent?action=short", "action"),
                      ("/positions?strategy=" + String(repeating: "s", count: 65), "strategy"),
                      ("/positions?symbol=AA%20PL", "symbol"), ("/metrics/..%2F", "strategy"),
                      ("/metrics/mean_rev?date=2023-02-29", "date"), ("/signals/recent?limit=5&limit=5", "limit"),
                      ("/signals/recent?limit=", "limit")])
    func badParameterAnswers400NamingItWithoutQuerying(uri: String, parameter: String) {
        let database = FakeDatabase()
        let response = get(uri, database: database)
        #expect(response.status == 400)
        #expect(text(response.body).contains(#""code":"invalid_parameter""#))
        #expect(text(response.body).contains("invalid parameter '\(parameter)'"))
        #expect(response.header("ETag") == nil)
        #expect(database.calls.isEmpty)
    }

    @Test func databaseFailureIs503WithRetryAfter() {
        let database = FakeDatabase.down()
        let response = get("/positions", database: database)
        expectError(response, .databaseUnavailable)
        #expect(response.header("Retry-After").flatMap { DecimalDigits.parse($0) }.map { $0 >= 1 } == true)
        #expect(response.header("ETag") == nil)
        #expect(database.calls.count == 1)
    }

    @Test func databaseIsCheckedLast() {
        let database = FakeDatabase.down()
        expectError(get("/signals/recent?limit=0", database: database), .invalidParameter(
            name: "limit", reason: "must be a whole number from 1 to 1000"))
        expectError(get("/positions", key: nil, database: database), .missingAPIKey)
        #expect(database.calls.isEmpty)
    }
}

@Suite struct APIServiceTests {
    @Test func recentSignalsRunsItsQueryWithTheBoundParameters() {
        let database = FakeDatabase(rows: [signalRow])
        let response = get("/signals/recent?strategy=mean_rev&symbol=AAPL&action=buy&limit=05&before_id=99", database: database)
        #expect(response.status == 200)
        #expect(text(response.body) == signalBody)
        #expect(database.calls == [FakeDatabase.Call(query: "elpyfi_signals_recent", parameters: ["mean_rev", "AAPL", "buy", "5", "99"])])
    }

    @Test func everyRouteRunsItsOwnStatementOnce() {
        let cases: [(String, String, [String?])] = [
            ("/positions", "elpyfi_positions", [nil, nil]),
            ("/signals/recent", "elpyfi_signals_recent", [nil, nil, nil, "50", nil]),
            ("/signals/proposed?limit=3", "elpyfi_signals_proposed", [nil, nil, nil, "3", nil]),
            ("/metrics/mean_rev?date=2024-02-29", "elpyfi_metrics", ["mean_rev", "2024-02-29"]),
            ("/pdt/status", "elpyfi_pdt_status", []),
            ("/strategies", "elpyfi_strategies", []),
            ("/health", "elpyfi_health", []),
            ("/metrics/mean_rev/history?to=2024-02-29", "elpyfi_metrics_history", ["mean_rev", nil, "2024-02-29"]),
        ]
        for (uri, query, parameters) in cases {
            // A history query always returns a row: its range check (here: no day in range).
            let database = FakeDatabase(rows: query == "elpyfi_metrics_history" ? [[nil, nil, nil, nil, nil, nil, "t"]] : [])
            #expect(get(uri, database: database).status == 200)
            #expect(database.calls == [FakeDatabase.Call(query: query, parameters: parameters)], "\(uri)")
        }
    }

    @Test func keyConfiguredByHashIsAccepted() {
        #expect(get("/strategies", key: hashedKey).status == 200)
    }

    @Test func apiKeyQueryParameterIsIgnoredByREST() {
        let database = FakeDatabase()
        expectError(get("/positions?api_key=\(plainKey)", key: nil, database: database), .missingAPIKey)
        expectError(get("/positions?api_key=\(plainKey)", key: "wrong", database: database), .invalidAPIKey)
        #expect(database.calls.isEmpty)
    }

    @Test func okCarriesAStrongETagOfItsBodyAndNoCache() {
        let response = get("/signals/recent", database: FakeDatabase(rows: [signalRow]))
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        #expect(response.header("ETag") == ETag.of(Array(signalBody.utf8)))
        #expect(response.header("ETag")?.hasPrefix("W/") == false)
        #expect(response.header("Cache-Control") == "no-cache")
    }

    @Test func emptyResultsAreAnEmptyArrayOrObject() {
        #expect(text(get("/positions").body) == "[]")
        #expect(text(get("/metrics/mean_rev").body) == "{}")
    }

    @Test func matchingIfNoneMatchIs304WithNoBodyAndTheETag() {
        let etag = ETag.of(Array(signalBody.utf8))
        for header in [etag, "*", "\"0123456789abcdef\", \(etag)", "W/\(etag)"] {
            let response = get("/signals/recent", ifNoneMatch: header, database: FakeDatabase(rows: [signalRow]))
            #expect(response.status == 304, "\(header)")
            #expect(response.body.isEmpty)
            #expect(response.header("ETag") == etag)
            #expect(response.header("Cache-Control") == "no-cache")
        }
    }

    @Test func staleIfNoneMatchGetsTheFullBody() {
        let response = get("/signals/recent", ifNoneMatch: "\"0123456789abcdef\"", database: FakeDatabase(rows: [signalRow]))
        #expect(response.status == 200)
        #expect(text(response.body) == signalBody)
    }

    @Test func ifNoneMatchNeverTurnsAnErrorInto304() {
        let database = FakeDatabase.down()
        #expect(get("/positions", ifNoneMatch: "*", database: database).status == 503)
        #expect(get("/positions", key: nil, ifNoneMatch: "*").status == 401)
        #expect(get("/nope", ifNoneMatch: "*").status == 404)
    }

    /// RFC 9110 §9.3.2: HEAD answers with GET's status and headers, plus the length the body would have had.
    @Test func headHasTheSameStatusAndHeadersAsGetButNoBody() {
        for uri in ["/signals/recent", "/health", "/nope", "/signals/recent?limit=0", "/positions?x=1"] {
            let row = uri.hasPrefix("/positions") ? positionRow : signalRow
            let getResponse = get(uri, database: FakeDatabase(rows: [row]))
            let headResponse = get(uri, method: "HEAD", database: FakeDatabase(rows: [row]))
            #expect(!getResponse.body.isEmpty)
            #expect(headResponse.body.isEmpty, "\(uri)")
            #expect(headResponse.status == getResponse.status, "\(uri)")
            #expect(headResponse.contentType == getResponse.contentType)
            let expected = getResponse.headers + [("Content-Length", String(getResponse.body.count))]
            #expect(headResponse.headers.map { "\($0.0): \($0.1)" } == expected.map { "\($0.0): \($0.1)" }, "\(uri)")
        }
        let unauthorised = get("/positions", key: nil, method: "HEAD")
        #expect(unauthorised.status == 401)
        #expect(unauthorised.body.isEmpty)
        #expect(unauthorised.header("Content-Length") == String(ErrorBody.json(.missingAPIKey).count))
    }

    @Test func headWithAMatchingETagIs304WithoutALength() {
        let etag = ETag.of(Array(signalBody.utf8))
        let response = get("/signals/recent", ifNoneMatch: etag, method: "HEAD", database: FakeDatabase(rows: [signalRow]))
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
        #expect(response.header("ETag") == etag)
        #expect(response.header("Content-Length") == nil)
    }

    @Test func getNeverCarriesAContentLengthHeaderOfItsOwn() {
        // The transport writes Content-Length from the body for GET; a second one would be a protocol error.
        #expect(get("/signals/recent", database: FakeDatabase(rows: [signalRow])).header("Content-Length") == nil)
        #expect(get("/nope").header("Content-Length") == nil)
    }

    @Test func developmentModeLetsEveryRequestThrough() {
        #expect(get("/positions", key: nil, service: devService).status == 200)
        #expect(get("/positions", key: "", service: devService).status == 200)
        #expect(get("/positions", key: "anything", service: devService).status == 200)
        // Dev mode skips auth only: parameters and methods are still checked.
        #expect(get("/signals/recent?limit=0", key: nil, service: devService).status == 400)
        #expect(get("/positions", key: nil, method: "POST", service: devService).status == 405)
    }

    @Test func queryStringIsNotPartOfThePath() {
        #expect(get("/health?x", key: nil).status == 200)
        #expect(get("/positions?", database: FakeDatabase()).status == 200)
    }
}

@Suite struct HealthTests {
    @Test func healthNeedsNoKey() {
        for key in [nil, "", "wrong"] as [String?] {
            let response = get("/health", key: key)
            #expect(response.status == 200)
            #expect(text(response.body) == healthy)
        }
    }

    @Test func healthyAnswerIsExactWithETagAndNoCache() {
        let database = FakeDatabase(rows: [["1"]])
        let response = get("/health", key: nil, database: database)
        #expect(response.status == 200)
        #expect(text(response.body) == healthy)
        #expect(response.contentType == "application/json")
        #expect(response.header("ETag") == ETag.of(Array(healthy.utf8)))
        #expect(response.header("Cache-Control") == "no-cache")
        #expect(database.calls == [FakeDatabase.Call(query: "elpyfi_health", parameters: [])])
    }

    @Test func unhealthyAnswerIs503WithRetryAfter() {
        let response = get("/health", key: nil, database: FakeDatabase.down())
        #expect(response.status == 503)
        #expect(text(response.body) == unhealthy)
        #expect(response.contentType == "application/json")
        #expect(response.header("Retry-After").flatMap { DecimalDigits.parse($0) }.map { $0 >= 1 } == true)
        #expect(response.header("ETag") == nil)
    }

    @Test func healthIgnoresQueryParameters() {
        #expect(get("/health?limit=abc&strategy=%ZZ", key: nil).status == 200)
    }

    @Test func healthHonoursIfNoneMatch() {
        let response = get("/health", key: nil, ifNoneMatch: ETag.of(Array(healthy.utf8)))
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
    }
}

@Suite struct MetricsHistoryTests {
    /// A history query always returns its range check; here every day matched none.
    private let noDays: [[String?]] = [[nil, nil, nil, nil, nil, nil, "t"]]

    @Test func spanGivenByBothEndsIsCheckedBeforeTheDatabase() {
        let database = FakeDatabase(rows: noDays)
        let after = get("/metrics/m/history?from=2024-02-01&to=2024-01-31", database: database)
        #expect(after.status == 400)
        #expect(text(after.body).contains(#""code":"invalid_parameter""#) && text(after.body).contains("'from'"))
        #expect(get("/metrics/m/history?from=2024-01-01&to=2025-01-01", database: database).status == 400)  // 367 days
        #expect(database.calls.isEmpty)
        #expect(get("/metrics/m/history?from=2024-01-01&to=2024-12-31", database: database).status == 200)  // 366 days
        #expect(get("/metrics/m/history?from=2024-01-31&to=2024-01-31", database: database).status == 200)
        #expect(database.calls.count == 2)
    }

    @Test func spanEndingTodayIsCheckedByTheDatabase() {
        let database = FakeDatabase(rows: [[nil, nil, nil, nil, nil, nil, "f"]])
        #expect(get("/metrics/m/history?from=2000-01-01", database: database).status == 400)
        #expect(database.calls == [FakeDatabase.Call(query: "elpyfi_metrics_history", parameters: ["m", "2000-01-01", nil])])
    }

    @Test func badDateOrStrategyIsNamed() {
        #expect(text(get("/metrics/m/history?from=2024-02-30", database: FakeDatabase(rows: noDays)).body).contains("'from'"))
        #expect(text(get("/metrics/m/history?to=yesterday", database: FakeDatabase(rows: noDays)).body).contains("'to'"))
        #expect(text(get("/metrics/a%20b/history", database: FakeDatabase(rows: noDays)).body).contains("'strategy'"))
        #expect(get("/metrics/m/history?to=2024-01-01&to=2024-01-02", database: FakeDatabase(rows: noDays)).status == 400)
    }

    @Test func answersAreLabelledWithTheirTableEntry() {
        #expect(get("/metrics/m/history", database: FakeDatabase(rows: noDays)).endpointIndex
            == EndpointTable.all.firstIndex { $0.template == "/metrics/{strategy}/history" })
        #expect(get("/positions", key: nil).endpointIndex == EndpointTable.all.firstIndex { $0.template == "/positions" })
        #expect(get("/nope").endpointIndex == nil)
    }
}
