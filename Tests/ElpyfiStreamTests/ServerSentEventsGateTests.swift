import ElpyfiCore
import ElpyfiStream
import Testing

/// `/sse*`: the same gate as `/ws*` (key, parameters, LISTEN), a plain GET instead of an upgrade, and
/// `Last-Event-ID` as the resume point that wins over the query.
@Suite struct ServerSentEventsGateTests {
    private let gate = UpgradeGate(policy: AccessPolicy(verifier: APIKeyVerifier(keys: ["k1"], hashes: []),
                                                        publicPaths: try! PublicPaths(entries: ["/sse/trades"])))

    private func decide(_ uri: String, method: String = "GET", key: [String] = ["k1"], upgrade: Bool = false,
                        lastEventID: [String] = [], listening: Bool = true) -> StreamOutcome {
        gate.decide(StreamRequest(method: method, uri: uri, apiKeyHeaders: key, isUpgrade: upgrade, lastEventIDHeaders: lastEventID),
                    isListening: listening, retryAfterSeconds: 2)
    }

    private func sse(_ kind: StreamKind, strategy: String? = nil, resume: Subscription.ResumePoint? = nil) -> StreamOutcome {
        .upgrade(Subscription(filter: StreamFilter(kind: kind, strategy: strategy), resume: resume, framing: .serverSentEvents))
    }

    private func rejectedParameter(_ outcome: StreamOutcome) -> String? {
        guard case .refuse(.api(.invalidParameter(let name, _))) = outcome else { return nil }
        return name
    }

    @Test func ssePathsServeTheSameStreamsAsAPlainGet() {
        #expect(decide("/sse") == sse(.all))
        #expect(decide("/sse/signals?strategy=momentum") == sse(.signals, strategy: "momentum"))
        #expect(decide("/sse/trades?since=4&epoch=e") == sse(.trades, resume: .init(since: 4, epoch: "e")))
        #expect(decide("/sse/") == .refuse(.api(.notFound)))
        #expect(decide("/ssex") == .refuse(.api(.notFound)))
        #expect(decide("/sse", method: "HEAD") == .refuse(.api(.methodNotAllowed)))
        #expect(decide("/sse", listening: false) == .refuse(.streamUnavailable(retryAfterSeconds: 2)))
    }

    @Test func sseAuthIsTheWebSocketsAndItsPublicPathsAreItsOwn() {
        #expect(decide("/sse", key: []) == .refuse(.api(.missingAPIKey)))
        #expect(decide("/sse?api_key=bad", key: []) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/sse/trades", key: []) == sse(.trades))
        #expect(decide("/ws/trades", key: [], upgrade: true) == .refuse(.api(.missingAPIKey)))
    }

    @Test func lastEventIDResumesAndWinsOverTheQuery() {
        #expect(decide("/sse", lastEventID: ["1-00000000000000e1:12"]) == sse(.all, resume: .init(since: 12, epoch: "1-00000000000000e1")))
        #expect(decide("/sse?since=3&epoch=x", lastEventID: ["1-00000000000000e1:12"])
                == sse(.all, resume: .init(since: 12, epoch: "1-00000000000000e1")))
        #expect(decide("/sse", lastEventID: [" "]) == sse(.all))
    }

    @Test func aMalformedLastEventIDIs400NamingIt() {
        for value in ["garbage", "e1", "e1:", "e1:x", ":5", "e1:-1", "a:b:1"] {
            #expect(rejectedParameter(decide("/sse", lastEventID: [value])) == "Last-Event-ID", "\(value)")
        }
        #expect(rejectedParameter(decide("/sse", lastEventID: ["e:1", "e:2"])) == "Last-Event-ID")
    }

    @Test func aWebSocketPathIgnoresLastEventID() {
        #expect(decide("/ws", upgrade: true, lastEventID: ["garbage"]) == .upgrade(Subscription(filter: StreamFilter(kind: .all))))
    }
}
