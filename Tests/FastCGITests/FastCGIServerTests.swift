import FastCGI
import Testing

/// libfcgi reads and answers every request; the server's epoll set hands connections to the thread. One serving
/// thread throughout, so a connection that tied it up would stall every later step (and the test with it).
@Suite(.serialized) struct FastCGIServerTests {
    @Test func aKeptConnectionCarriesOneRequestAfterAnother() throws {
        let worker = try EchoWorker(name: "kept")
        let peer = TestPeer(path: worker.path)
        #expect(peer.roundTrip("/first") == EchoWorker.echo("/first"))
        #expect(peer.roundTrip("/second", id: 2) == EchoWorker.echo("/second"))
        peer.close()
        worker.finish()
    }

    @Test func anIdleKeptConnectionDoesNotHoldTheOnlyThread() throws {
        let worker = try EchoWorker(name: "idle")
        let idle = TestPeer(path: worker.path)
        #expect(idle.roundTrip("/idle") == EchoWorker.echo("/idle"))
        let other = TestPeer(path: worker.path)
        #expect(other.roundTrip("/other") == EchoWorker.echo("/other"))
        #expect(idle.roundTrip("/again") == EchoWorker.echo("/again"))
        idle.close()
        other.close()
        worker.finish()
    }

    @Test func withoutKeepConnTheConnectionIsClosedAfterTheAnswer() throws {
        let worker = try EchoWorker(name: "close")
        let peer = TestPeer(path: worker.path)
        #expect(peer.roundTrip("/once", keep: false) == EchoWorker.echo("/once"))
        #expect(peer.isClosedByWorker())
        peer.close()
        worker.finish()
    }

    @Test func aPeerLeavingMidRequestOrClosingAKeptConnectionLeavesTheThreadServing() throws {
        let worker = try EchoWorker(name: "leave")
        let kept = TestPeer(path: worker.path)
        #expect(kept.roundTrip("/kept") == EchoWorker.echo("/kept"))
        kept.close()
        let partial = TestPeer(path: worker.path)
        partial.send(uri: "/partial", keep: true, limit: 20)
        partial.close()
        let next = TestPeer(path: worker.path)
        #expect(next.roundTrip("/next") == EchoWorker.echo("/next"))
        next.close()
        worker.finish()
    }

    /// 200,000 bytes take four records and more than one socket buffer; 0 is an answer that is its head alone.
    @Test(arguments: ["/large/200000", "/large/0"])
    func anAnswerOfAnySizeArrivesWholeAndTheKeptConnectionCarriesTheNextRequest(uri: String) throws {
        let worker = try EchoWorker(name: "size-\(uri.split(separator: "/").last ?? "")")
        let peer = TestPeer(path: worker.path)
        #expect(peer.roundTrip(uri) == EchoWorker.echo(uri))
        #expect(peer.roundTrip("/after", id: 2) == EchoWorker.echo("/after"))
        peer.close()
        worker.finish()
    }

    /// The worker reads stdin to its end (or 64 KiB of it) before the end of the request goes out: the answer must
    /// not start while stdin is still coming. Stdin is sent after the params, in two steps: once the worker has
    /// read its first record (the peer's send queue is empty), the worker is either still in `respond` waiting for
    /// the end of stdin (as it must be: nothing has arrived), or it answered before reading any stdin (the answer
    /// would be here already: written before the read that took the record).
    @Test func anAnswerWaitsForTheEndOfStdinAndTheKeptConnectionCarriesTheNextRequest() throws {
        let worker = try EchoWorker(name: "stdin-order")
        let peer = TestPeer(path: worker.path)
        peer.send(TestPeer.begin(uri: "/later", keep: true, id: 1))
        #expect(peer.waitUntilWorkerReadEverything())
        #expect(peer.nothingArrivedYet())
        peer.send(TestPeer.stdin(Array("a body".utf8), id: 1, end: false))
        #expect(peer.waitUntilWorkerReadEverything())
        #expect(peer.nothingArrivedYet())
        peer.send(TestPeer.stdin([], id: 1))
        #expect(peer.answer(id: 1) == EchoWorker.echo("/later"))
        #expect(peer.roundTrip("/next", id: 2) == EchoWorker.echo("/next"))
        peer.close()
        worker.finish()
    }

    /// The worker reads at most 64 KiB of stdin (nginx sends none); a request whose stdin goes on past that is
    /// answered, and its connection is then closed, not kept: its next bytes would be the rest of that stdin, which
    /// libfcgi would take for the start of the next request. Whether the rest is sent at once (libfcgi reads 8 kB
    /// at a time, so here it has read the rest into the buffer it drops with the request) or held back (not sent
    /// yet when the answer goes out), a connection wrongly kept would stay open and idle: the peer would not see
    /// the worker close it.
    @Test(arguments: [true, false])
    func aKeptRequestWithStdinPast64KiBIsAnsweredAndItsConnectionClosed(restHeldBack: Bool) throws {
        let worker = try EchoWorker(name: "big-stdin-\(restHeldBack)")
        let peer = TestPeer(path: worker.path)
        let body = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        let request = TestPeer.begin(uri: "/big-stdin", keep: true, id: 1) + TestPeer.stdin(body, id: 1)
        // Held back: the last 100 bytes of stdin and its end; the worker's 64 KiB are all there.
        peer.send(Array(request.dropLast(restHeldBack ? 108 : 0)))
        #expect(peer.answer(id: 1) == EchoWorker.echo("/big-stdin"))
        #expect(peer.isClosedByWorker())
        peer.close()
        let next = TestPeer(path: worker.path)
        #expect(next.roundTrip("/next") == EchoWorker.echo("/next"))
        next.close()
        worker.finish()
    }

    /// A peer that stops reading in the middle of a large answer (nginx closing a connection whose client left)
    /// fails the worker's write; the worker closes that connection and serves the next peer. 8 MB cannot fit in
    /// the socket's buffers, so once its first bytes have arrived the worker is still writing it.
    @Test func anAnswerThePeerStopsReadingFailsAndTheWorkerClosesItAndServesTheNext() throws {
        let worker = try EchoWorker(name: "write-fails")
        let leaving = TestPeer(path: worker.path)
        leaving.send(uri: "/large/8000000", keep: true)
        #expect(leaving.waitForAnswerToStart())
        leaving.stopReading()
        #expect(leaving.waitForWorkerToClose())
        let next = TestPeer(path: worker.path)
        #expect(next.roundTrip("/next") == EchoWorker.echo("/next"))
        leaving.close()
        next.close()
        worker.finish()
    }
}
