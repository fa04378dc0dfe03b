import ElpyfiStream
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Moment {
    /// Now, from the monotonic and the real-time clocks.
    static func now() -> Moment {
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        return Moment(monotonicNanoseconds: NIODeadline.now().uptimeNanoseconds,
                      unixMilliseconds: Int64(wall.tv_sec) * 1000 + Int64(wall.tv_nsec / 1_000_000))
    }
}
