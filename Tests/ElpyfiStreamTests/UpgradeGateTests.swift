import ElpyfiCore
import ElpyfiStream
import Testing

@Suite struct UpgradeGateTests {
    private let gate = UpgradeGate(policy: AccessPolicy(verifier: APIKeyVerifier(keys: ["k1", "k2"], hashes: [])))

    private func decide(_ uri: String, method: String = "GET", key: [String] = ["k1"], upgrade: Bool = true, listening: Bool = true) -> StreamOutcome {
        gate.decide(StreamRequest(method: method, uri: uri, apiKeyHeaders: key, isUpgrade: upgrade), isListening: listening, retryAfterSeconds: 2)
    }

    @Test func streamPathsUpgradeWithTheirFilter() {
        #expect(decide("/ws") == .upgrade(Subscription(filter: StreamFilter(kind: .all))))
        #expect(decide("/ws/signals?strategy=momentum") == .upgrade(Subscription(filter: StreamFilter(kind: .signals, strategy: "momentum"))))
        #expect(decide("/ws/trades?since=007&epoch=abc&other=1") ==
                .upgrade(Subscription(filter: StreamFilter(kind: .trades), resume: .init(since: 7, epoch: "abc"))))
    }

    @Test func unknownPathsAre404AndOtherMethods405() {
        #expect(decide("/ws/") == .refuse(.api(.notFound)))
        #expect(decide("/wss") == .refuse(.api(.notFound)))
        #expect(decide("/ws", method: "POST", key: []) == .refuse(.api(.methodNotAllowed)))
        #expect(decide("/stream/health", method: "DELETE") == .refuse(.api(.methodNotAllowed)))
    }

    @Test func healthNeedsNoKeyAndAnswersWhileListenIsDown() {
        #expect(decide("/stream/health", key: [], upgrade: false, listening: false) == .health)
        #expect(decide("/stream/health?x=1", method: "HEAD", key: [], upgrade: false) == .health)
    }

    @Test func missingKeyIs401AndWrongKeyIs403BeforeParameters() {
        #expect(decide("/ws?since=x", key: []) == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws", key: ["   "]) == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws?since=x", key: ["nope"]) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws", key: ["K1"]) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws", key: ["k1", "k2"]) == .refuse(.api(.invalidAPIKey)))
    }

    @Test func keyMayComeFromTheApiKeyQueryParameter() {
        #expect(decide("/ws?api_key=k2", key: []) == .upgrade(Subscription(filter: StreamFilter(kind: .all))))
        #expect(decide("/ws?api_key=bad", key: []) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws?api_key=", key: []) == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws?api_key=k1&api_key=k1", key: []) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws?api_key=%ZZ", key: []) == .refuse(.api(.invalidAPIKey)))
    }

    @Test func badParametersAre400NamingTheParameter() {
        func name(_ uri: String) -> String? {
            if case .refuse(.api(.invalidParameter(let name, _))) = decide(uri) { return name }
            return nil
        }
        #expect(name("/ws?strategy=a%20b") == "strategy")
        #expect(name("/ws?strategy=" + String(repeating: "a", count: 65)) == "strategy")
        #expect(name("/ws?strategy=") == "strategy")
        #expect(name("/ws?strategy=a&strategy=b") == "strategy")
        #expect(name("/ws?since=5") == "epoch")
        #expect(name("/ws?epoch=abc") == "since")
        #expect(name("/ws?since=-1&epoch=abc") == "since")
        #expect(name("/ws?since=1e3&epoch=abc") == "since")
        #expect(name("/ws?since=%ZZ&epoch=abc") == "since")
        #expect(name("/ws?since=+1&epoch=abc") == "since")
        #expect(name("/ws?since=&epoch=abc") == "since")
        #expect(name("/ws?since=1&epoch=") == "epoch")
        #expect(name("/ws?since=1&since=2&epoch=abc") == "since")
        #expect(name("/ws?since=1&epoch=abc&epoch=abc") == "epoch")
        #expect(name("/ws?epoch=%ZZ") == "since")
    }

    @Test func hugeSinceAndMalformedEpochUpgradeToGetAGapNotA400() {
        func resume(_ uri: String) -> Subscription.ResumePoint? {
            if case .upgrade(let subscription) = decide(uri) { return subscription.resume }
            return nil
        }
        // Beyond any current seq: the registry answers stream.gap.
        #expect(resume("/ws?since=99999999999999999999&epoch=abc") == .init(since: .max, epoch: "abc"))
        #expect(resume("/ws?since=9223372036854775808&epoch=abc") == .init(since: .max, epoch: "abc"))
        #expect(resume("/ws?since=9223372036854775807&epoch=abc") == .init(since: .max, epoch: "abc"))
        // Not an epoch id of this run (never is): the registry answers stream.gap.
        #expect(resume("/ws?since=1&epoch=a%20b") == .init(since: 1, epoch: "a b"))
        #expect(resume("/ws?since=1&epoch=" + String(repeating: "e", count: 100)) == .init(since: 1, epoch: String(repeating: "e", count: 100)))
        #expect(resume("/ws?since=1&epoch=%ZZ") == .init(since: 1, epoch: ""))
    }

    @Test func listenDownIs503WithRetryAfterAfterAuthAndParameters() {
        #expect(decide("/ws", key: [], listening: false) == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws?since=1", listening: false) == .refuse(.api(.invalidParameter(name: "epoch", reason: "is required with since"))))
        let refusal = decide("/ws", listening: false)
        #expect(refusal == .refuse(.streamUnavailable(retryAfterSeconds: 2)))
        if case .refuse(let error) = refusal {
            #expect(error.response.status == 503)
            #expect(error.response.header("Retry-After") == "2")
            #expect(String(decoding: error.response.body, as: UTF8.self) ==
                    #"{"error":{"code":"stream_unavailable","message":"the event stream is reconnecting to the database; retry shortly"}}"#)
        }
    }

    @Test func plainGetOnAStreamPathIs426() {
        #expect(decide("/ws", upgrade: false) == .refuse(.upgradeRequired))
    }

    @Test func developmentModeLetsEveryoneIn() {
        let open = UpgradeGate(policy: AccessPolicy(verifier: APIKeyVerifier(keys: [], hashes: [])))
        #expect(open.decide(StreamRequest(method: "GET", uri: "/ws", isUpgrade: true), isListening: true, retryAfterSeconds: 1)
                == .upgrade(Subscription(filter: StreamFilter(kind: .all))))
    }
}

@Suite struct StreamHealthTests {
    @Test func healthReportsCountersAndGoes503WhileNotListening() {
        let stats = StreamStats(loopCount: 1)
        let sequencer = EventSequencer()
        sequencer.stop(retryAfterMilliseconds: 2500)
        let down = StreamHealth.response(stats, sequencer, ifNoneMatch: nil)
        #expect(down.status == 503)
        #expect(down.header("Retry-After") == "3")
        #expect(String(decoding: down.body, as: UTF8.self) ==
                #"{"status":"unhealthy","listening":false,"clients":0,"last_event_at":null,"dropped_payloads":0,"slow_consumers_closed":0,"epoch":null,"seq":0}"#)
        sequencer.start(epoch: EpochID(text: "1-00000000000000e1"))
        stats.loops[0].count(1, .trades, .webSocket)
        stats.droppedPayloads.add(1, ordering: .relaxed)
        stats.loops[0].slowConsumersClosed.add(5, ordering: .relaxed)
        stats.lastEventUnixMilliseconds.store(at(1).unixMilliseconds, ordering: .relaxed)
        let up = StreamHealth.response(stats, sequencer, ifNoneMatch: nil)
        #expect(up.status == 200)
        #expect(String(decoding: up.body, as: UTF8.self) ==
                #"{"status":"healthy","listening":true,"clients":1,"last_event_at":"2024-01-15T10:31:01Z","dropped_payloads":1,"slow_consumers_closed":5,"epoch":"1-00000000000000e1","seq":0}"#)
        let cached = StreamHealth.response(stats, sequencer, ifNoneMatch: up.header("ETag"))
        #expect(cached.status == 304 && cached.body.isEmpty)
    }
}

@Suite struct PublicStreamGateTests {
    private let gate = UpgradeGate(policy: AccessPolicy(verifier: APIKeyVerifier(keys: ["k1"], hashes: []),
                                                        publicPaths: try! PublicPaths(entries: ["/ws/trades"])))

    private func decide(_ uri: String, key: [String] = []) -> StreamOutcome {
        gate.decide(StreamRequest(method: "GET", uri: uri, apiKeyHeaders: key, isUpgrade: true), isListening: true, retryAfterSeconds: 2)
    }

    @Test func aListedStreamUpgradesWithoutAKey() {
        #expect(decide("/ws/trades") == .upgrade(Subscription(filter: StreamFilter(kind: .trades))))
        #expect(decide("/ws/trades?api_key=") == .upgrade(Subscription(filter: StreamFilter(kind: .trades))))
        #expect(decide("/ws/trades?api_key=%20") == .upgrade(Subscription(filter: StreamFilter(kind: .trades))))
        #expect(decide("/ws/trades", key: [" "]) == .upgrade(Subscription(filter: StreamFilter(kind: .trades))))
    }

    @Test func aWrongKeyOnAListedStreamIsStill403() {
        #expect(decide("/ws/trades?api_key=bad") == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws/trades", key: ["bad"]) == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws/trades?api_key=a&api_key=b") == .refuse(.api(.invalidAPIKey)))
        #expect(decide("/ws/trades?api_key=%ZZ") == .refuse(.api(.invalidAPIKey)))
    }

    @Test func otherStreamsStillNeedAKeyWhateverTheQuery() {
        #expect(decide("/ws") == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws/signals?stream=trades") == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws?path=/ws/trades") == .refuse(.api(.missingAPIKey)))
        #expect(decide("/ws/trades/") == .refuse(.api(.notFound)))
    }

    @Test func anonymousStreamsStillValidateTheirParameters() {
        if case .refuse(.api(.invalidParameter(let name, _))) = decide("/ws/trades?strategy=a%20b") {
            #expect(name == "strategy")
        } else {
            Issue.record("not a 400")
        }
    }
}
