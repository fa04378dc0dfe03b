import ElpyfiStream

/// The gate's verdict on one connection's upgrade request, carried from the upgrader's `shouldUpgrade` to whoever
/// acts on it (the WebSocket handler's subscription, or `HTTPRequestHandler`'s refusal), so that the key and
/// parameters are checked once per request. One per connection; touched only on its event loop.
final class UpgradeVerdict: @unchecked Sendable {
    private var outcome: StreamOutcome?

    /// Keeps `outcome` for the request being upgraded.
    func keep(_ outcome: StreamOutcome) { self.outcome = outcome }

    /// The kept verdict, once (a keep-alive connection's next request is decided afresh).
    func take() -> StreamOutcome? {
        defer { outcome = nil }
        return outcome
    }
}
