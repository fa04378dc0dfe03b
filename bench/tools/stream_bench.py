#!/usr/bin/env python3
"""stream_bench.py: one fan-out scenario against one target, printed as one JSON line.

A sender process publishes events at a fixed rate, each carrying its send time (`data.sent`, epoch seconds);
client processes (picows, an asyncio WebSocket client written in Cython; for an http:// --url, Server-Sent Events,
an asyncio.Protocol that does per message what picows leaves to Python: find one line, slice it) hold the connections and
record, per event, receive time - send time. The generator reports its own CPU so a reader can see it was
not the bottleneck. The target's RSS is sampled idle, with the clients connected, and at its peak under load.

  stream_bench.py --url ws://127.0.0.1:9020/ws --notify-dsn postgresql://... --clients 1000 --rate 20 --seconds 15
  stream_bench.py --url ws://127.0.0.1:P/sub/bench --publish-url http://127.0.0.1:P/pub/bench ...   (nchan)

Ours: events go out by `pg_notify('trading_events', json)` (the engine's path); the client is ready once it got
`{"type":"connected"}`. nchan: by HTTP POST to its publisher location; ready on the upgrade.
Clients bind to 127.0.0.2, 127.0.0.3, ... (--per-address each) so a per-address connection limit
(nginx's limit_conn on /ws) and the ephemeral port range are not what is measured. Several --url (e.g. two
sidecars) are used in turn, client i on url i mod n; wss:// URLs skip certificate checks (the dev stack's is
self-signed). --cpu NAME=PID (repeatable) reports the CPU that PID and its children used from the first event
to the last one received: in cores, and in microseconds per delivered frame.

Faults (bench/fault): --vanish makes the last client process exit abruptly halfway through the events (its
sockets close unread, mid-burst); the others' figures are what counts. --storm N connects N more clients as
fast as they go a third of the way in (from 127.0.0.200 up). Every client checks that the events it gets come
in send order without repeats ("order_violations"). "rss_after_kb" is the target's RSS 3 s after all left.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import time
import uuid
from array import array

MARK = b'"sent":'
INDEX = b'"i":'


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime of `pids` (clock ticks)."""
    total = 0
    for pid in pids:
        try:
            raw = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total


def expand_pids(pids: list[int]) -> list[int]:
    """The listed processes and their direct children (an nginx master's workers)."""
    out = list(pids)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            ppid = int(raw[raw.rindex(")") + 2 :].split()[1])
            if ppid in pids:
                out.append(int(entry))
    return out


# ---------------------------------------------------------------- clients

def stalled_clients(url: str, n: int, key: str) -> list:
    """`n` clients that complete the WebSocket handshake and then never read (4 kB receive buffers)."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    out = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.199", 0))
        s.connect((u.hostname, u.port))
        s.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                   f"X-API-Key: {key}\r\n\r\n").encode())
        out.append(s)
    return out


def client_main(conn, args, first_index: int, count: int, progress, vanish: bool = False, storm: bool = False) -> None:
    """One client process: connect `count` clients, record latencies until told to stop, send results back."""
    import picows
    import ssl

    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    run = args.run.encode()
    latencies = array("d")
    received = [0] * count
    ready = [False] * count
    state = {"ready": 0, "closed": 0, "errors": 0, "first_error": "", "disorder": 0, "seq_gaps": 0}
    # Ours: the seq each client is due next (`connected.seq + 1`, then one more per event); a frame with another
    # seq is an event missed after `connected` (the demo events are paused, so the bench's are the only ones).
    next_seq = [None] * count
    last_index = [-1] * count
    ours = args.publish_url is None

    def mark_ready(slot: int):
        if not ready[slot]:
            ready[slot] = True
            state["ready"] += 1

    def on_message(slot: int, data: bytes):
        """One message's JSON (a WebSocket text frame or an SSE `data:` line): latency, order, seq."""
        now = time.time()
        at = data.find(MARK)
        if at < 0 or run not in data:
            if ours and b'"connected"' in data:
                next_seq[slot] = json.loads(data)["seq"] + 1
                mark_ready(slot)
            return
        end = at + len(MARK)
        stop = end
        while data[stop] not in b",}":
            stop += 1
        latencies.append(now - float(data[end:stop]))
        at = data.find(INDEX)
        if at >= 0:
            end = at + len(INDEX)
            stop = end
            while data[stop] not in b",}":
                stop += 1
            index = int(data[end:stop])
            if index <= last_index[slot]:
                state["disorder"] += 1
            last_index[slot] = index
        received[slot] += 1
        if ours and next_seq[slot] is not None:
            at = data.rfind(b'"seq":')
            end = at + 6
            while 48 <= data[end] <= 57:
                end += 1
            seq = int(data[at + 6:end])
            if seq != next_seq[slot]:
                state["seq_gaps"] += 1
            next_seq[slot] = seq + 1
        progress.value += 1

    class Listener(picows.WSListener):
        def __init__(self, slot: int):
            self.slot = slot

        def on_ws_connected(self, transport):
            if not ours:
                mark_ready(self.slot)

        def on_ws_frame(self, transport, frame):
            if frame.msg_type != picows.WSMsgType.TEXT:
                if frame.msg_type == picows.WSMsgType.CLOSE:
                    transport.disconnect()
                return
            on_message(self.slot, frame.get_payload_as_bytes())

        def on_ws_disconnected(self, transport):
            state["closed"] += 1

    # One receive buffer for every SSE response of this process (each read is handled before the next begins).
    read_view = memoryview(bytearray(1 << 16))

    class SseClient(asyncio.BufferedProtocol):
        """One Server-Sent Events response (an http:// --url: our /sse*, or nchan's EventSource subscriber), as light
        as the WebSocket client: like picows it reads into a buffer it keeps (a plain Protocol costs a 256 kB
        allocation per read: asyncio's recv(262144)), and per message it finds the `data:` line and hands that one
        slice to on_message, as picows hands over one frame's payload; `id:`, `retry:` and comment lines are
        skipped without being cut out. A chunked response (nginx, nchan) is unframed on the way with a find and an
        int() per chunk."""

        def __init__(self, slot: int, path: str, host: str):
            self.slot, self.request = slot, (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
                f"X-API-Key: {args.key}\r\n\r\n").encode()
            self.head = b""  # the response head until it is complete; None after it
            self.chunked = False
            self.left = 0  # bytes still due in the current chunk (then its CRLF)
            self.raw = b""  # chunked framing cut short by a read
            self.text = b""  # the unframed event stream that a read cut short

        def connection_made(self, transport):
            transport.write(self.request)

        def get_buffer(self, sizehint):
            return read_view

        def buffer_updated(self, nbytes):
            self.data_received(read_view[:nbytes].tobytes())

        def data_received(self, data):
            if self.head is not None:  # the status line and headers (a refusal is a failed connect)
                data = self.head + data
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    self.head = data
                    return
                head, data, self.head = data[:end], data[end + 4:], None
                if not head.startswith(b"HTTP/1.1 200"):
                    state["errors"] += 1
                    state["first_error"] = state["first_error"] or head.split(b"\r\n")[0].decode("latin-1")
                    return
                self.chunked = b"chunked" in head.lower()
                if not ours:
                    mark_ready(self.slot)
            if not self.chunked:
                return self.events(data)
            if self.raw:
                data, self.raw = self.raw + data, b""
            elif self.left == 0:  # the usual read: one whole chunk, one message
                end = data.find(b"\r\n")
                if end > 0 and data.endswith(b"\r\n"):
                    length = int(data[:end], 16)
                    if end + length + 4 == len(data) and length:
                        return self.events(data[end + 2:-2])
            pos, size = 0, len(data)
            while pos < size:
                if self.left == 0:  # a chunk's size line (after the CRLF that ended the last chunk, if any)
                    if data.startswith(b"\r\n", pos):
                        pos += 2
                    end = data.find(b"\r\n", pos)
                    if end < 0:
                        self.raw = data[pos:]
                        return
                    self.left = int(data[pos:end].split(b";", 1)[0], 16)
                    pos = end + 2
                    if self.left == 0:  # the last chunk: the response is over
                        return
                take = min(self.left, size - pos)
                self.events(data if take == size else data[pos:pos + take])
                self.left -= take
                pos += take

        def events(self, data):
            """Hands each complete `data:` line to on_message; keeps an unfinished one (or the few bytes that may
            start one) for the next read. The bench's JSON never holds `data: ` (a colon, then a space)."""
            text = self.text + data if self.text else data
            pos = 0
            while True:
                at = text.find(b"data: ", pos)
                if at < 0:
                    break
                end = text.find(b"\n", at + 6)
                if end < 0:
                    self.text = text[at:]
                    return
                on_message(self.slot, text[at + 6:end])
                pos = end + 1
            self.text = text[max(pos, len(text) - 5):]

        def connection_lost(self, exc):
            state["closed"] += 1

    async def connect_one(slot: int, sem: asyncio.Semaphore):
        index = first_index + slot
        src = f"127.0.0.{(200 if storm else 2) + index // args.per_address}"
        url = args.url[index % len(args.url)]
        async with sem:
            try:
                if url.startswith("http"):
                    from urllib.parse import urlsplit
                    u = urlsplit(url)
                    await asyncio.get_running_loop().create_connection(
                        lambda: SseClient(slot, u.path, u.netloc), u.hostname, u.port, local_addr=(src, 0))
                    return
                await picows.ws_connect(
                    lambda: Listener(slot), url, extra_headers={"X-API-Key": args.key},
                    ssl_context=tls if url.startswith("wss:") else None,
                    local_addr=(src, 0), read_buffer_init_size=2048, websocket_handshake_timeout=30,
                    enable_auto_pong=True)
            except Exception as err:  # counted and reported; one failed client never stops the run
                state["errors"] += 1
                if not state["first_error"]:
                    state["first_error"] = f"{type(err).__name__}: {err}"[:200]

    async def main():
        if storm:  # wait for the orchestrator's go, then connect everyone at once and report how long it took
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            t0 = time.time()
            await asyncio.gather(*(connect_one(i, asyncio.Semaphore(count)) for i in range(count)))
            while state["ready"] + state["errors"] < count and time.time() - t0 < 30:
                await asyncio.sleep(0.01)
            conn.send(("storm", state["ready"], state["errors"], round(time.time() - t0, 3), state["first_error"]))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            return
        sem = asyncio.Semaphore(args.connect_concurrency)
        await asyncio.gather(*(connect_one(i, sem) for i in range(count)))
        deadline = time.time() + 20
        while state["ready"] + state["errors"] < count and time.time() < deadline:
            await asyncio.sleep(0.05)
        conn.send(("ready", state["ready"], state["errors"], state["first_error"]))
        loop = asyncio.get_running_loop()
        # Wait for "go" / "stop" from the orchestrator without blocking the loop.
        reader = asyncio.Event()
        loop.add_reader(conn.fileno(), reader.set)
        cpu0 = wall0 = None
        while True:
            await reader.wait()
            reader.clear()
            while conn.poll():
                msg = conn.recv()
                if msg == "go":
                    if vanish:  # gone halfway through the events, sockets unread, no goodbye
                        loop.call_later(args.seconds / 2, os._exit, 0)
                    # No reset of `received`/`latencies` here: only this run's events (its `run` marker) are
                    # counted, and none is sent before "go". A reset raced the first events: a client process
                    # still busy when "go" came counted the frames that arrived meanwhile and then zeroed them,
                    # which read as events lost after `connected` (issue 15, (d) at 93.8 %).
                    cpu0, wall0 = time.process_time(), time.time()
                elif msg == "stop":
                    cpu = (time.process_time() - cpu0) / (time.time() - wall0) if cpu0 is not None else 0.0
                    conn.send(("done", latencies.tobytes(), received, state["closed"], cpu, state["disorder"],
                               state["seq_gaps"]))
                    return

    asyncio.run(main())


# ---------------------------------------------------------------- sender

def sender_main(conn, args) -> None:
    """Publishes `rate` events/s for `seconds` at fixed times; reports how many and how late it ran."""
    n = int(args.rate * args.seconds)
    if args.publish_url:
        import http.client
        from urllib.parse import urlsplit

        u = urlsplit(args.publish_url)
        http_conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)

        def send(body: str) -> None:
            http_conn.request("POST", u.path, body=body, headers={"Content-Type": "application/json"})
            http_conn.getresponse().read()
    else:
        import psycopg

        db = psycopg.connect(args.notify_dsn, autocommit=True)
        cur = db.cursor()

        def send(body: str) -> None:
            cur.execute("SELECT pg_notify('trading_events', %s)", (body,))

    conn.send("ready")
    conn.recv()  # go
    cpu0, t0 = time.process_time(), time.time()
    worst_late = 0.0
    for i in range(n):
        due = t0 + i / args.rate
        now = time.time()
        if due > now:
            time.sleep(due - now)
        else:
            worst_late = max(worst_late, now - due)
        # The scheduled time, not the moment the call is made: nchan's publish POST returns only once nchan has
        # fanned the message out, so a sender stamped with its own clock would hide nchan's backlog in the sender
        # (seen: 17 s late at 10,000 clients) while pg_notify returns at once. Stamping the schedule charges
        # every target for all of its backlog (no coordinated omission).
        sent = due
        body = ('{"type":"bench.tick","data":{"strategy":"bench","symbol":"SPY","run":"%s","i":%d,"sent":%.6f},'
                '"timestamp":"%s"}' % (args.run, i, sent, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sent))))
        send(body)
    wall = time.time() - t0
    conn.send(("done", n, wall, (time.process_time() - cpu0) / wall, worst_late))


# ---------------------------------------------------------------- orchestrator

def percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, action="append")
    p.add_argument("--notify-dsn")
    p.add_argument("--publish-url")
    p.add_argument("--key", default="")
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--per-address", type=int, default=90)
    p.add_argument("--connect-concurrency", type=int, default=200)
    p.add_argument("--grace", type=float, default=3.0, help="give up on missing events after this long without one")
    p.add_argument("--rss-pid", type=int, action="append", default=[], help="target process (and its children)")
    p.add_argument("--cpu", action="append", default=[], help="NAME=PID: CPU of PID and its children per frame")
    p.add_argument("--stalled", type=int, default=0, help="clients that upgrade and then never read")
    p.add_argument("--vanish", action="store_true", help="the last client process exits halfway through")
    p.add_argument("--storm", type=int, default=0, help="clients that connect at once a third of the way in")
    p.add_argument("--label", default="")
    args = p.parse_args()
    args.run = uuid.uuid4().hex[:12]
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)

    pids = expand_pids(args.rss_pid)
    rss_idle = rss_kb(pids)
    ctx = mp.get_context("fork")
    per = [args.clients // args.procs + (1 if i < args.clients % args.procs else 0) for i in range(args.procs)]
    clients = []
    counters = []
    first = 0
    t_connect = time.time()
    for n, count in enumerate(per):
        parent, child = ctx.Pipe()
        progress = ctx.RawValue("q", 0)  # events received so far, read by the orchestrator without a lock
        vanish = args.vanish and n == len(per) - 1
        proc = ctx.Process(target=client_main, args=(child, args, first, count, progress, vanish), daemon=True)
        proc.start()
        clients.append((proc, parent))
        counters.append(progress)
        first += count
    ready = errors = 0
    first_error = ""
    ready_per = []
    for _, pipe in clients:
        _, r, e, fe = pipe.recv()
        ready, errors = ready + r, errors + e
        ready_per.append(r)
        first_error = first_error or fe
    stalled = stalled_clients(args.url[0], args.stalled, args.key) if args.stalled else []
    storm = None
    if args.storm:
        storm_parent, storm_child = ctx.Pipe()
        storm_proc = ctx.Process(target=client_main, args=(storm_child, args, 0, args.storm, ctx.RawValue("q", 0)),
                                 kwargs={"storm": True}, daemon=True)
        storm_proc.start()
    # The vanishing process's clients are not waited for: the others' deliveries are what counts.
    staying = ready - (ready_per[-1] if args.vanish else 0)
    connect_seconds = time.time() - t_connect
    time.sleep(1.0)  # let the target settle before reading its RSS with everyone connected
    rss_connected = rss_kb(pids)

    s_parent, s_child = ctx.Pipe()
    sender = ctx.Process(target=sender_main, args=(s_child, args), daemon=True)
    sender.start()
    s_parent.recv()
    cpu_groups = {}
    for spec in args.cpu:
        name, pid = spec.split("=", 1)
        cpu_groups.setdefault(name, []).extend(expand_pids([int(pid)]))
    cpu0 = {name: cpu_ticks(group) for name, group in cpu_groups.items()}
    # Open descriptors per process of each group with everyone connected: how evenly nginx's workers share them.
    fds = {}
    for name, group in cpu_groups.items():
        counts_ = []
        for pid in group:
            try:
                counts_.append(len(os.listdir(f"/proc/{pid}/fd")))
            except OSError:
                pass
        fds[name] = counts_
    t_go = time.time()
    for _, pipe in clients:
        pipe.send("go")
    s_parent.send("go")
    rss_peak = rss_connected
    storm_due = time.time() + args.seconds / 3
    while not s_parent.poll(0.25):
        rss_peak = max(rss_peak, rss_kb(pids))
        if args.storm and storm is None and time.time() >= storm_due:
            storm_parent.send("go")
            storm = "started"
    _, sent, send_wall, sender_cpu, worst_late = s_parent.recv()
    # Events still in flight are waited for: until every one arrived, or nothing arrived for `grace` seconds
    # (then what is missing is counted as not delivered), at most 60 s.
    if args.storm:
        if storm is None:  # a send window shorter than its first third
            storm_parent.send("go")
        _, s_ready, s_errors, s_seconds, s_error = storm_parent.recv()
        storm = {"clients": args.storm, "connected": s_ready, "errors": s_errors, "seconds": s_seconds,
                 "first_error": s_error}
    vanished = [c for i, c in enumerate(counters) if args.vanish and i == len(counters) - 1]
    expected_now = sent * staying
    last_total, last_change, deadline = -1, time.time(), time.time() + 60
    while time.time() < deadline:
        rss_peak = max(rss_peak, rss_kb(pids))
        total = sum(c.value for c in counters if c not in vanished)
        if total >= expected_now:
            break
        if total != last_total:
            last_total, last_change = total, time.time()
        elif time.time() - last_change > args.grace:
            break
        time.sleep(0.1)
    cpu_wall = time.time() - t_go
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_seconds = {name: (cpu_ticks(group) - cpu0[name]) / ticks for name, group in cpu_groups.items()}
    lat = array("d")
    counts: list[int] = []
    closed = disorder = seq_gaps = 0
    client_cpu = []
    for n, (proc, pipe) in enumerate(clients):
        if args.vanish and n == len(clients) - 1:
            continue
        pipe.send("stop")
        _, raw, received, c, cpu, d, g = pipe.recv()
        lat.frombytes(raw)
        counts += received
        closed += c
        disorder += d
        seq_gaps += g
        client_cpu.append(round(cpu, 3))
    if args.storm:
        storm_parent.send("stop")
        storm_proc.join(timeout=30)
    for proc, _ in clients:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    sender.join(timeout=5)
    for sock in stalled:
        sock.close()
    time.sleep(3)  # everyone has left: does the target's memory come back?
    rss_after = rss_kb(pids)

    values = sorted(lat)
    expected = sent * staying
    result = {
        "label": args.label, "clients": args.clients, "connected": ready, "connect_errors": errors,
        "first_connect_error": first_error, "connect_seconds": round(connect_seconds, 2),
        "rate": args.rate, "seconds": args.seconds, "sent": sent, "send_seconds": round(send_wall, 3),
        "sender_worst_late_ms": round(worst_late * 1000, 2),
        "delivered": len(values), "expected": expected,
        "delivered_fraction": round(len(values) / expected, 6) if expected else 0.0,
        "clients_complete": sum(1 for c in counts if c == sent), "closed_during_run": closed,
        "p50_ms": round(percentile(values, 0.50) * 1000, 3), "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        "max_ms": round(values[-1] * 1000, 3) if values else None,
        "loadgen_cpu_per_client_proc": client_cpu, "loadgen_cpu_sender": round(sender_cpu, 3),
        "order_violations": disorder, "seq_gaps_after_connected": seq_gaps, "vanished": ready - staying, "stalled": len(stalled), "storm": storm, "rss_after_kb": rss_after,
        "rss_idle_kb": rss_idle, "rss_connected_kb": rss_connected, "rss_peak_kb": rss_peak,
        "rss_per_client_kb": round((rss_connected - rss_idle) / ready, 2) if ready else None,
        "fds": fds,
        "cpu": {name: {"cores": round(sec / cpu_wall, 3),
                       "us_per_frame": round(sec * 1e6 / len(values), 3) if values else None}
                for name, sec in cpu_seconds.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
