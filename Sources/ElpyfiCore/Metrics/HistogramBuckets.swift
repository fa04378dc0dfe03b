/// A histogram's fixed upper bounds, in seconds, and the bucket an observation in nanoseconds falls into.
///
/// Bounds are compared as whole nanoseconds so that the hot path does no floating-point work.
public struct HistogramBuckets: Sendable, Equatable {
    /// The bounds (`le`), ascending, without `+Inf`.
    public let upperBounds: [Double]
    private let nanosecondBounds: [UInt64]

    /// Buckets with these bounds (ascending, positive seconds).
    public init(_ upperBounds: [Double]) {
        precondition(!upperBounds.isEmpty && zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram bounds must ascend")
        self.upperBounds = upperBounds
        nanosecondBounds = upperBounds.map { UInt64(($0 * 1e9).rounded()) }
    }

    /// Slots an observation can land in: one per bound plus `+Inf`.
    public var slotCount: Int { upperBounds.count + 1 }

    /// The first bucket whose bound is at least `nanoseconds`; `upperBounds.count` (the `+Inf` slot) past the last.
    @inline(__always)
    public func slot(forNanoseconds nanoseconds: UInt64) -> Int {
        var index = 0
        while index < nanosecondBounds.count && nanoseconds > nanosecondBounds[index] { index += 1 }
        return index
    }

    /// Per-slot counts turned into the cumulative counts the format wants (the last is the total).
    public static func cumulative(_ perSlot: [UInt64]) -> [UInt64] {
        var running: UInt64 = 0
        return perSlot.map { running &+= $0; return running }
    }

    /// REST request durations: 0.5 ms to 10 s (the statement timeout is 5 s by default).
    public static let request = HistogramBuckets([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    /// NOTIFY received → frame handed to every client: 50 µs to 5 s.
    public static let relay = HistogramBuckets([0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5])
}
