import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One client's socket, written directly: a live frame leaves in one `send` of bytes that already exist, as nchan
/// writes. NIO's own write path (pending-writes queue, flush bookkeeping, lifecycle checks) cost about 3,500
/// instructions a frame, four fifths of the sidecar's user-space share (bench/stream-instructions, callgrind).
///
/// NIO has no public accessor: its socket channel keeps the descriptor as `socket.descriptor` (NIOPosix's
/// `BaseSocketChannel` and `BaseSocket`), read here once per connection by reflection and trusted only when the
/// descriptor's own ports are the channel's. Without it (another NIO layout) the client writes through NIO only.
struct SocketWriter {
    private let fd: CInt
    /// NIO may hold bytes of this client's (its own writes, or what the kernel did not take from ours): sending
    /// directly waits until NIO has written them, so bytes never overtake each other. True at first, so the
    /// first direct send asks NIO rather than trusting that the upgrade's own writes have all left.
    var queuedInNIO = true

    /// `channel`'s socket, checked against its local and remote ports.
    init?(_ channel: Channel) {
        guard let socket = SocketWriter.stored("socket", in: channel), let fd = SocketWriter.stored("descriptor", in: socket) as? CInt,
              fd >= 0, SocketWriter.port(fd, getsockname) == channel.localAddress?.port,
              SocketWriter.port(fd, getpeername) == channel.remoteAddress?.port
        else { return nil }
        self.fd = fd
    }

    /// Sends `buffer` unless NIO holds bytes of ours (`nioIsEmpty`, asked only then): the count the kernel took,
    /// 0 when nothing was tried, -1 when it took nothing (a full socket, an interrupt, a broken connection: the
    /// caller hands the whole frame to NIO, which waits for room or meets the error and closes).
    mutating func write(_ buffer: ByteBuffer, nioIsEmpty: () -> Bool) -> Int {
        guard !queuedInNIO || nioIsEmpty() else { return 0 }
        let sent = buffer.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        queuedInNIO = sent != buffer.readableBytes
        return sent
    }

    /// The stored property `name` of `subject` or of one of its superclasses.
    private static func stored(_ name: String, in subject: Any) -> Any? {
        var mirror: Mirror? = Mirror(reflecting: subject)
        while let current = mirror {
            if let child = current.children.first(where: { $0.label == name }) { return child.value }
            mirror = current.superclassMirror
        }
        return nil
    }

    /// The port of the address `get` (`getsockname`/`getpeername`) reports for `fd` (IPv4 and IPv6 keep it at offset 2).
    private static func port(_ fd: CInt, _ get: (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { get(fd, $0, &length) } }
        guard status == 0 else { return nil }
        return withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
    }
}
