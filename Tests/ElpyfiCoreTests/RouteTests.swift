import ElpyfiCore
import Testing

@Suite struct RouteTests {
    @Test func everyPathOfTheTableIsRouted() {
        #expect(Route(path: "/health") == .health)
        #expect(Route(path: "/positions") == .positions)
        #expect(Route(path: "/signals/recent") == .recentSignals)
        #expect(Route(path: "/signals/proposed") == .proposedSignals)
        #expect(Route(path: "/metrics/mean_reversion") == .metrics(strategySegment: "mean_reversion"))
        #expect(Route(path: "/pdt/status") == .pdtStatus)
        #expect(Route(path: "/strategies") == .strategies)
    }

    @Test(arguments: ["/positions/", "//positions", "/Positions", "/POSITIONS", "positions", "/positions/x",
                      "/health/", "/signals", "/signals/", "/signals/recent/", "/signals//recent", "/metrics", "/metrics/",
                      "/metrics/a/b", "/metrics/a/", "/metrics//a", "/pdt", "/pdt/status/", "/strategies/", "/", "",
                      "/openapi.yaml", "/stream/health", "/ws", "/%70ositions", "/positions%2F", "/positions;x", "*"])
    func pathsOutsideTheTableAreNotRouted(path: String) {
        #expect(Route(path: path[...]) == nil)
    }

    @Test func metricsKeepsTheRawUndecodedSegment() {
        #expect(Route(path: "/metrics/..%2F") == .metrics(strategySegment: "..%2F"))
        #expect(Route(path: "/metrics/mean%5Frev") == .metrics(strategySegment: "mean%5Frev"))
        #expect(Route(path: "/metrics/..") == .metrics(strategySegment: ".."))
    }

    @Test func onlyHealthNeedsNoKey() {
        #expect(!Route.health.requiresAPIKey)
        for route: Route in [.positions, .recentSignals, .proposedSignals, .metrics(strategySegment: "x"), .pdtStatus, .strategies] {
            #expect(route.requiresAPIKey)
        }
    }
}

@Suite struct APIRequestTests {
    @Test func pathStopsAtTheQuery() {
        let request = APIRequest(method: "GET", uri: "/health?x")
        #expect(request.path == "/health")
        #expect(request.query == "x")
        #expect(Route(path: request.path) == .health)
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
}
