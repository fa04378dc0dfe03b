import FastCGI
import Testing

/// libfcgi reads and answers every request; the server's epoll set hands connections to the thread. One serving
/// thread throughout, so a connection that tied it up would stall every later step (and the test with it).
@Suite(.serialized) struct FastCGIServerTests {
    @Test func aKeptConnectionCarriesOneRequestAfterAnother() throws {
        let worker = try EchoWorker(name: "kept")
        let peer = TestPeer(path: worker.path)
        peer.send(uri: "/first", keep: true)
        #expect(peer.answer() == "Status: 200 OK\r\n\r\n/first")
        peer.send(uri: "/second", keep: true, id: 2)
        #expect(peer.answer() == "Status: 200 OK\r\n\r\n/second")
        peer.close()
        worker.finish()
    }

    @Test func anIdleKeptConnectionDoesNotHoldTheOnlyThread() throws {
        let worker = try EchoWorker(name: "idle")
        let idle = TestPeer(path: worker.path)
        idle.send(uri: "/idle", keep: true)
        #expect(idle.answer() == "Status: 200 OK\r\n\r\n/idle")
        let other = TestPeer(path: worker.path)
        other.send(uri: "/other", keep: true)
        #expect(other.answer() == "Status: 200 OK\r\n\r\n/other")
        idle.send(uri: "/again", keep: true)
        #expect(idle.answer() == "Status: 200 OK\r\n\r\n/again")
        idle.close()
        other.close()
        worker.finish()
    }

    @Test func withoutKeepConnTheConnectionIsClosedAfterTheAnswer() throws {
        let worker = try EchoWorker(name: "close")
        let peer = TestPeer(path: worker.path)
        peer.send(uri: "/once", keep: false)
        #expect(peer.answer() == "Status: 200 OK\r\n\r\n/once")
        #expect(peer.isClosedByWorker())
        peer.close()
        worker.finish()
    }

    @Test func aPeerLeavingMidRequestOrClosingAKeptConnectionLeavesTheThreadServing() throws {
        let worker = try EchoWorker(name: "leave")
        let kept = TestPeer(path: worker.path)
        kept.send(uri: "/kept", keep: true)
        #expect(kept.answer() == "Status: 200 OK\r\n\r\n/kept")
        kept.close()
        let partial = TestPeer(path: worker.path)
        partial.send(uri: "/partial", keep: true, limit: 20)
        partial.close()
        let next = TestPeer(path: worker.path)
        next.send(uri: "/next", keep: true)
        #expect(next.answer() == "Status: 200 OK\r\n\r\n/next")
        next.close()
        worker.finish()
    }
}
