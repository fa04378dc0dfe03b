import ElpyfiCore
import Testing

/// The template of the entry `path` matches, nil for none.
private func template(_ path: String) -> String? { EndpointMatch(path: path[...])?.endpoint.template }

@Suite struct EndpointRoutingTests {
    @Test func everyPathOfTheTableIsRouted() {
        #expect(template("/health") == "/health")
        #expect(template("/positions") == "/positions")
        #expect(template("/signals/recent") == "/signals/recent")
        #expect(template("/signals/proposed") == "/signals/proposed")
        #expect(template("/metrics/mean_reversion") == "/metrics/{strategy}")
        #expect(template("/metrics/mean_reversion/history") == "/metrics/{strategy}/history")
        #expect(template("/pdt/status") == "/pdt/status")
        #expect(template("/strategies") == "/strategies")
    }

    @Test func everyTemplateRoutesToItsOwnEntry() {
        for (index, endpoint) in EndpointTable.all.enumerated() {
            let path = endpoint.template.split(separator: "/").map { $0.hasPrefix("{") ? "x" : String($0) }.joined(separator: "/")
            #expect(EndpointMatch(path: "/" + path)?.index == index, "\(endpoint.template)")
        }
    }

    @Test(arguments: ["/positions/", "//positions", "/Positions", "/POSITIONS", "positions", "/positions/x",
                      "/health/", "/signals", "/signals/", "/signals/recent/", "/signals//recent", "/metrics", "/metrics/",
                      "/metrics/a/b", "/metrics/a/", "/metrics//a", "/metrics//history", "/metrics/a/history/",
                      "/metrics/a/History", "/metrics/a/history/x", "/pdt", "/pdt/status/", "/strategies/", "/", "",
                      "/openapi.yaml", "/stream/health", "/ws", "/%70ositions", "/positions%2F", "/positions;x", "*"])
    func pathsOutsideTheTableAreNotRouted(path: String) {
        #expect(EndpointMatch(path: path[...]) == nil)
    }

    @Test func pathParametersKeepTheRawUndecodedSegment() throws {
        let dots = try #require(EndpointMatch(path: "/metrics/.."))
        #expect(try dots.bind(QueryParameters("")) == ["..", nil])
        let encoded = try #require(EndpointMatch(path: "/metrics/mean%5Frev/history"))
        #expect(rejectedParameter(thrownError { () throws(APIError) in try encoded.bind(QueryParameters("")) }) == "strategy")
    }

    @Test func onlyHealthNeedsNoKey() {
        #expect(EndpointTable.all.filter { !$0.requiresAPIKey }.map(\.template) == ["/health"])
    }
}

@Suite struct APIRequestTests {
    @Test func pathStopsAtTheQuery() {
        let request = APIRequest(method: "GET", uri: "/health?x")
        #expect(request.path == "/health")
        #expect(request.query == "x")
        #expect(EndpointMatch(path: request.path)?.endpoint.template == "/health")
    }

    @Test func queryStartsAfterTheFirstQuestionMark() {
        let request = APIRequest(method: "GET", uri: "/signals/recent?limit=5&next=?a")
        #expect(request.path == "/signals/recent")
        #expect(request.query == "limit=5&next=?a")
    }

    @Test func uriWithoutQueryHasAnEmptyQuery() {
        let request = APIRequest(method: "GET", uri: "/positions")
        #expect(request.path == "/positions")
        #expect(request.query == "")
    }

    @Test func bareQuestionMarkLeavesThePathIntact() {
        let request = APIRequest(method: "GET", uri: "/positions?")
        #expect(request.path == "/positions")
        #expect(request.query == "")
    }

    @Test func pathIsNotPercentDecoded() {
        #expect(APIRequest(method: "GET", uri: "/metrics/a%3Fb?x=1").path == "/metrics/a%3Fb")
    }

    @Test func multiByteCharactersBeforeTheQuestionMarkKeepPathAndQueryWhole() {
        // The mark is found as a byte offset; it must map back onto the same place in the string.
        let request = APIRequest(method: "GET", uri: "/metrics/café€?strategy=é")
        #expect(request.path == "/metrics/café€")
        #expect(request.query == "strategy=é")
        let long = APIRequest(method: "GET", uri: "/" + String(repeating: "ü", count: 40) + "?a=1")
        #expect(long.path == "/" + String(repeating: "ü", count: 40))
        #expect(long.query == "a=1")
    }
}

@Suite struct EndpointTableExportTests {
    @Test func everyExportedStringNeedsNoJSONEscape() {
        let plain = { (text: String) in text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } }
        for endpoint in EndpointTable.all {
            #expect(plain(endpoint.template))
            #expect(endpoint.parameters.allSatisfy { plain($0.name) })
            #expect(endpoint.query.columns.allSatisfy { plain($0.name) })
        }
    }

    @Test func jsonListsPathKeyParametersAndFieldsOfEachEntry() {
        #expect(EndpointTable.json.hasPrefix(#"[{"path":"/health","api_key":false,"parameters":[],"fields":[],"#
            + #""statement":"elpyfi_health","sql":"SELECT 1"},"#
            + #"{"path":"/positions","api_key":true,"parameters":[{"name":"strategy","in":"query"},{"name":"symbol","in":"query"}],"#
            + #""fields":["symbol","quantity","entry_price","current_price","unrealized_pl","strategy"],"#
            + #""statement":"elpyfi_positions","sql":"SELECT symbol, quantity, entry_price, current_price, unrealized_pl, strategy\nFROM positions\n"#))
        #expect(EndpointTable.json.contains(#"{"path":"/metrics/{strategy}/history","api_key":true,"parameters":[{"name":"strategy","in":"path"},{"name":"from","in":"query"},{"name":"to","in":"query"}],"fields":["date","total_trades","win_rate","profit_loss","sharpe_ratio","max_drawdown"],"statement":"elpyfi_metrics_history","sql":"WITH span"#))
    }

    @Test func nginxMapIsOneRegexOfEveryEntryWithParametersAsOneSegment() {
        let lines = EndpointTable.nginxRouteMap.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix(#"    "~^/(health|positions|signals/recent|"#))
        #expect(lines[0].contains(#"|metrics/[^/]+|metrics/[^/]+/history|"#))
        #expect(lines[0].hasSuffix(#") " k;"#))
        #expect(lines[0].split(separator: "|").count == EndpointTable.all.count)
    }
}
