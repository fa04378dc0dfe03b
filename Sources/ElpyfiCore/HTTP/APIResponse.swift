/// What the API answers, transport-free: the FastCGI writer turns it into bytes.
public struct APIResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Headers besides `Content-Type` and `Content-Length`.
    public var headers: [(String, String)]
    /// `Content-Type`, nil for bodiless answers (304).
    public var contentType: String?
    /// The body bytes (empty for HEAD and 304).
    public var body: [UInt8]
    /// Which entry of `EndpointTable.all` answered; nil when the path matched none. Not part of the answer
    /// on the wire: it labels per-endpoint counters without a string per request.
    public var endpointIndex: Int?

    /// A JSON answer unless `contentType` says otherwise.
    public init(status: Int, headers: [(String, String)] = [], contentType: String? = "application/json", body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.contentType = contentType
        self.body = body
    }

    /// The JSON error answer for `error`.
    public init(error: APIError) {
        self.init(status: error.status, headers: error.extraHeaders, body: ErrorBody.json(error))
    }

    /// A 200 with its strong ETag, or a bodiless 304 when `If-None-Match` already has it.
    public static func ok(body: [UInt8], ifNoneMatch: String?) -> APIResponse {
        let etag = ETag.of(body)
        let headers = [("ETag", etag), ("Cache-Control", "no-cache")]
        if let ifNoneMatch, ETag.noneMatchHits(ifNoneMatch, etag: etag) {
            return APIResponse(status: 304, headers: headers, contentType: nil, body: [])
        }
        return APIResponse(status: 200, headers: headers, body: body)
    }

    /// The value of the first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { APIResponse.sameHeaderName($0.0, name) }?.1
    }

    /// ASCII case-insensitive equality of two header names, byte by byte (no lowercased copies: this runs per answer).
    static func sameHeaderName(_ a: String, _ b: String) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
        return a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// Equal when status, headers (in order), type and body are (tuples are not `Equatable`).
    public static func == (lhs: APIResponse, rhs: APIResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// The reason phrase for a status line.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
