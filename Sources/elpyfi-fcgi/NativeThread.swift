#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread running a closure: the worker needs plain threads
/// (libfcgi blocks in accept), not an executor.
struct NativeThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread.
    static func start(_ body: @escaping @Sendable () -> Void) -> NativeThread {
        let box = Unmanaged.passRetained(ClosureBox(body)).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            let box = Unmanaged<ClosureBox>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed: \(status)")
        return NativeThread(handle: handle)
    }

    /// Sends `signal` to this thread only.
    func signal(_ number: Int32) { pthread_kill(handle, number) }

    /// Waits for the thread to finish.
    func join() { pthread_join(handle, nil) }
}

private final class ClosureBox: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
