import ElpyfiStream
import NIOCore

/// One batch's messages on one event loop, each framed at most once per `Framing`, on first use: every client of
/// that framing writes the same `ByteBuffer`, so a frame costs one allocation per loop, not per client.
///
/// Per loop rather than shared: the buffer's reference count is touched by every write, and a count shared by
/// two loops bounced between cores (12 % of the sidecar's CPU in `swift_retain`, bench/RESULTS.md).
struct FrameCache {
    private let messages: [[UInt8]]
    private let epoch: EpochID
    private let seqs: [Int]
    private var framed: [[ByteBuffer]?] = Array(repeating: nil, count: Framing.allCases.count)

    /// `messages` of `epoch` with their `seqs` (an SSE message's `id`).
    init(_ messages: [[UInt8]], epoch: EpochID, seqs: [Int]) {
        self.messages = messages
        self.epoch = epoch
        self.seqs = seqs
    }

    /// Message `index` framed as `framing`.
    mutating func frame(_ index: Int, _ framing: Framing) -> ByteBuffer {
        if let frames = framed[framing.rawValue] { return frames[index] }
        let frames = messages.indices.map { FrameCache.buffer(messages[$0], framing, id: StreamPosition(epoch: epoch, seq: seqs[$0])) }
        framed[framing.rawValue] = frames
        return frames[index]
    }

    /// `message` framed as `framing`, in one buffer of the exact size.
    static func buffer(_ message: [UInt8], _ framing: Framing, id: StreamPosition) -> ByteBuffer {
        let head = framing.head(payloadCount: message.count, id: id)
        let tail = framing.tail
        var buffer = ByteBufferAllocator().buffer(capacity: head.count + message.count + tail.count)
        buffer.writeBytes(head)
        buffer.writeBytes(framing.body(message))
        buffer.writeBytes(tail)
        return buffer
    }
}
