/// The syntax of every parameter the API takes (API.md "Precise rules").
///
/// Each rule returns the value in the form the SQL binds, or throws a 400
/// naming the parameter. Values are validated here so that nothing odd
/// reaches PostgreSQL, even though every value is bound, never spliced.
public enum ParameterRules {
    /// `limit`: plain digits, 1...1000 (leading zeros fine).
    public static func limit(_ text: String?, default fallback: Int = 50) throws(APIError) -> Int {
        guard let text else { return fallback }
        guard let value = DecimalDigits.parse(text), (1...1000).contains(value) else {
            throw APIError.invalidParameter(name: "limit", reason: "must be a whole number from 1 to 1000")
        }
        return value
    }

    /// `before_id`: plain digits, 1...2^63-1.
    public static func beforeID(_ text: String?) throws(APIError) -> Int? {
        guard let text else { return nil }
        guard let value = DecimalDigits.parse(text), value >= 1 else {
            throw APIError.invalidParameter(name: "before_id", reason: "must be a whole number from 1 to 9223372036854775807")
        }
        return value
    }

    /// `strategy` / `symbol` (query or path): 1...64 bytes of `[A-Za-z0-9_.:-]`.
    public static func name(_ text: String?, parameter: String) throws(APIError) -> String? {
        guard let text else { return nil }
        guard isValidName(text) else {
            throw APIError.invalidParameter(name: parameter, reason: "must be 1 to 64 characters of A-Z a-z 0-9 _ . : -")
        }
        return text
    }

    /// True for 1...64 bytes of `[A-Za-z0-9_.:-]`.
    public static func isValidName<S: StringProtocol>(_ text: S) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// The signal actions of the schema's `check_valid_action`.
    public static let actions: Set<String> = ["buy", "sell", "hold", "proposed"]

    /// `action`: one of `buy sell hold proposed`.
    public static func action(_ text: String?) throws(APIError) -> String? {
        guard let text else { return nil }
        guard actions.contains(text) else {
            throw APIError.invalidParameter(name: "action", reason: "must be one of buy, sell, hold, proposed")
        }
        return text
    }

    /// `date`: `YYYY-MM-DD` and a real calendar date (Gregorian, years 0001...9999).
    public static func date(_ text: String?) throws(APIError) -> String? {
        guard let text else { return nil }
        guard isValidDate(text) else {
            throw APIError.invalidParameter(name: "date", reason: "must be a real date as YYYY-MM-DD")
        }
        return text
    }

    /// True for a real `YYYY-MM-DD` date.
    public static func isValidDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = DecimalDigits.parse(String(decoding: bytes[0..<4], as: UTF8.self)),
              let month = DecimalDigits.parse(String(decoding: bytes[5..<7], as: UTF8.self)),
              let day = DecimalDigits.parse(String(decoding: bytes[8..<10], as: UTF8.self)),
              year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}
