/// A configuration value that cannot be used; start-up stops with this message.
///
/// The message names the variable but never echoes its value: a malformed
/// `ELPYFI_API_KEYS` must not print a key to the journal.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The environment variable at fault, e.g. `ELPYFI_FCGI_THREADS`.
    public let variable: String
    /// What is wrong with it, in words an operator can act on.
    public let reason: String

    /// Creates an error naming `variable`.
    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    /// `invalid ELPYFI_X: reason`.
    public var description: String { "invalid \(variable): \(reason)" }
}
