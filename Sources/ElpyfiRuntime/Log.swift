#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-line logs to stderr (journald/docker collect it), `level=… component=… msg="…"`.
///
/// Deliberately tiny: the processes log start-up, configuration warnings and
/// failures; nginx keeps the access log. Nothing here ever receives a key.
public struct Log: Sendable {
    /// How much a line matters; `warning` and `error` want an operator's eye.
    public enum Level: String, Sendable { case info, warning, error }

    /// Which process part is speaking (`fcgi`, `stream`, `listener`).
    public let component: String

    /// A log for one component.
    public init(component: String) { self.component = component }

    /// Start-up, shutdown and other expected events.
    public func info(_ message: String) { write(.info, message) }
    /// Something works but needs attention (development mode, a database down at start).
    public func warning(_ message: String) { write(.warning, message) }
    /// A failure: the detail that the client never sees.
    public func error(_ message: String) { write(.error, message) }

    private func write(_ level: Level, _ message: String) {
        let cleaned = message.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 == "\"" ? "'" : $0 }
        let line = "level=\(level.rawValue) component=\(component) msg=\"\(String(cleaned))\"\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
