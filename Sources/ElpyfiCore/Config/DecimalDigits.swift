/// Plain decimal digits, the only number syntax the API and its config accept:
/// no sign, no exponent, no spaces, leading zeros allowed.
public enum DecimalDigits {
    /// The value of `text` when it is 1...n ASCII digits and fits in `Int`; nil otherwise.
    public static func parse<S: StringProtocol>(_ text: S) -> Int? {
        var value = 0
        var sawDigit = false
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            sawDigit = true
        }
        return sawDigit ? value : nil
    }
}
