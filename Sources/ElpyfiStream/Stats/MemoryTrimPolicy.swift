/// When the sidecar should hand freed memory back to the system after clients leave.
///
/// Why: glibc's malloc keeps what 10,000 departed clients freed (their channels, buffers, registry entries)
/// in its arenas, so the process stayed at its peak (65 MB for one sidecar after 10,000 clients left, 18 MB
/// idle). `malloc_trim(0)` returns the free pages of every arena; it takes each arena's lock, so it is worth
/// calling only after a real drop, not on every departure. Pure: the caller reads the client count and trims.
public struct MemoryTrimPolicy: Sendable {
    /// Clients that must have left since the high-water mark before a trim.
    public let minimumDrop: Int
    /// The most clients seen since the last trim.
    public private(set) var highWater = 0

    /// A policy that trims once at least `minimumDrop` clients (default 1,000) and half of the high-water
    /// mark have left.
    public init(minimumDrop: Int = 1000) {
        self.minimumDrop = minimumDrop
    }

    /// Called periodically with the current client count; true when the caller should trim now.
    public mutating func shouldTrim(clients: Int) -> Bool {
        highWater = max(highWater, clients)
        let drop = highWater - clients
        guard drop >= minimumDrop, clients * 2 <= highWater else { return false }
        highWater = clients
        return true
    }
}
