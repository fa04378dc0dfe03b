#if canImport(Glibc)
import Glibc
#endif

/// Sends every byte of `iovecs` to `descriptor` with `writev`, as many calls as it takes; 0 once all is sent, else
/// the `errno` that stopped it. The vectors are consumed (advanced past what was sent).
///
/// A FastCGI connection is blocking (`FastCGIServer` accepts it so), so a call returns once it has sent something:
/// a partial write (a kernel buffer that filled) is followed by the rest, `EINTR` is retried, and anything else,
/// `EAGAIN` included (a descriptor someone made non-blocking), fails the answer as libfcgi's own write did. At most
/// `IOV_MAX` (1024 on Linux) vectors go in one call; a larger answer takes more. SIGPIPE is ignored by the worker,
/// so a peer that left gives `EPIPE` here.
func writeAll(_ descriptor: Int32, _ iovecs: UnsafeMutableBufferPointer<iovec>) -> Int32 {
    guard var next = iovecs.baseAddress else { return 0 }
    let end = next + iovecs.count
    while next < end {
        let written = writev(descriptor, next, Int32(min(end - next, 1024)))
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if written == 0 { return EIO }  // nothing sent though something was asked: never loop on it
        var left = written
        while next < end, left >= next.pointee.iov_len {
            left -= next.pointee.iov_len
            next += 1
        }
        if left > 0 {
            next.pointee.iov_base = next.pointee.iov_base.map { $0 + left }
            next.pointee.iov_len -= left
        }
    }
    return 0
}
