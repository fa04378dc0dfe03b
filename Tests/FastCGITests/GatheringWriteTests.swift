import FastCGI
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a partial `writev` leaves to send: `GatheringWrite.consume` after every possible cut of a few vectors, and
/// at the edge of a batch of `vectorLimit` vectors. The rest must be exactly the bytes not yet sent, in order,
/// starting with an unsent byte.
struct GatheringWriteTests {
    /// Lengths 3, 1, 4, 1, 5: cuts at every vector's end and inside every vector of more than one byte.
    static let lengths = [3, 1, 4, 1, 5]

    @Test func aCutAtAVectorsEndLeavesTheNextVectorsWhole() {
        Vectors(Self.lengths).consumed(4) { rest, original in
            #expect(rest.count == 3)
            #expect(rest[0].iov_base == original[2].iov_base)
            #expect(rest.map(\.iov_len) == [4, 1, 5])
        }
    }

    @Test func aCutInsideAVectorLeavesItsUnsentTailFirst() {
        Vectors(Self.lengths).consumed(6) { rest, original in
            #expect(rest.count == 3)
            #expect(rest[0].iov_base == original[2].iov_base.map { $0 + 2 })
            #expect(rest.map(\.iov_len) == [2, 1, 5])
        }
    }

    @Test func everythingSentLeavesNothing() {
        Vectors(Self.lengths).consumed(14) { rest, _ in #expect(rest.isEmpty) }
    }

    @Test func nothingSentLeavesEveryVectorAsItWas() {
        Vectors(Self.lengths).consumed(0) { rest, original in
            #expect(rest.map(\.iov_base) == original.map(\.iov_base))
            #expect(rest.map(\.iov_len) == Self.lengths)
        }
    }

    @Test func afterEveryCutTheRestIsTheUnsentBytesInOrder() {
        let all = Vectors(Self.lengths).bytes
        for written in 0...all.count {
            let vectors = Vectors(Self.lengths)
            vectors.consumed(written) { rest, _ in
                #expect(Vectors.bytes(of: rest) == Array(all.dropFirst(written)), "after \(written)")
                #expect(rest.allSatisfy { $0.iov_len > 0 }, "after \(written)")
            }
        }
    }

    /// One `writev` takes `vectorLimit` vectors; when it sends all of them, the next batch starts at the first
    /// vector past them, whole; one byte short, it starts with the last byte of the batch.
    @Test func aWholeBatchSentLeavesTheVectorsPastItWhole() {
        #expect(GatheringWrite.vectorLimit == 1024)
        let lengths = Array(repeating: 3, count: GatheringWrite.vectorLimit + 476)
        let batch = GatheringWrite.vectorLimit * 3
        Vectors(lengths).consumed(batch) { rest, original in
            #expect(rest.count == 476)
            #expect(rest[0].iov_base == original[GatheringWrite.vectorLimit].iov_base)
            #expect(rest.allSatisfy { $0.iov_len == 3 })
        }
        Vectors(lengths).consumed(batch - 1) { rest, original in
            #expect(rest.count == 477)
            #expect(rest[0].iov_base == original[GatheringWrite.vectorLimit - 1].iov_base.map { $0 + 2 })
            #expect(rest[0].iov_len == 1)
        }
    }
}

/// Vectors over distinct bytes (their index in the whole), `lengths` bytes each.
private final class Vectors {
    let bytes: [UInt8]
    private let storage: UnsafeMutableRawBufferPointer
    private let vectors: UnsafeMutableBufferPointer<iovec>

    init(_ lengths: [Int]) {
        let total = lengths.reduce(0, +)
        bytes = (0..<total).map { UInt8(truncatingIfNeeded: $0) }
        storage = .allocate(byteCount: max(total, 1), alignment: 1)
        storage.copyBytes(from: bytes)
        vectors = .allocate(capacity: lengths.count)
        var at = 0
        for (index, length) in lengths.enumerated() {
            vectors[index] = iovec(iov_base: storage.baseAddress! + at, iov_len: length)
            at += length
        }
    }

    deinit {
        storage.deallocate()
        vectors.deallocate()
    }

    /// Calls `check` with what `consume` leaves after `written` bytes, and the vectors as they were before.
    func consumed(_ written: Int, _ check: (UnsafeMutableBufferPointer<iovec>, [iovec]) -> Void) {
        let original = Array(vectors)
        check(GatheringWrite.consume(written, of: vectors), original)
    }

    /// The bytes `vectors` point at, in order.
    static func bytes(of vectors: UnsafeMutableBufferPointer<iovec>) -> [UInt8] {
        vectors.flatMap { Array(UnsafeRawBufferPointer(start: $0.iov_base, count: $0.iov_len)) }
    }
}
