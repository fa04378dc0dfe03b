/// The contract's error JSON: `{"error":{"code":"...","message":"..."}}`.
public enum ErrorBody {
    /// The body bytes for `error`.
    public static func json(_ error: APIError) -> [UInt8] {
        json(code: error.code, message: error.message)
    }

    /// The body bytes for any code (the sidecar has codes of its own, e.g. `stream_unavailable`).
    public static func json(code: String, message: String) -> [UInt8] {
        Array(#"{"error":{"code":\#(JSONEscape.quoted(code)),"message":\#(JSONEscape.quoted(message))}}"#.utf8)
    }
}
