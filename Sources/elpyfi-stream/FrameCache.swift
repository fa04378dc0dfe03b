import ElpyfiStream
import NIOCore

/// One batch's messages on one event loop, framed at most once per `Framing`, on first use, one after another in
/// one buffer: every client of that framing writes slices of the same bytes, so a frame costs one allocation per
/// loop, not per client, and a client that takes a run of the batch's messages takes it in one write.
///
/// Per loop rather than shared: the buffer's reference count is touched by every write, and a count shared by
/// two loops bounced between cores (12 % of the sidecar's CPU in `swift_retain`, bench/RESULTS.md).
struct FrameCache {
    private let messages: [[UInt8]]
    private let epoch: EpochID
    private let seqs: [Int]
    /// Per framing: the messages framed back to back, and where each one ends.
    private var framed: [(bytes: ByteBuffer, ends: [Int])?] = Array(repeating: nil, count: Framing.allCases.count)

    /// `messages` of `epoch` with their `seqs` (an SSE message's `id`).
    init(_ messages: [[UInt8]], epoch: EpochID, seqs: [Int]) {
        self.messages = messages
        self.epoch = epoch
        self.seqs = seqs
    }

    /// Messages `range` framed as `framing`, in one buffer.
    mutating func frames(_ range: Range<Int>, _ framing: Framing) -> ByteBuffer {
        let all = framed[framing.rawValue] ?? frameAll(framing)
        if range.count == messages.count { return all.bytes }
        let start = range.lowerBound == 0 ? 0 : all.ends[range.lowerBound - 1]
        return all.bytes.getSlice(at: start, length: all.ends[range.upperBound - 1] - start) ?? ByteBuffer()
    }

    private mutating func frameAll(_ framing: Framing) -> (bytes: ByteBuffer, ends: [Int]) {
        var bytes = ByteBuffer()
        let ends = messages.indices.map {
            bytes.writeImmutableBuffer(FrameCache.buffer(messages[$0], framing, id: StreamPosition(epoch: epoch, seq: seqs[$0])))
            return bytes.writerIndex
        }
        framed[framing.rawValue] = (bytes, ends)
        return (bytes, ends)
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
