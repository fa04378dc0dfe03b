import ElpyfiCore

/// A point in time as the sidecar needs it: monotonic for durations, wall clock for `timestamp` fields.
///
/// Passed in by the caller so that the state machines read no clock and tests choose the time.
public struct Moment: Sendable, Equatable {
    /// A monotonic clock (never jumps), for the ring's age and ping deadlines.
    public var monotonicNanoseconds: UInt64
    /// Wall-clock milliseconds since 1970-01-01T00:00:00Z, for `timestamp` fields.
    public var unixMilliseconds: Int64

    /// A moment from both clocks.
    public init(monotonicNanoseconds: UInt64, unixMilliseconds: Int64) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.unixMilliseconds = unixMilliseconds
    }

    /// `unixMilliseconds` as RFC 3339 UTC with milliseconds: `2024-01-15T10:31:00.123Z`.
    public var rfc3339: String { RFC3339.utc(unixMilliseconds: unixMilliseconds) }
}
