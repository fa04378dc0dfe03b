#if canImport(Glibc)
import Glibc
#endif

/// Sends an answer's iovecs with as few `writev` calls as the kernel allows. The bookkeeping between two calls
/// (`consume`) is pure, so a partial write is tested without a socket that happens to fill.
public enum GatheringWrite {
    /// The most vectors one `writev` takes: Linux's `UIO_MAXIOV` (`IOV_MAX` in glibc); more fail the call with
    /// `EINVAL`. An answer with more vectors (over 500 records, about 33 MB) goes out in batches of this many.
    public static let vectorLimit = 1024

    /// Sends every byte of `iovecs` to `descriptor` with `writev`, as many calls as it takes; 0 once all is sent,
    /// else the `errno` that stopped it. The vectors are consumed (advanced past what was sent).
    ///
    /// A FastCGI connection is blocking (`FastCGIServer` accepts it so), so a call returns once it has sent
    /// something: a partial write (a kernel buffer that filled, or a batch of `vectorLimit`) is followed by the
    /// rest, `EINTR` is retried, and anything else, `EAGAIN` included (a descriptor someone made non-blocking),
    /// fails the answer as libfcgi's own write did. SIGPIPE is ignored by the worker (and libfcgi's `FCGX_Init`
    /// installs a handler that does nothing), so a peer that left gives `EPIPE` here.
    static func writeAll(_ descriptor: Int32, _ iovecs: UnsafeMutableBufferPointer<iovec>) -> Int32 {
        var rest = iovecs
        while let next = rest.baseAddress, !rest.isEmpty {
            let written = writev(descriptor, next, Int32(min(rest.count, vectorLimit)))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }  // nothing sent though something was asked: never loop on it
            rest = consume(written, of: rest)
        }
        return 0
    }

    /// What is left of `iovecs` once their first `written` bytes were sent: the vectors sent whole are dropped and
    /// the first one left is moved past its sent part (changed in place). `written` is at most the bytes of
    /// `iovecs`, as `writev` returns; the rest is empty once all of them were sent.
    public static func consume(_ written: Int, of iovecs: UnsafeMutableBufferPointer<iovec>)
        -> UnsafeMutableBufferPointer<iovec> {
        var first = 0
        var left = written
        while first < iovecs.count, left >= iovecs[first].iov_len {
            left -= iovecs[first].iov_len
            first += 1
        }
        let rest = UnsafeMutableBufferPointer(rebasing: iovecs[first...])
        if left > 0, !rest.isEmpty {
            rest[0].iov_base = rest[0].iov_base.map { $0 + left }
            rest[0].iov_len -= left
        }
        return rest
    }
}
