import ElpyfiCore

/// The sidecar's own messages (`connected`, `stream.gap`, `stream.resumed`), as JSON text.
public enum ControlMessages {
    /// `{"type":"connected","stream":"signals","epoch":"…","seq":N,"timestamp":"…"}`: sent first, once LISTEN is live.
    public static func connected(stream: StreamKind, epoch: EpochID, seq: Int, at moment: Moment) -> [UInt8] {
        message(type: "connected", stream: stream, epoch: epoch, seq: seq, at: moment)
    }

    /// `{"type":"stream.gap","epoch":"…","seq":N,"timestamp":"…"}`: the resume point is lost; refetch over REST.
    /// `seq` is the current position, so the next live event is `seq + 1`.
    public static func gap(epoch: EpochID, seq: Int, at moment: Moment) -> [UInt8] {
        message(type: "stream.gap", stream: nil, epoch: epoch, seq: seq, at: moment)
    }

    /// `{"type":"stream.resumed","epoch":"<new>","seq":0,"timestamp":"…"}`: LISTEN was lost and is back.
    public static func resumed(epoch: EpochID, at moment: Moment) -> [UInt8] {
        message(type: "stream.resumed", stream: nil, epoch: epoch, seq: 0, at: moment)
    }

    private static func message(type: String, stream: StreamKind?, epoch: EpochID, seq: Int, at moment: Moment) -> [UInt8] {
        let streamMember = stream.map { #","stream":"\#($0.rawValue)""# } ?? ""
        let text = #"{"type":"\#(type)"\#(streamMember),"epoch":\#(JSONEscape.quoted(epoch.text)),"seq":\#(seq),"#
            + #""timestamp":"\#(moment.rfc3339)"}"#
        return Array(text.utf8)
    }
}
