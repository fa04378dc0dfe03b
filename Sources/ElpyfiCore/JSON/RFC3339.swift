/// RFC 3339 UTC timestamps to the millisecond: the sidecar's `timestamp` fields and `last_event_at`, and every log
/// line's `time`, written one way.
public enum RFC3339 {
    /// The text for a wall-clock instant in milliseconds since 1970 (proleptic Gregorian, no Foundation).
    /// `trimmed` (the API's values): the fraction as the contract writes every timestamp, trailing zeros trimmed and
    /// none when zero (`10:31:00.12Z`, `10:31:00Z`), so a client parses one form whichever part of the API it reads;
    /// otherwise always three digits (log lines, which line up and sort as text).
    public static func utc(unixMilliseconds: Int64, trimmed: Bool = true) -> String {
        let milliseconds = Int(((unixMilliseconds % 1000) + 1000) % 1000)
        let seconds = (unixMilliseconds - Int64(milliseconds)) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var fraction = "." + pad(milliseconds, 3)
        if trimmed {
            while fraction.last == "0" { fraction.removeLast() }
            if fraction == "." { fraction = "" }
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))\(fraction)Z"
    }
}
