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
    public enum Level: String, Sendable { case info, warning, error }

    /// Which process part is speaking (`fcgi`, `stream`, `listener`).
    public let component: String

    public init(component: String) { self.component = component }

    public func info(_ message: String) { write(.info, message) }
    public func warning(_ message: String) { write(.warning, message) }
    public func error(_ message: String) { write(.error, message) }

    private func write(_ level: Level, _ message: String) {
        let cleaned = message.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 == "\"" ? "'" : $0 }
        let line = "level=\(level.rawValue) component=\(component) msg=\"\(String(cleaned))\"\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
