/// Prometheus text exposition format 0.0.4, written into one byte array.
///
/// Only what the two programs need: `# HELP`/`# TYPE` once per family, samples with labels,
/// and histograms from cumulative bucket counts. Label values are escaped (`\\`, `\"`, `\n`)
/// as the format requires, although every value here comes from fixed sets (route templates,
/// status codes, stream names), never from request text.
/// Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
public struct Exposition {
    /// The `Content-Type` of the answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty exposition with room for `capacity` bytes.
    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// `# HELP name help` and `# TYPE name type`; once per family, before its samples.
    public mutating func family(_ name: String, type: MetricType, help: String) {
        append("# HELP \(name) ")
        appendEscaped(help, quotes: false)
        append("\n# TYPE \(name) \(type.rawValue)\n")
    }

    /// One sample line: `name{l1="v1",...} value`.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        append(name)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (index, (label, text)) in labels.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(label)
                append("=\"")
                appendEscaped(text, quotes: true)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        append(Exposition.format(value))
        bytes.append(0x0A)
    }

    /// A histogram's samples: `_bucket{le=...}` for each bound and `+Inf`, `_sum`, `_count`.
    /// `cumulative` holds one count per bound plus the `+Inf` one (the total).
    public mutating func histogram(_ name: String, _ labels: [(String, String)], bounds: HistogramBuckets,
                                   cumulative: [UInt64], sum: Double) {
        for (index, bound) in bounds.upperBounds.enumerated() {
            sample(name + "_bucket", labels + [("le", Exposition.format(bound))], Double(cumulative[index]))
        }
        let total = cumulative[bounds.upperBounds.count]
        sample(name + "_bucket", labels + [("le", "+Inf")], Double(total))
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, Double(total))
    }

    /// The text form of a sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` as the format spells them.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// `\\` and `\n` escaped, as HELP text needs; label values (`quotes`) also escape `"`.
    private mutating func appendEscaped(_ text: String, quotes: Bool) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\"") where quotes: append("\\\"")
            case 0x0A: append("\\n")
            default: bytes.append(byte)
            }
        }
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
}

/// The metric types the exposition declares.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}
