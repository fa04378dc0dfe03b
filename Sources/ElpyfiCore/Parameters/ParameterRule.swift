/// The syntax of every parameter the API takes (docs/CONTRACT.md, "Precise rules").
///
/// A rule turns a parameter's decoded text into the text the SQL binds, or throws a 400 naming the
/// parameter (never echoing its value). Values are validated although every value is bound, never
/// spliced, so that nothing odd reaches PostgreSQL.
public enum ParameterRule: Sendable, Equatable {
    /// `strategy` / `symbol` (query or path): 1...64 bytes of `[A-Za-z0-9_.:-]`.
    case name
    /// One of `buy sell hold proposed` (the schema's `check_valid_action`).
    case action
    /// Plain digits, 1...1000 (leading zeros fine); `default` when absent.
    case limit(default: Int)
    /// Plain digits, 1...2^63-1.
    case beforeID
    /// `YYYY-MM-DD` and a real date (Gregorian, years 0001...9999).
    case date

    /// The text to bind for `text` (nil = absent, bound as SQL NULL unless the rule has a default).
    public func bind(_ text: String?, name parameter: String) throws(APIError) -> String? {
        guard let text else {
            if case .limit(let fallback) = self { return String(fallback) }
            return nil
        }
        guard let bound = normalised(text) else { throw APIError.invalidParameter(name: parameter, reason: reason) }
        return bound
    }

    /// What a valid value looks like, for the 400's message.
    public var reason: String {
        switch self {
        case .name: "must be 1 to 64 characters of A-Z a-z 0-9 _ . : -"
        case .action: "must be one of buy, sell, hold, proposed"
        case .limit: "must be a whole number from 1 to 1000"
        case .beforeID: "must be a whole number from 1 to 9223372036854775807"
        case .date: "must be a real date as YYYY-MM-DD"
        }
    }

    private func normalised(_ text: String) -> String? {
        switch self {
        case .name: Self.isValidName(text) ? text : nil
        case .action: ["buy", "sell", "hold", "proposed"].contains(text) ? text : nil
        case .limit: DecimalDigits.parse(text).flatMap { (1...1000).contains($0) ? String($0) : nil }
        case .beforeID: DecimalDigits.parse(text).flatMap { $0 >= 1 ? String($0) : nil }
        case .date: Self.dayNumber(text) != nil ? text : nil
        }
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

    /// Days since 0000-03-01 of a real `YYYY-MM-DD` date, nil for anything else: consecutive dates
    /// differ by one, so spans are a subtraction (Howard Hinnant's `days_from_civil`).
    public static func dayNumber(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = DecimalDigits.parse(String(decoding: bytes[0..<4], as: UTF8.self)),
              let month = DecimalDigits.parse(String(decoding: bytes[5..<7], as: UTF8.self)),
              let day = DecimalDigits.parse(String(decoding: bytes[8..<10], as: UTF8.self)),
              year >= 1, (1...12).contains(month), day >= 1 else { return nil }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        let marchYear = month <= 2 ? year - 1 : year
        let era = marchYear / 400, yearOfEra = marchYear % 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        return era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    }
}
