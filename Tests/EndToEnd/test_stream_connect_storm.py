"""A connect storm while events flow: every client gets every event numbered after its `connected`.

2,000 clients connect at once, directly to a sidecar of this test's own (nginx's per-address cap is not what this
proves), while the engine notifies at 50 events/s. Each client's first event must be `connected.seq + 1` and
its seqs must then rise by one up to the last event sent (docs/CONTRACT.md: "a client never misses an event sent
after it saw `connected`"). The test waits for observable states only (every client connected; every client holding
the last event sent); its deadlines are hang guards, never a speed bound.

The clients are raw non-blocking sockets in two processes (a WebSocket library costs too much per frame for
2,000 clients × ~100 events in Python). The sidecar runs with a ping timeout of an hour: on a busy machine these
clients read seconds behind and would answer the test stack's 5 s timeout late; liveness is proven elsewhere
(test_stream_keepalive.py), and here it would only make the outcome depend on the machine's speed.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import pathlib
import resource
import selectors
import socket
import struct
import subprocess
import threading
import time
import traceback

import pytest
import requests

from test_stream_support import client_frame, unique_strategy

CLIENTS = 2000
PROCESSES = 2
RATE = 50  # events per second while the clients connect
AFTER = 25  # events sent once every client is connected
HANG_GUARD = 600.0  # seconds: only a hang ever reaches it (a machine at load 15 took 90 s to connect 2,000)


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory):
    """This test's own elpyfi-stream (LISTEN on the test database), on a free port; yields (host, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))  # inherited by the sidecar
    binary = pathlib.Path(os.environ.get("ELPYFI_TEST_BIN_DIR", ".build/release")) / "elpyfi-stream"
    env = {**os.environ, "ELPYFI_STREAM_LISTEN": f"127.0.0.1:{port}", "ELPYFI_STREAM_ID": "9",
           "ELPYFI_STREAM_PING_SECONDS": "30", "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "3600"}
    log = tmp_path_factory.mktemp("storm") / "stream.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/stream/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the storm's sidecar never listened"
            time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(30)


class _Client:
    """One raw WebSocket client: handshake, then frames; records what the test checks."""

    def __init__(self, sock: socket.socket, strategy: str):
        self.sock = sock
        self.strategy = strategy
        self.buffer = b""
        self.requested = False
        self.upgraded = False
        self.connected_seq: int | None = None
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.last_index = -1
        self.problems: list[str] = []
        self.closed = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            status = head.split(b" ", 2)[1]
            if status != b"101":
                self.problems.append(f"upgrade answered {status.decode()}")
                self.closed = True
                return
            self.upgraded, self.buffer = True, rest
        while len(self.buffer) >= 2:
            opcode, length, offset = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
            elif length == 127:
                if len(self.buffer) < 10:
                    return
                length, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < offset + length:
                return
            payload, self.buffer = self.buffer[offset:offset + length], self.buffer[offset + length:]
            self.frame(opcode, payload)

    def frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x9:  # ping: answer, or the sidecar drops us
            try:
                self.sock.sendall(client_frame(0xA, payload))
            except OSError as error:
                self.problems.append(f"pong failed: {error}")
                self.closed = True
            return
        if opcode == 0x8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            self.problems.append(f"closed by the sidecar with {code} {payload[2:].decode()}")
            self.closed = True
            return
        if opcode != 0x1:
            return
        message = json.loads(payload)
        if message["type"] == "connected":
            self.connected_seq = message["seq"]
            return
        if self.connected_seq is None or message["type"] in ("stream.gap", "stream.resumed"):
            self.problems.append(f"{message['type']} (seq {message.get('seq')}, connected at {self.connected_seq})")
            return
        # Every event counts, whoever sent it (the stream is unfiltered): each seq after `connected` arrives once.
        seq = message["seq"]
        expected = (self.last_seq if self.last_seq is not None else self.connected_seq) + 1
        if seq != expected and len(self.problems) < 3:
            self.problems.append(f"seq {seq} where {expected} was due (connected at {self.connected_seq})")
        if self.first_seq is None:
            self.first_seq = seq
        self.last_seq = seq
        data = message.get("data")
        if message["type"] == "storm.tick" and isinstance(data, dict) and data.get("strategy") == self.strategy:
            self.last_index = data["i"]


def _client_process(conn, *args) -> None:
    """`_clients`, reporting a failure to the parent instead of leaving it waiting."""
    try:
        _clients(conn, *args)
    except BaseException:
        conn.send(("failed", traceback.format_exc()))


def _clients(conn, count: int, host: str, port: int, strategy: str, key: str) -> None:
    """Connects `count` clients at once, reports when all saw `connected`, then reads until each holds the event
    the parent names as the last one, and sends back each client's record."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    selector = selectors.DefaultSelector()
    clients = []
    # The whole stream, unfiltered: another sender's events must arrive too, and keep the seqs contiguous.
    request = (f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"X-API-Key: {key}\r\n\r\n").encode()
    # Every connect is started at once (non-blocking); each sends its upgrade as soon as its socket is writable.
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((host, port))
        client = _Client(sock, strategy)
        clients.append(client)
        selector.register(sock, selectors.EVENT_WRITE, client)
    selector.register(conn, selectors.EVENT_READ, None)
    last_index = None
    reported_connected = False
    deadline = time.monotonic() + HANG_GUARD
    connect_deadline = time.monotonic() + HANG_GUARD / 2  # then report what is still pending, not hang
    while time.monotonic() < deadline:
        for key_, _ in selector.select(timeout=0.2):
            if key_.data is None:
                last_index = conn.recv()
                continue
            client = key_.data
            if not client.requested:
                client.requested = True
                try:
                    client.sock.sendall(request)
                except OSError as error:
                    client.problems.append(f"upgrade request failed: {error}")
                    client.closed = True
                    selector.unregister(client.sock)
                    continue
                selector.modify(client.sock, selectors.EVENT_READ, client)
                continue
            try:
                data = client.sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as error:
                data, client.problems = b"", client.problems + [f"socket error {error}"]
            if not data:
                client.closed = True
                selector.unregister(client.sock)
                continue
            client.feed(data)
        settled = all(c.connected_seq is not None or c.closed for c in clients)
        if not reported_connected and (settled or time.monotonic() > connect_deadline):
            states = {"connected": sum(c.connected_seq is not None for c in clients),
                      "closed": sum(c.closed for c in clients),
                      "no upgrade request sent": sum(not c.requested for c in clients),
                      "no 101 yet": sum(c.requested and not c.upgraded and not c.closed for c in clients),
                      "101 but no connected yet": sum(c.upgraded and c.connected_seq is None and not c.closed for c in clients)}
            conn.send(("connected", states))
            reported_connected = True
        if last_index is not None and all(c.last_index >= last_index or c.closed for c in clients):
            break
    conn.send(("done", [(c.connected_seq, c.first_seq, c.last_seq, c.last_index, c.problems) for c in clients]))
    for client in clients:
        client.sock.close()


def test_every_client_gets_every_event_after_connected_during_a_connect_storm(sidecar, api_key, db):
    strategy = unique_strategy("storm")
    sent = {"last": -1}
    stop_at = {"index": None}
    sender_failed: list[BaseException] = []

    def send_events():
        try:
            i = 0
            t0 = time.monotonic()
            while stop_at["index"] is None or i <= stop_at["index"]:
                due = t0 + i / RATE
                time.sleep(max(0.0, due - time.monotonic()))
                db.notify({"type": "storm.tick", "data": {"strategy": strategy, "i": i}})
                sent["last"] = i
                i += 1
        except BaseException as error:  # reported by the test, never swallowed
            sender_failed.append(error)

    sender = threading.Thread(target=send_events, daemon=True)
    sender.start()
    ctx = mp.get_context("fork")
    pipes, processes = [], []
    try:
        # Events are already flowing (seq well past 0) when the storm begins.
        deadline = time.monotonic() + HANG_GUARD
        while sent["last"] < 10 and not sender_failed and time.monotonic() < deadline:
            time.sleep(0.02)
        t_storm = time.monotonic()
        for n in range(PROCESSES):
            parent, child = ctx.Pipe()
            share = CLIENTS // PROCESSES + (1 if n < CLIENTS % PROCESSES else 0)
            proc = ctx.Process(target=_client_process, args=(child, share, *sidecar, strategy, api_key),
                               daemon=True)
            proc.start()
            pipes.append(parent)
            processes.append(proc)
        connected, states = 0, []
        for pipe in pipes:
            assert pipe.poll(HANG_GUARD), "a client process hung while connecting"
            kind, state = pipe.recv()
            assert kind == "connected", state
            connected += state["connected"]
            states.append(state)
        print(f"storm: {connected} connected at event {sent['last']}, {time.monotonic() - t_storm:.1f} s")
        assert connected == CLIENTS, f"{CLIENTS - connected} clients never saw connected: {states}"
        # Every client is in; the events keep flowing a little longer, then stop at a known last one.
        stop_at["index"] = sent["last"] + AFTER
        sender.join(HANG_GUARD)
        assert not sender_failed, sender_failed
        assert sent["last"] == stop_at["index"]
        records = []
        for pipe in pipes:
            pipe.send(sent["last"])
        for pipe in pipes:
            assert pipe.poll(HANG_GUARD), "a client process hung while reading"
            kind, result = pipe.recv()
            assert kind == "done", result
            records += result
        print(f"storm: all read after {time.monotonic() - t_storm:.1f} s")
    finally:
        stop_at["index"] = -1
        for proc in processes:
            proc.join(10)
            if proc.is_alive():
                proc.kill()

    problems = [(n, r) for n, r in enumerate(records) if r[4] or r[1] != r[0] + 1 or r[3] != sent["last"]]
    assert not problems, (f"{len(problems)} of {CLIENTS} clients missed events after connected; first few "
                          f"(connected seq, first seq, last seq, last index, problems): {problems[:5]}")
