/// The whole REST pipeline for one request, with no transport and no C:
/// route → method → API key → parameters → database (docs/CONTRACT.md "Order of checks").
public struct APIService: Sendable {
    private let policy: AccessPolicy
    private let publicCacheSeconds: Int
    /// `/health`'s `X-Public-Paths` value, composed once (nil when nothing is public).
    private let publicPathsHeader: String?

    /// Answers with `policy`'s keys and public paths; anonymous answers may be cached `publicCacheSeconds`.
    public init(policy: AccessPolicy, publicCacheSeconds: Int = 1) {
        self.policy = policy
        self.publicCacheSeconds = publicCacheSeconds
        let templates = policy.publicTemplates
        publicPathsHeader = templates.isEmpty ? nil : templates.joined(separator: ",")
    }

    /// Answers with the keys of `verifier` (development mode when it has none) and no public path.
    public init(verifier: APIKeyVerifier) {
        self.init(policy: AccessPolicy(verifier: verifier))
    }

    /// The answer to `request`, reading through `database`. Never throws: every failure is an `APIError` answer.
    public func respond(to request: APIRequest, database: any Database) -> APIResponse {
        let match = EndpointMatch(path: request.path)
        var response = answer(request, match, database: database)
        response.endpointIndex = match?.index
        if request.method == "HEAD" {
            // HEAD: the GET's headers, including the length the body would have had (RFC 9110 §9.3.2).
            if response.status != 304 { response.headers.append(("Content-Length", String(response.body.count))) }
            response.body = []
        }
        return response
    }

    private func answer(_ request: APIRequest, _ match: EndpointMatch?, database: any Database) -> APIResponse {
        guard let match else { return APIResponse(error: .notFound) }
        guard request.method == "GET" || request.method == "HEAD" else { return APIResponse(error: .methodNotAllowed) }
        let endpoint = match.endpoint
        var access = AccessDecision.keyed
        if endpoint.requiresAPIKey {
            access = policy.decide(template: endpoint.template, header: request.apiKey)
            if let refusal = access.refusal { return APIResponse(error: refusal) }
        }
        if endpoint.shape == .health {
            var response = health(endpoint, database: database, ifNoneMatch: request.ifNoneMatch)
            if let publicPathsHeader { response.headers.append(("X-Public-Paths", publicPathsHeader)) }
            return response
        }
        do {
            let parameters = try match.bind(QueryParameters(request.query))
            let rows = try database.run(endpoint.query, parameters: parameters)
            var response = APIResponse.ok(body: try endpoint.body(for: rows), ifNoneMatch: request.ifNoneMatch)
            if access == .anonymous { response.makePublic(maxAgeSeconds: publicCacheSeconds) }
            return response
        } catch {
            return APIResponse(error: error)
        }
    }

    /// `/health` has its own body for both outcomes (not the error shape), so monitors read one format.
    private func health(_ endpoint: Endpoint, database: any Database, ifNoneMatch: String?) -> APIResponse {
        do {
            _ = try database.run(endpoint.query, parameters: [])
            return APIResponse.ok(body: Self.healthyBody, ifNoneMatch: ifNoneMatch)
        } catch {
            return APIResponse(status: 503, headers: [("Retry-After", "2"), ("Cache-Control", "no-store")], body: Self.unhealthyBody)
        }
    }

    static let healthyBody = Array(#"{"status":"healthy","service":"elpyfi-api","database":"up"}"#.utf8)
    static let unhealthyBody = Array(#"{"status":"unhealthy","service":"elpyfi-api","database":"down"}"#.utf8)
}
