/// Typed access to environment variables that turns every malformed value into a `ConfigError`.
struct EnvironmentReader {
    fileprivate let environment: [String: String]

    init(_ environment: [String: String]) { self.environment = environment }

    /// The value, trimmed; the default when unset; an error when set but blank.
    func nonEmpty(_ name: String, default fallback: String) throws(ConfigError) -> String {
        guard let raw = environment[name] else { return fallback }
        let value = raw.trimmingASCIIWhitespace()
        guard !value.isEmpty else { throw ConfigError(variable: name, reason: "must not be empty") }
        return value
    }

    /// A comma-separated list with blanks dropped (`"a, ,b"` is `["a", "b"]`).
    func list(_ name: String) -> [String] {
        guard let raw = environment[name] else { return [] }
        return raw.split(separator: ",", omittingEmptySubsequences: true)
            .map { String($0).trimmingASCIIWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// A plain decimal integer within `range`.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = environment[name] else { return fallback }
        let text = raw.trimmingASCIIWhitespace()
        guard let value = DecimalDigits.parse(text), range.contains(value) else {
            throw ConfigError(variable: name, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension EnvironmentReader {
    /// Whole seconds within `range`, written `N` or `Ns` (as nginx writes times: `ELPYFI_PUBLIC_CACHE_TTL=1s`).
    func seconds(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = environment[name] else { return fallback }
        var text = raw.trimmingASCIIWhitespace()
        if text.hasSuffix("s") { text.removeLast() }
        guard let value = DecimalDigits.parse(text), range.contains(value) else {
            throw ConfigError(variable: name, reason: "must be whole seconds from \(range.lowerBound) to \(range.upperBound), e.g. 1s")
        }
        return value
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CR and LF (no Foundation needed).
    public func trimmingASCIIWhitespace() -> String {
        var text = self
        return text.withUTF8 { String(decoding: ASCIIWhitespace.trimmed($0), as: UTF8.self) }
    }
}
