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
}
