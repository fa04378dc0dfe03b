#!/usr/bin/env python3
"""stream_instructions.py: the cost of one delivered frame inside a running sidecar, counted, not timed.

Connects --clients light clients (raw asyncio sockets, one process: they only count a marker in what they read)
to --url, waits for every `connected`, sends --warmup events, then measures --events more, in lockstep: each event
goes out by `pg_notify` only once every client has read the one before, so each reaches the sidecar alone and is
written to every client alone (one write and one flush per client per event: the pattern of a few events a second,
and the same on every run however busy the machine is). Around the measured events:

  --callgrind PID --callgrind-glob GLOB   callgrind_control -z / -d of the sidecar under valgrind: instructions (Ir),
                                          less those of the hub's 1 s timer (reported apart: it runs per second)
  --perf PID                              perf stat tracepoints of the native sidecar: system calls by kind, context
                                          switches; and utime/stime from /proc (these two depend on load: context)

Prints one JSON line: clients, frames delivered in the measured part, and the counts.
"""
import argparse
import asyncio
import glob
import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import psycopg

MARK = b'"type":"bench.tick"'
CONNECTED = b'"type":"connected"'
PERF_EVENTS = ["raw_syscalls:sys_enter", "syscalls:sys_enter_write", "syscalls:sys_enter_writev",
               "syscalls:sys_enter_sendmsg", "syscalls:sys_enter_sendto", "syscalls:sys_enter_epoll_wait", "syscalls:sys_enter_read",
               "context-switches"]


class Counter:
    """What every client has read so far, summed: the lockstep waits on `ticks`."""

    def __init__(self, clients: int):
        self.clients = clients
        self.ready = 0
        self.ticks = 0
        self.lost = 0
        self.waiting: tuple[int, asyncio.Future] | None = None

    def changed(self) -> None:
        if self.waiting and (self.ticks >= self.waiting[0] or self.lost) and not self.waiting[1].done():
            self.waiting[1].set_result(None)

    async def until(self, ticks: int) -> None:
        self.waiting = (ticks, asyncio.get_running_loop().create_future())
        self.changed()
        await self.waiting[1]
        if self.lost:
            sys.exit(f"stream_instructions: {self.lost} client(s) lost their connection")


class Client(asyncio.Protocol):
    """Counts MARK in the bytes it reads (the marker is inside one frame's payload, so no framing is parsed)."""

    def __init__(self, counter: Counter, request: bytes):
        self.counter = counter
        self.request = request
        self.head = b""
        self.ready = False
        self.tail = b""

    def connection_made(self, transport) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.ready:
            self.head += data
            if CONNECTED not in self.head:
                return
            self.ready = True
            self.counter.ready += 1
            data, self.head = self.head[self.head.index(CONNECTED):], b""
        buf = self.tail + data
        self.counter.ticks += buf.count(MARK)
        self.tail = buf[-(len(MARK) - 1):]
        self.counter.changed()

    def connection_lost(self, exc) -> None:
        self.counter.lost += 1
        self.counter.changed()


def request_for(url, key: str) -> bytes:
    path = url.path + (f"?{url.query}" if url.query else "")
    head = f"GET {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nX-API-Key: {key}\r\n"
    if url.scheme == "ws":
        head += ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    else:
        head += "Accept: text/event-stream\r\n"
    return (head + "\r\n").encode()


def proc_times(pid: int) -> tuple[float, float]:
    """utime and stime of the whole process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def callgrind_total(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit(f"stream_instructions: no total in {path}")


def timer_ir(path: str) -> int:
    """Inclusive Ir of the hub's once-a-second timer (pings, drops): charged per second, not per frame, and a run
    under callgrind lasts as long as the machine is slow, so it is reported apart, not per frame."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    costs = [int(line.split()[0].replace(",", "")) for line in out.splitlines()
             if "9StreamHubC7started" in line and "U_" in line and line.strip()[0].isdigit()]
    return max(costs, default=0)


def perf_counts(path: str) -> dict:
    counts = {}
    with open(path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) > 2 and parts[0].replace(".", "").isdigit():
                counts[parts[2]] = int(float(parts[0]))
    return counts


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="ws://HOST:PORT/ws or http://HOST:PORT/sse")
    p.add_argument("--key", required=True)
    p.add_argument("--notify-dsn", required=True)
    p.add_argument("--clients", type=int, default=2000)
    p.add_argument("--events", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--callgrind", type=int)
    p.add_argument("--callgrind-glob")
    p.add_argument("--perf", type=int)
    p.add_argument("--perf-out")
    args = p.parse_args()
    url = urlsplit(args.url)
    counter = Counter(args.clients)
    loop = asyncio.get_running_loop()
    request = request_for(url, args.key)
    transports = []
    for start in range(0, args.clients, 200):
        batch = [loop.create_connection(lambda: Client(counter, request), url.hostname, url.port)
                 for _ in range(start, min(args.clients, start + 200))]
        transports += [t for t, _ in await asyncio.gather(*batch)]
    while counter.ready < args.clients:
        if counter.lost:
            sys.exit(f"stream_instructions: {counter.lost} client(s) refused or closed before `connected`")
        await asyncio.sleep(0.05)

    db = psycopg.connect(args.notify_dsn, autocommit=True)
    sent = 0

    async def send(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            body = '{"type":"bench.tick","data":{"strategy":"bench","symbol":"SPY","i":%d},"timestamp":"%s"}' % (
                sent, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            db.execute("SELECT pg_notify('trading_events', %s)", (body,))
            sent += 1
            await counter.until(sent * args.clients)

    await send(args.warmup)
    result = {"clients": args.clients, "events": args.events, "frames": args.clients * args.events,
              "transport": url.scheme}
    if args.callgrind:
        subprocess.run(["callgrind_control", "-z", str(args.callgrind)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = set(glob.glob(args.callgrind_glob))
        await send(args.events)
        subprocess.run(["callgrind_control", "-d", str(args.callgrind)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not (new := set(glob.glob(args.callgrind_glob)) - before) and time.time() < deadline:
            await asyncio.sleep(0.2)
        if not new:
            sys.exit("stream_instructions: callgrind wrote no dump")
        await asyncio.sleep(0.5)  # the dump is written whole before the next poll
        dump = max(new, key=os.path.getmtime)
        result["ir_timer"] = timer_ir(dump)
        result["ir"] = callgrind_total(dump) - result["ir_timer"]
    if args.perf:
        cpu0 = proc_times(args.perf)
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", args.perf_out, "-e", ",".join(PERF_EVENTS),
                                 "-p", str(args.perf)], stderr=subprocess.DEVNULL)
        await asyncio.sleep(1)  # perf attaches to every thread before the first event
        await send(args.events)
        perf.send_signal(signal.SIGINT)
        perf.wait()
        cpu1 = proc_times(args.perf)
        result["utime"], result["stime"] = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        result["perf"] = perf_counts(args.perf_out)
    if counter.ticks != sent * args.clients:
        sys.exit(f"stream_instructions: {counter.ticks} ticks read, {sent * args.clients} expected")
    for t in transports:
        t.close()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
