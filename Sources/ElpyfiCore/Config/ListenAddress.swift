/// Where a process listens: a Unix socket path or a TCP `host:port`.
public enum ListenAddress: Equatable, Sendable {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `/path/to.sock`, `host:port` or `[v6]:port`; nil when neither.
    public init?(_ text: String) {
        if text.hasPrefix("/") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil  // an IPv6 host needs brackets, or `::1` would read as host ":" port 1
        }
        guard !host.isEmpty, let port = DecimalDigits.parse(String(text[text.index(after: colon)...])),
              (1...65535).contains(port) else { return nil }
        self = .tcp(host: host, port: port)
    }

    /// True for `host:port`.
    public var isTCP: Bool {
        if case .tcp = self { return true }
        return false
    }
}
