import ElpyfiCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One JSON object per line on stderr (journald/docker collect it), the same shape as nginx's access log:
/// `{"time":"2026-12-01T22:40:00.123Z","level":"error","component":"fcgi","msg":"…","request_id":"…"}`.
///
/// Deliberately tiny: the processes log start-up, configuration warnings and failures; nginx keeps the
/// access log. A line about one request carries nginx's `$request_id`, so it can be found from the access
/// log. Nothing here ever receives a key, a query string or SQL text (callers pass statement names).
public struct Log: Sendable {
    /// How much a line matters; `warning` and `error` want an operator's eye.
    public enum Level: String, Sendable { case info, warning, error }

    /// Which process part is speaking (`fcgi`, `stream`, `listener`).
    public let component: String

    /// A log for one component.
    public init(component: String) { self.component = component }

    /// Start-up, shutdown and other expected events.
    public func info(_ message: String, requestID: String? = nil) { write(.info, message, requestID) }
    /// Something works but needs attention (development mode, a database down at start).
    public func warning(_ message: String, requestID: String? = nil) { write(.warning, message, requestID) }
    /// A failure: the detail that the client never sees.
    public func error(_ message: String, requestID: String? = nil) { write(.error, message, requestID) }

    /// The line for a message, without the trailing newline (tests read it).
    public static func line(time: String, level: Level, component: String, message: String, requestID: String?) -> [UInt8] {
        let id = requestID.map { #","request_id":\#(JSONEscape.quoted($0))"# } ?? ""
        let text = #"{"time":\#(JSONEscape.quoted(time)),"level":"\#(level.rawValue)","component":\#(JSONEscape.quoted(component)),"#
            + #""msg":\#(JSONEscape.quoted(message))\#(id)}"#
        return Array(text.utf8)
    }

    private func write(_ level: Level, _ message: String, _ requestID: String?) {
        var bytes = Log.line(time: Log.now(), level: level, component: component, message: message, requestID: requestID)
        bytes.append(0x0A)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// UTC now as RFC 3339 with milliseconds (`2026-12-01T22:40:00.123Z`), like nginx's `$time_iso8601` but finer.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return RFC3339.utc(unixMilliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000), trimmed: false)
    }
}
