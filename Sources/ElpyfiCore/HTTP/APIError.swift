/// Every way a request can fail, each knowing its HTTP status and public text.
///
/// The one place failures become HTTP: `ErrorBody` turns these into the
/// contract's JSON. Details that could leak (SQL, libpq messages) never get
/// here; callers log them and throw the generic case.
public enum APIError: Error, Equatable, Sendable {
    case notFound
    case methodNotAllowed
    case missingAPIKey
    case invalidAPIKey
    /// A query or path parameter failed its syntax; `name` is shown to the client.
    case invalidParameter(name: String, reason: String)
    case databaseUnavailable

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .notFound: 404
        case .methodNotAllowed: 405
        case .missingAPIKey: 401
        case .invalidAPIKey: 403
        case .invalidParameter: 400
        case .databaseUnavailable: 503
        }
    }

    /// The contract's machine-readable `error.code`.
    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .missingAPIKey: "missing_api_key"
        case .invalidAPIKey: "invalid_api_key"
        case .invalidParameter: "invalid_parameter"
        case .databaseUnavailable: "database_unavailable"
        }
    }

    /// The human-readable `error.message`; names the parameter for 400s, never echoes its value.
    public var message: String {
        switch self {
        case .notFound: "no such endpoint"
        case .methodNotAllowed: "only GET and HEAD are allowed"
        case .missingAPIKey: "an X-API-Key header is required"
        case .invalidAPIKey: "the X-API-Key is not valid"
        case .invalidParameter(let name, let reason): "invalid parameter '\(name)': \(reason)"
        case .databaseUnavailable: "the database is unavailable; retry shortly"
        }
    }

    /// Headers the status calls for (`Allow` on 405, `Retry-After` on 503).
    public var extraHeaders: [(String, String)] {
        switch self {
        case .methodNotAllowed: [("Allow", "GET, HEAD, OPTIONS")]  // as nginx says: OPTIONS serves CORS preflights
        case .databaseUnavailable: [("Retry-After", "2")]
        default: []
        }
    }
}
