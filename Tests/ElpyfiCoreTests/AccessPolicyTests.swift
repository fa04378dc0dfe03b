import ElpyfiCore
import Testing

private let key = "elpyfi_accessPolicyTestKey_abcdefghijklmnopqrstuv"
private let verifier = APIKeyVerifier(keys: [key], hashes: [])
private let publicPaths = try! PublicPaths(entries: ["/positions", "/metrics/*", "/ws/trades"])
private let policy = AccessPolicy(verifier: verifier, publicPaths: publicPaths)

private func get(_ uri: String, key: String? = nil, ifNoneMatch: String? = nil, method: String = "GET",
                 service: APIService) -> APIResponse {
    service.respond(to: APIRequest(method: method, uri: uri, apiKey: key, ifNoneMatch: ifNoneMatch), database: FakeDatabase())
}

@Suite struct PublicPathsTests {
    @Test func metricsWildcardMeansTheStrategyAndItsHistory() throws {
        let paths = try PublicPaths(entries: ["/metrics/*"])
        #expect(paths.templates == ["/metrics/{strategy}", "/metrics/{strategy}/history"])
    }

    @Test(arguments: ["/health", "/positions/", "positions", "/POSITIONS", "/metrics", "/metrics/momentum", "/ws/*",
                      "/*", "*", "/positions?x=1", "/stream/health", "/openapi.yaml", "/"])
    func anEntryThatIsNotAListablePathStopsStartUpNamingTheVariable(entry: String) {
        #expect(throws: ConfigError.self) { try PublicPaths(entries: ["/strategies", entry]) }
        do {
            _ = try Config(environment: ["ELPYFI_PUBLIC_PATHS": "/strategies,\(entry)"])
            Issue.record("accepted \(entry)")
        } catch {
            #expect(error.variable == "ELPYFI_PUBLIC_PATHS")
            #expect(error.description.contains("entry 2"))
        }
    }

    /// A new keyed endpoint must be added here too (a decision: may it ever be public?), and nothing else may be.
    @Test func theListablePathsAreTheKeyedEndpointsAndTheStreams() {
        let keyed = EndpointTable.all.filter(\.requiresAPIKey).map(\.template)
        #expect(Set(PublicPaths.listable) == Set(keyed).union(["/ws", "/ws/signals", "/ws/trades", "/sse", "/sse/signals", "/sse/trades"]))
    }

    @Test func configReadsThePathsAndTheTTL() throws {
        let config = try Config(environment: ["ELPYFI_PUBLIC_PATHS": " /positions , ,/ws ", "ELPYFI_PUBLIC_CACHE_TTL": "5s"])
        #expect(config.publicPaths.templates == ["/positions", "/ws"])
        #expect(config.publicCacheSeconds == 5)
        let defaults = try Config(environment: [:])
        #expect(defaults.publicPaths.isEmpty && defaults.publicCacheSeconds == 1)
        #expect(try Config(environment: ["ELPYFI_PUBLIC_CACHE_TTL": "30"]).publicCacheSeconds == 30)
        for bad in ["0", "0s", "500ms", "1m", "-1", "", "s", "3601"] {
            #expect(throws: ConfigError(variable: "ELPYFI_PUBLIC_CACHE_TTL", reason: "must be whole seconds from 1 to 3600, e.g. 1s")) {
                try Config(environment: ["ELPYFI_PUBLIC_CACHE_TTL": bad])
            }
        }
    }
}

@Suite struct AccessPolicyTests {
    @Test func noKeyOnAListedTemplateIsAnonymousAndOnAnyOtherIsMissing() {
        for header in [nil, "", "   ", "\t"] as [String?] {
            #expect(policy.decide(template: "/positions", header: header) == .anonymous)
            #expect(policy.decide(template: "/metrics/{strategy}/history", header: header) == .anonymous)
            #expect(policy.decide(template: "/strategies", header: header) == .missing)
            #expect(policy.decide(template: "/ws", header: header) == .missing)
        }
    }

    @Test func aWrongKeyIsInvalidEvenOnAPublicPathAndARightOneIsKeyed() {
        #expect(policy.decide(template: "/positions", header: "nope") == .invalid)
        #expect(policy.decide(template: "/positions", key: .unusable) == .invalid)
        #expect(policy.decide(template: "/positions", header: key) == .keyed)
        #expect(policy.decide(template: "/strategies", header: " \(key) ") == .keyed)
    }

    @Test func onlyTheTwoDenialsBecomeErrors() {
        #expect(AccessDecision.missing.refusal == .missingAPIKey)
        #expect(AccessDecision.invalid.refusal == .invalidAPIKey)
        #expect(AccessDecision.keyed.refusal == nil && AccessDecision.anonymous.refusal == nil)
    }

    @Test func developmentModeStillMarksPublicPathsAnonymous() {
        let dev = AccessPolicy(verifier: APIKeyVerifier(keys: [], hashes: []), publicPaths: publicPaths)
        #expect(dev.decide(template: "/positions", header: nil) == .anonymous)
        #expect(dev.decide(template: "/strategies", header: nil) == .keyed)
        #expect(dev.decide(template: "/strategies", key: .unusable) == .keyed)
    }
}

@Suite struct AnonymousRESTTests {
    private let service = APIService(policy: policy, publicCacheSeconds: 3)

    @Test func anonymousAnswersAreTheKeyedBodyMarkedPublic() {
        let anonymous = get("/positions", service: service)
        let keyed = get("/positions", key: key, service: service)
        #expect(anonymous.status == 200 && anonymous.body == keyed.body)
        #expect(anonymous.header("ETag") == keyed.header("ETag"))
        #expect(anonymous.header("Cache-Control") == "public, max-age=3")
        #expect(anonymous.header("X-Accel-Expires") == "3")
        #expect(keyed.header("Cache-Control") == "no-cache")
        #expect(keyed.header("X-Accel-Expires") == nil)
        let notModified = get("/positions", ifNoneMatch: keyed.header("ETag"), service: service)
        #expect(notModified.status == 304 && notModified.header("Cache-Control") == "public, max-age=3")
        #expect(notModified.header("X-Accel-Expires") == nil)
    }

    @Test func aRefusedQueryOnAPublicPathIsStill400AndNeverMarkedCacheable() {
        let refused = get("/positions?strategy=a%20b", service: service)
        #expect(refused.status == 400 && refused.header("X-Accel-Expires") == nil)
        #expect(refused.header("Cache-Control") != "public, max-age=3")
        #expect(get("/metrics/bad%2Fname", service: service).status == 400)
    }

    /// Nothing a client sends besides X-API-Key reaches the decision: other headers are not even in `APIRequest`,
    /// and no spelling of a private path, no query parameter, matches a public template.
    @Test(arguments: ["/strategies", "/strategies?public=1", "/strategies?api_key=", "/strategies?api_key=\(key)",
                      "/strategies?template=/positions", "/signals/recent?x=/positions", "/pdt/status#/positions",
                      "/positions/../strategies", "/%70ositions", "/positions/", "//positions", "/signals/proposed;/positions"])
    func noParameterOrPathSpellingMakesAPrivatePathAnonymous(uri: String) {
        let response = get(uri, service: service)
        #expect(response.status == 401 || response.status == 404, "\(uri) answered \(response.status)")
        #expect(response.header("Cache-Control") != "public, max-age=3")
    }

    @Test func healthIsOpenNeverMarkedPublicAndNamesThePublicTemplates() {
        let health = get("/health", service: service)
        #expect(health.status == 200 && health.header("Cache-Control") == "no-cache")
        #expect(health.header("X-Public-Paths") == "/metrics/{strategy},/metrics/{strategy}/history,/positions,/ws/trades")
        #expect(get("/health", service: APIService(verifier: verifier)).header("X-Public-Paths") == nil)
    }
}
