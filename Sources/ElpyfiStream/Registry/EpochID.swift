import ElpyfiCore

/// The id of one unbroken LISTEN session: `seq` counts from 1 within it.
///
/// A new one starts whenever LISTEN is (re)established, because notifications
/// sent while it was down are lost; a resume naming another epoch gets `stream.gap`.
/// With several sidecars the id starts with the issuing sidecar's id (`ELPYFI_STREAM_ID`) and a `-`,
/// so that nginx can send a resume back to that sidecar (a map on `$arg_epoch`; deploy/render-nginx).
public struct EpochID: Hashable, Sendable, CustomStringConvertible {
    /// 16 lower-case hex digits, optionally after `<sidecar id>-`: short, URL-safe, and valid as a `?epoch=` value.
    public let text: String

    /// Wraps an id's text.
    public init(text: String) { self.text = text }

    /// A fresh id issued by sidecar `sidecar`: `<sidecar>-<16 hex digits>` from the system's random source.
    public static func random(sidecar: String) -> EpochID {
        var generator = SystemRandomNumberGenerator()
        return EpochID(text: sidecar + "-" + Hex.encode(withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }))
    }

    /// The id's text.
    public var description: String { text }
}
