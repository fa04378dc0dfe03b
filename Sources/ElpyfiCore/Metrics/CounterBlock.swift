import Synchronization

/// A fixed block of 64-bit counters, allocated once, that one thread writes and a scrape reads from another.
///
/// `increment` is for a block with a single writer (a worker thread's own block): a relaxed load and
/// store, plain moves on x86-64 and arm64, no locked instruction and no cache line shared with another
/// writer. `add` is an atomic add for counters that several threads may bump (the sidecar's, bumped by
/// its event loops and its listener thread). Readers see each counter whole, never torn.
public final class CounterBlock: @unchecked Sendable {
    // @unchecked: the storage is written only through atomics; the pointer itself never changes.
    private let storage: UnsafeMutablePointer<Atomic<UInt64>>
    /// How many counters the block holds.
    public let count: Int

    /// `count` counters, all zero.
    public init(count: Int) {
        self.count = count
        storage = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: max(1, count))
        for index in 0..<count { (storage + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// Adds `amount` to counter `index`; only the block's one writer thread may call this.
    @inline(__always)
    public func increment(_ index: Int, by amount: UInt64 = 1) {
        let value = storage[index].load(ordering: .relaxed)
        storage[index].store(value &+ amount, ordering: .relaxed)
    }

    /// Adds `amount` to counter `index` from any thread.
    @inline(__always)
    public func add(_ index: Int, _ amount: UInt64 = 1) {
        storage[index].wrappingAdd(amount, ordering: .relaxed)
    }

    /// Subtracts `amount` from counter `index` from any thread (gauges that go down).
    @inline(__always)
    public func subtract(_ index: Int, _ amount: UInt64 = 1) {
        storage[index].wrappingSubtract(amount, ordering: .relaxed)
    }

    /// Sets counter `index` (gauges); any thread.
    @inline(__always)
    public func set(_ index: Int, _ value: UInt64) {
        storage[index].store(value, ordering: .relaxed)
    }

    /// Counter `index` as last written.
    @inline(__always)
    public func load(_ index: Int) -> UInt64 {
        storage[index].load(ordering: .relaxed)
    }
}
