#!/usr/bin/env python3
"""soak.py: the whole stack for a long while under steady load and scheduled faults; judges leaks, 5xx, lost events.

Load, all through nginx: REST at a steady rate (--rest-rate, keep-alive connections, a mix of keyed paths and
/health), --clients WebSocket clients on /ws?strategy=<this run> that come and go (each stays a random time around
--life seconds, then leaves and a new one connects; picows in --procs processes, 90 per source address so nginx's
per-address cap is respected), and events at --event-rate by pg_notify, each numbered (`data.n`).
Faults, at fixed fractions of the run (for 30 minutes: a worker SIGKILLed at 5, 10, 15, 20 and 25 min, alternating
workers, and restarted as a supervisor would; PostgreSQL restarted at 5 %; the sidecar SIGKILLed and restarted at
10 %; nginx reloaded at 25 %). Each fault has a window: from just before it until the stack is healthy again + 5 s.
Every 10 s it samples each process's RSS and open descriptors from /proc (nginx = master + workers, PostgreSQL =
postmaster + backends), and at the end lets every client leave and samples until the descriptors are back.

Verdicts (exit 1 if any fails):
- growth: for each of our processes (workers, sidecar, nginx), over the last half of its last life (a life ends when
  the pid changes, and for nginx at a reload too; judged if it spans at least 30 % of the run), the least-squares slope of RSS, as growth over that half in percent of its
  mean: over --max-growth (5 %) is growth that does not flatten. The RSS at the end beside its value at 1/6 of the
  run (minute 5 of 30) is reported too (the issue's +10 % target);
- descriptors: each process's count after the clients left, against its count before they came (+ --fd-slack);
- 5xx: any REST answer >= 500, or a failed connection, outside a fault window;
- missed events: a client's connection is cut into segments at `connected`, `stream.resumed` and `stream.gap`
  (the latter two are allowed at a fault: the sidecar's LISTEN was re-established and the events meanwhile lost);
  within a segment it must receive, in order and once, every event committed after the segment began (lower bound:
  the time before the NOTIFY) and before it ended minus --grace seconds (upper bound: the time after the NOTIFY
  returned), except those committed in a fault window and those whose NOTIFY failed (the sender does not know).

Writes to --out: report.md, soak.svg (RSS and descriptors over time, faults marked), samples.jsonl, rest.log,
events.log, segments.jsonl.
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import multiprocessing as mp
import os
import random
import resource
import shlex
import signal
import subprocess
import threading
import time
import urllib.request
import uuid

from stream_bench import expand_pids, rss_kb  # noqa: E402 (bench/tools/: /proc readers shared with bench/stream)

SAMPLE_EVERY = 10.0
OURS = ("fcgi-", "stream", "nginx")  # roles judged for growth (PostgreSQL is reported, not judged)


# ---------------------------------------------------------------- the stack's processes (/proc)

def stack_env(run_dir: str) -> dict[str, str]:
    """stack.env as deploy/lib/stack.sh wrote it (NAME=value, shell-quoted; `export` lines too)."""
    out = {}
    for line in open(os.path.join(run_dir, "stack.env")):
        line = line.strip().removeprefix("export ")
        key, sep, value = line.partition("=")
        if sep:
            words = shlex.split(value)
            out[key] = words[0] if words else ""
    return out


def read_pid(path: str) -> int | None:
    try:
        pid = int(open(path).readline().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def role_pids(run_dir: str, env: dict[str, str]) -> dict[str, tuple[int, list[int]]]:
    """role -> (the pid that identifies this life of it, every pid counted for it)."""
    roles = {}
    for n in range(1, int(env.get("WORKERS", "2")) + 1):
        pid = read_pid(f"{run_dir}/fcgi-{n}.pid")
        if pid:
            roles[f"fcgi-{n}"] = (pid, [pid])
    pid = read_pid(f"{run_dir}/stream.pid")
    if pid:
        roles["stream"] = (pid, [pid])
    for role, path in (("nginx", f"{run_dir}/nginx.pid"), ("postgres", f"{env.get('PGDATA_DIR', '')}/postmaster.pid")):
        pid = read_pid(path)
        if pid:
            roles[role] = (pid, expand_pids([pid]))
    return roles


def proc_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sample(run_dir: str, env: dict[str, str], t0: float, phase: str, clients) -> dict:
    now = time.time()
    out = {"t": round(now - t0, 1), "phase": phase, "clients": clients.value, "roles": {}}
    for role, (ident, pids) in role_pids(run_dir, env).items():
        rss = rss_kb(pids)
        if rss:  # 0: just killed (a zombie has no memory left to count), not a sample of a live process
            out["roles"][role] = {"pid": ident, "rss_kb": rss, "fds": sum(proc_fds(p) for p in pids)}
    return out


# ---------------------------------------------------------------- load: events, REST, stream clients

def emitter_main(dsn: str, strategy: str, rate: float, stop_at: float, path: str) -> None:
    """pg_notify at `rate`/s; one line per event: n, time before the NOTIFY, time after it (-1: it failed, so
    whether it went out is unknown). Reconnects when PostgreSQL is gone."""
    import psycopg

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with open(path, "w", buffering=1) as log:
        conn = None
        start = time.time()
        n = 0
        while True:
            due = start + n / rate
            if due > stop_at:
                return
            if due > time.time():
                time.sleep(due - time.time())
            body = '{"type":"soak.tick","data":{"strategy":"%s","n":%d,"sent":%d},"timestamp":"%s"}' % (
                strategy, n, int(time.time() * 1000), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            before = time.time()
            try:
                if conn is None:
                    conn = psycopg.connect(dsn, autocommit=True, connect_timeout=2)
                conn.execute("SELECT pg_notify('trading_events', %s)", (body,))
                log.write(f"{n} {before:.6f} {time.time():.6f}\n")
            except psycopg.Error:
                log.write(f"{n} {before:.6f} -1\n")
                try:
                    if conn is not None:
                        conn.close()
                except psycopg.Error:
                    pass
                conn = None
            n += 1


REST_PATHS = ("/positions", "/signals/recent?limit=20", "/strategies", "/pdt/status", "/signals/proposed", "/health")


def rest_main(host: str, port: int, key: str, rate: float, stop_at: float, path: str, threads: int = 4) -> None:
    """REST at `rate`/s over `threads` keep-alive connections; one line per answer: time, status (0: no answer)."""
    import http.client

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()
    log = open(path, "w", buffering=1 << 16)

    def run(index: int) -> None:
        conn = None
        start = time.time() + index / rate
        i = 0
        while True:
            due = start + i * threads / rate
            if due > stop_at:
                return
            if due > time.time():
                time.sleep(due - time.time())
            elif time.time() - due > 1.0:  # held up (a fault): skip the missed slots rather than burst them out
                start += time.time() - due
            target = REST_PATHS[(i * threads + index) % len(REST_PATHS)]
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request("GET", target, headers={"X-API-Key": key})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = 0
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                log.write(f"{time.time():.3f} {status} {target}\n")

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    log.close()


def _int_after(data: bytes, mark: bytes) -> int | None:
    at = data.find(mark)
    if at < 0:
        return None
    end = stop = at + len(mark)
    while data[stop] not in b",}":
        stop += 1
    return int(data[end:stop])


def clients_main(url: str, key: str, first: int, count: int, life: float, ramp: float, stop_at: float,
                 path: str, connected, per_address: int = 90) -> None:
    """`count` client slots; each connects, stays a random time around `life` s, leaves, and a new one takes its
    place, until `stop_at`. Writes one JSON line per segment (see the module doc)."""
    import picows

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    out = open(path, "w", buffering=1 << 16)
    rng = random.Random(first)

    class Client(picows.WSListener):
        def __init__(self):
            self.segment = None
            self.closed = asyncio.Event()
            self.transport = None
            self.was_connected = False
            self.leaving: str | None = None
            self.left_at: float | None = None  # when it sent its close: the segment's end for what was due

        def start(self, kind: str, epoch: str | None) -> None:
            self.segment = {"start": time.time(), "kind": kind, "epoch": epoch, "first": None, "last": None,
                            "count": 0, "missing": [], "missing_count": 0, "disorder": 0, "seq": 0, "max_lag": 0.0}

        def end(self, reason: str) -> None:
            if self.segment is not None:
                self.segment.update(end=self.left_at or time.time(), reason=reason)
                self.segment.pop("seq")
                out.write(json.dumps(self.segment) + "\n")
            self.segment = None

        def on_ws_connected(self, transport):
            self.transport = transport

        def on_ws_frame(self, transport, frame):
            if frame.msg_type == picows.WSMsgType.CLOSE:
                transport.disconnect()
                return
            if frame.msg_type != picows.WSMsgType.TEXT:
                return
            data = frame.get_payload_as_bytes()
            if b'"soak.tick"' in data:
                s = self.segment
                if s is None:
                    return
                n, seq = _int_after(data, b'"n":'), _int_after(data, b'"seq":') or 0
                # Sent -> read here: the relay's delay plus this process's own (a busy load generator reads late).
                s["max_lag"] = max(s["max_lag"], time.time() - _int_after(data, b'"sent":') / 1000)
                if seq <= s["seq"]:
                    s["disorder"] += 1
                s["seq"] = seq
                if s["last"] is not None and n != s["last"] + 1:
                    if n <= s["last"]:
                        s["disorder"] += 1
                        return
                    s["missing_count"] += n - s["last"] - 1
                    s["missing"].extend(range(s["last"] + 1, min(n, s["last"] + 1 + max(0, 200 - len(s["missing"])))))
                if s["first"] is None:
                    s["first"] = n
                s["last"] = n
                s["count"] += 1
                return
            kind = next((k for k in ("connected", "stream.resumed", "stream.gap") if f'"{k}"'.encode() in data), None)
            if kind is None:
                return
            if kind == "connected":
                self.was_connected = True
                with connected.get_lock():
                    connected.value += 1
            else:
                self.end(kind)
            epoch = data[data.find(b'"epoch":"') + 9:].split(b'"', 1)[0].decode()
            self.start(kind, epoch)

        def on_ws_disconnected(self, transport):
            self.end(self.leaving or "closed")
            if self.was_connected:
                with connected.get_lock():
                    connected.value -= 1
            self.closed.set()

    async def slot(index: int) -> None:
        src = f"127.0.{1 + index // (250 * per_address)}.{2 + (index // per_address) % 250}"
        await asyncio.sleep(rng.uniform(0, ramp))
        failures = 0
        while time.time() < stop_at:
            client = Client()
            try:
                client.transport, _ = await picows.ws_connect(
                    lambda: client, url, extra_headers={"X-API-Key": key}, local_addr=(src, 0),
                    websocket_handshake_timeout=30, enable_auto_pong=True)
                failures = 0
            except Exception as err:  # noqa: BLE001 - a refused connect (a fault window) is retried, not fatal
                status = getattr(getattr(err, "response", None), "status", None)
                out.write(json.dumps({"connect_error": f"{type(err).__name__}"[:80], "t": time.time(),
                                      "status": int(status) if status is not None else None}) + "\n")
                # As the status page does: 0.5 s doubling to 15 s, with jitter (no reconnect storm after a fault).
                await asyncio.sleep(min(15.0, 0.5 * 2 ** failures) * rng.uniform(0.75, 1.25))
                failures += 1
                continue
            stay = min(rng.uniform(0.5, 1.5) * life, max(0.0, stop_at - time.time()))
            try:
                await asyncio.wait_for(client.closed.wait(), stay)
                await asyncio.sleep(rng.uniform(0.5, 3.0))  # cut off by the server: back after a moment
            except asyncio.TimeoutError:
                # Leaving: send the close and read on until the server's close, which comes after every frame it
                # sent before ours arrived. So what this process had not read yet (it may lag on a busy machine) is
                # still counted; the segment's end for what was due is the moment the close went out.
                client.leaving = "left" if time.time() < stop_at else "end"
                client.left_at = time.time()
                client.transport.send_close()
                try:
                    await asyncio.wait_for(client.closed.wait(), 30)
                except asyncio.TimeoutError:
                    client.transport.disconnect()
                    client.end(client.leaving)

    async def guarded(index: int) -> None:
        # One slot's surprise must not end the other clients (their counts would freeze): it is written down (the
        # run fails on it) and the slot carries on.
        while time.time() < stop_at:
            try:
                await slot(index)
                return
            except Exception as err:  # noqa: BLE001
                out.write(json.dumps({"client_error": f"{type(err).__name__}: {err}"[:200], "t": time.time()}) + "\n")
                await asyncio.sleep(1.0)

    async def main():
        await asyncio.gather(*(guarded(first + i) for i in range(count)))

    asyncio.run(main())
    out.close()


# ---------------------------------------------------------------- faults

class Faults:
    """Runs the fault schedule against the stack (deploy/lib/test-ctl for restarts) and records each window."""

    def __init__(self, run_dir: str, ctl: str, base_url: str, workers: int, t0: float, duration: float):
        self.run_dir, self.ctl, self.base_url, self.t0 = run_dir, ctl, base_url, t0
        self.windows: list[dict] = []
        self.schedule = [(duration * k / 6, "worker-kill", 1 + (k - 1) % workers) for k in range(1, 6)]
        # PostgreSQL first, then the sidecar: the replay ring keeps at least 15 minutes of events
        # (ELPYFI_STREAM_RING_SECONDS) and starts empty in every epoch, so the sidecar's RSS grows by design for
        # the first 15 minutes after its start *or after LISTEN comes back* (a PostgreSQL restart begins a new
        # epoch). A restart at 40 % refilled the ring until minute 27 of 30 and read as a leak (30-minute soak,
        # 2026-12-05). nginx next; each process's last life then spans most of the run, long enough to judge.
        self.schedule += [(duration * 0.05, "pg-restart", None), (duration * 0.10, "sidecar-kill", None),
                          (duration * 0.25, "nginx-reload", None)]
        self.schedule.sort(key=lambda x: x[0])
        self.errors: list[str] = []

    def _ctl(self, *args: str) -> None:
        env = dict(os.environ, ELPYFI_TEST_RUN_DIR=self.run_dir)
        proc = subprocess.run([self.ctl, *args], env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            self.errors.append(f"{' '.join(args)}: {proc.stderr.strip()[-300:]}")

    def _healthy(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=3) as r:
                return r.status == 200
        except OSError:
            return False

    def _kill(self, name: str) -> None:
        pid = read_pid(f"{self.run_dir}/{name}.pid")
        if pid:
            os.kill(pid, signal.SIGKILL)
            while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
                time.sleep(0.05)

    def run(self, stop: threading.Event) -> None:
        for at, kind, arg in self.schedule:
            if stop.wait(max(0.0, self.t0 + at - time.time())):
                return
            start = time.time()
            if kind == "worker-kill":
                self._kill(f"fcgi-{arg}")
                self._ctl("worker-start", str(arg))
            elif kind == "pg-restart":
                self._ctl("pg-stop")
                self._ctl("pg-start")
            elif kind == "sidecar-kill":
                self._kill("stream")
                self._ctl("stream-start")
            elif kind == "nginx-reload":
                self._ctl("nginx-reload")
            deadline = time.time() + 90
            while time.time() < deadline and not (self._healthy("/health") and self._healthy("/stream/health")):
                time.sleep(0.2)
            end = time.time() + 5
            self.windows.append({"kind": kind, "arg": arg, "start": start - 1 - self.t0, "end": end - self.t0,
                                 "healthy_after_s": round(end - 5 - start, 1)})


# ---------------------------------------------------------------- judging

def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def judge_growth(samples: list[dict], windows: list[dict], duration: float,
                 max_growth: float) -> tuple[list[dict], list[str]]:
    rows, failures = [], []
    load = [s for s in samples if s["phase"] == "load"]
    roles = sorted({r for s in load for r in s["roles"]})
    reloads = [w["start"] for w in windows if w["kind"] == "nginx-reload"]

    def life_of(role: str, t: float, pid: int) -> tuple[int, int]:
        # A reload starts new nginx workers (the old ones drain their WebSockets): a new life for nginx.
        return pid, sum(1 for r in reloads if r <= t) if role == "nginx" else 0

    for role in roles:
        series = [(s["t"], s["roles"][role]) for s in load if role in s["roles"]]
        last = life_of(role, series[-1][0], series[-1][1]["pid"])
        life = [(t, r["rss_kb"]) for t, r in series if life_of(role, t, r["pid"]) == last]
        lives = len({life_of(role, t, r["pid"]) for t, r in series})
        minute5 = next((r["rss_kb"] for t, r in series if t >= duration / 6 and life_of(role, t, r["pid"]) == last),
                       None)
        row = {"role": role, "lives": lives, "life_s": round(life[-1][0] - life[0][0]), "rss_end_mb": life[-1][1] / 1024,
               "rss_at_sixth_mb": minute5 / 1024 if minute5 else None, "slope_kb_min": None, "growth_pct": None}
        if life[-1][0] - life[0][0] >= 0.3 * duration and len(life) >= 6:
            half = life[len(life) // 2:]
            k = slope(half)  # KB per second
            span = half[-1][0] - half[0][0]
            mean = sum(v for _, v in half) / len(half)
            row["slope_kb_min"] = k * 60
            row["growth_pct"] = 100 * k * span / mean if mean else 0.0
            if role.startswith(OURS) and row["growth_pct"] > max_growth:
                failures.append(f"{role}: RSS still growing over the last half of its life "
                                f"({row['slope_kb_min']:+.1f} KB/min, {row['growth_pct']:+.1f} % over {span / 60:.1f} min)")
        rows.append(row)
    return rows, failures


def judge_fds(samples: list[dict], slack: int) -> tuple[list[dict], list[str]]:
    rows, failures = [], []
    before = next(s for s in samples if s["phase"] == "baseline")["roles"]
    after = [s for s in samples if s["phase"] == "drain"][-1]["roles"]
    peak: dict[str, int] = {}
    for s in samples:
        for role, r in s["roles"].items():
            peak[role] = max(peak.get(role, 0), r["fds"])
    for role in sorted(before):
        b, a = before[role]["fds"], after.get(role, {}).get("fds")
        rows.append({"role": role, "before": b, "peak": peak.get(role), "after": a})
        if role.startswith(OURS) and (a is None or a > b + slack):
            failures.append(f"{role}: {a} descriptors after the clients left, {b} before they came")
    return rows, failures


def in_window(t: float, windows: list[dict]) -> bool:
    return any(w["start"] <= t <= w["end"] for w in windows)


def judge_rest(path: str, t0: float, windows: list[dict]) -> tuple[dict, list[str]]:
    total, by_status, outside = 0, {}, []
    for line in open(path):
        at, status, target = line.split(" ", 2)
        t, code = float(at) - t0, int(status)
        total += 1
        by_status[code] = by_status.get(code, 0) + 1
        if (code >= 500 or code == 0) and not in_window(t, windows):
            outside.append(f"{t:.1f}s {code} {target.strip()}")
    failures = [f"{len(outside)} REST answers >= 500 (or none) outside a fault window, first: {outside[:5]}"] if outside else []
    return {"total": total, "by_status": by_status, "outside": len(outside)}, failures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def judge_events(events_path: str, segments_paths: list[str], t0: float, windows: list[dict],
                 grace: float) -> tuple[dict, list[str]]:
    lo, hi, exempt = [], [], []  # per event n (the sender numbers them 0, 1, 2, ... in time order)
    unknown = 0
    # An event sent up to `grace` before a fault may still have been on its way when the fault hit it.
    windows = [{**w, "start": w["start"] - grace} for w in windows]
    for line in open(events_path):
        _, before, after = line.split()
        unknown += float(after) < 0
        lo.append(float(before))
        hi.append(float(after) if float(after) >= 0 else float(before))
        # A NOTIFY that failed (PostgreSQL down) may or may not have gone out; one in a fault window may be lost.
        exempt.append(float(after) < 0 or in_window(float(before) - t0, windows) or in_window(hi[-1] - t0, windows))
    due_prefix = [0]  # due_prefix[k]: events 0..k-1 that every connected client must get
    for e in exempt:
        due_prefix.append(due_prefix[-1] + (not e))

    def due(a: int, b: int) -> int:
        return due_prefix[b] - due_prefix[a] if b > a else 0

    segments, connect_errors, limited, refused_outside, missed, disorder, failures = 0, 0, 0, [], [], 0, []
    client_errors: list[str] = []
    lags: list[float] = []
    reasons: dict[str, int] = {}
    for path in segments_paths:
        for line in open(path):
            s = json.loads(line)
            if "client_error" in s:
                client_errors.append(s["client_error"])
                continue
            if "connect_error" in s:
                connect_errors += 1
                limited += s.get("status") == 429
                # The limiter's 429 is its configured answer; a 5xx or no answer outside a fault window is not.
                if s.get("status") != 429 and not in_window(s["t"] - t0, windows):
                    refused_outside.append(f"{s['t'] - t0:.1f}s {s['connect_error']} {s.get('status')}")
                continue
            segments += 1
            reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
            disorder += s["disorder"]
            lags.append(s.get("max_lag", 0.0))
            # Due: sent after the segment began (time before the NOTIFY) and before it ended - grace (time after).
            a = bisect.bisect_right(lo, s["start"])
            b = bisect.bisect_left(hi, s["end"] - grace)
            if b <= a:
                continue
            if s["first"] is None:
                lost = due(a, b)
            else:
                lost = due(a, min(b, s["first"])) + due(max(a, s["last"] + 1), b)
                lost += sum(1 for n in s["missing"] if a <= n < b and not exempt[n])
                lost += s["missing_count"] - len(s["missing"])  # holes beyond the recorded ones: all counted
            if lost:
                missed.append({"kind": s["kind"], "epoch": s["epoch"], "start": round(s["start"] - t0, 1),
                               "end": round(s["end"] - t0, 1), "reason": s["reason"], "lost": lost,
                               "got": [s["first"], s["last"]], "due": [a, b - 1]})
    summary = {"segments": segments, "connect_errors": connect_errors, "end_reasons": reasons,
               "events_sent": len(lo), "events_unknown": unknown,
               "events_exempt": sum(exempt), "segments_missing": len(missed),
               "events_missed": sum(m["lost"] for m in missed), "disorder": disorder,
               "lag_p50": percentile(lags, 0.5), "lag_p99": percentile(lags, 0.99), "lag_max": max(lags, default=0.0)}
    if missed:
        failures.append(f"{len(missed)} client segments missed {summary['events_missed']} events outside fault "
                        f"windows, e.g. {missed[:3]}")
    if disorder:
        failures.append(f"{disorder} events out of order or repeated")
    if refused_outside:
        failures.append(f"{len(refused_outside)} stream connects failed (not 429) outside a fault window: "
                        f"{refused_outside[:5]}")
    if client_errors:
        failures.append(f"{len(client_errors)} errors in the load generator's clients: {client_errors[:3]}")
    summary["connect_errors_outside"] = len(refused_outside)
    summary["connect_limited"] = limited
    return summary, failures


# ---------------------------------------------------------------- the plot (SVG by hand)

def svg_plot(samples: list[dict], windows: list[dict], path: str) -> None:
    """Small multiples: one row per process, RSS (MB) on the left and open descriptors on the right, each panel on
    its own scale (a worker's 14 MB next to PostgreSQL's 250 MB would be a flat line), fault windows shaded and
    numbered (the legend under the panels names them)."""
    roles = sorted({r for s in samples for r in s["roles"]})
    t_max = max(s["t"] for s in samples) or 1.0
    left, col_w, col_gap, row_h, row_gap, top = 110, 360, 60, 70, 34, 40
    width = left + 2 * col_w + col_gap + 20
    height = top + len(roles) * (row_h + row_gap) + 20 + 14 * ((len(windows) + 2) // 3)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="16" font-weight="bold">RSS (MB)</text>',
           f'<text x="{left + col_w + col_gap}" y="16" font-weight="bold">open descriptors</text>']
    for row, role in enumerate(roles):
        y0 = top + row * (row_h + row_gap)
        out.append(f'<text x="{left - 12}" y="{y0 + row_h / 2 + 4}" text-anchor="end" font-weight="bold">{role}</text>')
        points = [(s["t"], s["roles"][role]) for s in samples if role in s["roles"]]
        for col, (key, scale, colour) in enumerate((("rss_kb", 1 / 1024, "#1f77b4"), ("fds", 1, "#d62728"))):
            x0 = left + col * (col_w + col_gap)
            values = [r[key] * scale for _, r in points] or [0.0]
            lo, hi = min(values), max(values)
            lo, hi = (lo - 1, hi + 1) if hi - lo < 2 else (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
            lo = max(0.0, lo)

            def x(t: float) -> float:
                return x0 + col_w * t / t_max

            def y(v: float) -> float:
                return y0 + row_h - row_h * (v - lo) / (hi - lo)

            out.append(f'<rect x="{x0}" y="{y0}" width="{col_w}" height="{row_h}" fill="none" stroke="#bbb"/>')
            for n, w in enumerate(windows, 1):
                a, b = x(max(0.0, w["start"])), x(min(t_max, w["end"]))
                out.append(f'<rect x="{a:.1f}" y="{y0}" width="{max(1.0, b - a):.1f}" height="{row_h}" '
                           f'fill="#f4c7c3" opacity="0.7"/><text x="{a + 1:.1f}" y="{y0 + 9}" font-size="8" '
                           f'fill="#a33">{n}</text>')
            for v in (lo, hi):
                out.append(f'<text x="{x0 - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="9">{v:.0f}</text>')
            line = " ".join(f"{x(t):.1f},{y(r[key] * scale):.1f}" for t, r in points)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
            if row == len(roles) - 1:
                for i in range(5):
                    t = t_max * i / 4
                    out.append(f'<text x="{x(t):.1f}" y="{y0 + row_h + 13}" text-anchor="middle" font-size="9">'
                               f'{t / 60:.1f} min</text>')
    y_legend = top + len(roles) * (row_h + row_gap) + 8
    for n, w in enumerate(windows, 1):
        label = f'{n}: {w["kind"]}{" " + str(w["arg"]) if w["arg"] else ""} at {w["start"] + 1:.0f} s'
        out.append(f'<text x="{left + (n - 1) % 3 * 240}" y="{y_legend + 14 * ((n - 1) // 3)}" fill="#a33">'
                   f'{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- the run

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True, help="nginx, e.g. http://127.0.0.1:9002")
    p.add_argument("--key", required=True)
    p.add_argument("--owner-dsn", required=True, help="for pg_notify")
    p.add_argument("--run-dir", required=True, help="the stack's run dir (stack.env, pid files)")
    p.add_argument("--ctl", required=True, help="deploy/lib/test-ctl")
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=2000)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--life", type=float, default=0.0, help="mean client stay, s (default: run / 6, within 60..300)")
    p.add_argument("--event-rate", type=float, default=20.0)
    p.add_argument("--rest-rate", type=float, default=40.0)
    p.add_argument("--grace", type=float, default=5.0)
    p.add_argument("--max-growth", type=float, default=5.0)
    p.add_argument("--fd-slack", type=int, default=8)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    env = stack_env(args.run_dir)
    duration = args.minutes * 60
    life = args.life or min(300.0, max(60.0, duration / 6))  # 2,000 clients / 60 s: 33 connects/s at most
    strategy = f"soak_{uuid.uuid4().hex[:10]}"
    host, port = args.base_url.split("//", 1)[1].rsplit(":", 1)
    ws_url = f"ws://{host}:{port}/ws?strategy={strategy}"
    samples_path = os.path.join(args.out, "samples.jsonl")
    samples: list[dict] = []
    ctx = mp.get_context("fork")
    connected = ctx.Value("i", 0)

    def take(phase: str) -> None:
        s = sample(args.run_dir, env, t0, phase, connected)
        samples.append(s)
        with open(samples_path, "a") as f:
            f.write(json.dumps(s) + "\n")

    open(samples_path, "w").close()
    t0 = time.time()
    take("baseline")
    stop_at = t0 + duration
    print(f"soak: {args.minutes:g} min, {args.clients} clients (stay ~{life:.0f} s), {args.event_rate:g} events/s, "
          f"{args.rest_rate:g} REST/s, strategy {strategy}; out: {args.out}", flush=True)
    procs = [ctx.Process(name="events", target=emitter_main, args=(args.owner_dsn, strategy, args.event_rate, stop_at,
                                                    os.path.join(args.out, "events.log"))),
             ctx.Process(name="rest", target=rest_main, args=(host, int(port), args.key, args.rest_rate, stop_at,
                                                 os.path.join(args.out, "rest.log")))]
    per = -(-args.clients // args.procs)
    seg_paths = []
    for i in range(args.procs):
        count = min(per, args.clients - i * per)
        seg_paths.append(os.path.join(args.out, f"segments-{i}.jsonl"))
        procs.append(ctx.Process(name=f"clients-{i}", target=clients_main, args=(ws_url, args.key, i * per, count, life,
                                                            min(30.0, duration / 10), stop_at, seg_paths[-1],
                                                            connected)))
    for proc in procs:
        proc.start()
    faults = Faults(args.run_dir, args.ctl, args.base_url, int(env.get("WORKERS", "2")), t0, duration)
    stop = threading.Event()
    fault_thread = threading.Thread(target=faults.run, args=(stop,), daemon=True)
    fault_thread.start()
    next_sample = t0 + SAMPLE_EVERY
    dead: list[str] = []
    while time.time() < stop_at:
        time.sleep(max(0.0, min(next_sample, stop_at) - time.time()))
        for proc in procs:
            if not proc.is_alive() and proc.exitcode != 0 and proc.name not in dead:
                dead.append(proc.name)
                print(f"  load process {proc.name} died (exit {proc.exitcode}): the run cannot be judged", flush=True)
        if time.time() >= next_sample:
            take("load")
            last = samples[-1]
            print(f"  {last['t'] / 60:5.1f} min  clients {last['clients']:5d}  " + "  ".join(
                f"{r} {v['rss_kb'] / 1024:.1f}MB/{v['fds']}fd" for r, v in sorted(last["roles"].items())), flush=True)
            next_sample += SAMPLE_EVERY
    stop.set()
    fault_thread.join(150)
    for proc in procs:
        proc.join(120)
        if proc.is_alive():
            proc.kill()
    # Everyone has left: sample until every process is back to its descriptors before the clients came (a state),
    # for at most a minute.
    before = samples[0]["roles"]
    for _ in range(12):
        time.sleep(5)
        take("drain")
        now = samples[-1]["roles"]
        if all(now.get(r, {}).get("fds", 1 << 30) <= before[r]["fds"] + args.fd_slack
               for r in before if r.startswith(OURS)):
            break

    growth, f1 = judge_growth(samples, faults.windows, duration, args.max_growth)
    fds, f2 = judge_fds(samples, args.fd_slack)
    rest, f3 = judge_rest(os.path.join(args.out, "rest.log"), t0, faults.windows)
    events, f4 = judge_events(os.path.join(args.out, "events.log"), seg_paths, t0, faults.windows, args.grace)
    f5 = [f"fault control failed: {e}" for e in faults.errors] + [f"load process {n} died" for n in dead]
    failures = f1 + f2 + f3 + f4 + f5
    svg_plot(samples, faults.windows, os.path.join(args.out, "soak.svg"))
    write_report(args, life, strategy, samples, faults.windows, growth, fds, rest, events, failures)
    print(open(os.path.join(args.out, "report.md")).read())
    return 1 if failures else 0


def write_report(args, life, strategy, samples, windows, growth, fds, rest, events, failures) -> None:
    peak_clients = max(s["clients"] for s in samples)
    lines = [f"# soak: {args.minutes:g} min, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             f"{args.clients} stream clients (peak connected {peak_clients}, each staying ~{life:.0f} s), "
             f"{args.event_rate:g} events/s, REST {args.rest_rate:g}/s; strategy `{strategy}`. "
             f"Verdict: **{'FAIL' if failures else 'PASS'}**", ""]
    lines += [f"- {f}" for f in failures] + ([""] if failures else [])
    lines += ["## Faults", "", "| at (s) | fault | healthy again after (s) |", "|---|---|---|"]
    lines += [f"| {w['start'] + 1:.0f} | {w['kind']}{' ' + str(w['arg']) if w['arg'] else ''} | {w['healthy_after_s']} |"
              for w in windows]
    lines += ["", "## RSS (growth judged over the last half of each process's last life)", "",
              "| process | lives | last life (s) | RSS at 1/6 of the run (MB) | RSS at end (MB) | slope, last half "
              "(KB/min) | growth, last half |", "|---|---|---|---|---|---|---|"]
    for g in growth:
        sixth = f"{g['rss_at_sixth_mb']:.1f}" if g["rss_at_sixth_mb"] else "–"
        slope_text = f"{g['slope_kb_min']:+.1f}" if g["slope_kb_min"] is not None else "–"
        pct = f"{g['growth_pct']:+.2f} %" if g["growth_pct"] is not None else "(life too short)"
        lines.append(f"| {g['role']} | {g['lives']} | {g['life_s']} | {sixth} | {g['rss_end_mb']:.1f} | {slope_text} | {pct} |")
    lines += ["", "## Open descriptors", "", "| process | before the clients | peak | after they left |",
              "|---|---|---|---|"]
    lines += [f"| {d['role']} | {d['before']} | {d['peak']} | {d['after']} |" for d in fds]
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(rest["by_status"].items()))
    lines += ["", "## REST", "", f"{rest['total']} requests ({codes}; 0 = no answer); outside fault windows, "
              f">= 500 or none: {rest['outside']}", "", "## Events", "",
              f"{events['events_sent']} sent ({events['events_unknown']} NOTIFYs failed while PostgreSQL was down, "
              f"{events['events_exempt']} in fault windows, exempt); {events['segments']} client segments "
              f"(ends: {events['end_reasons']}), {events['connect_errors']} failed connects "
              f"({events['connect_limited']} of them 429 from the rate limit; other failures outside fault windows: "
              f"{events['connect_errors_outside']}); segments that missed "
              f"events: {events['segments_missing']} ({events['events_missed']} events); out of order or repeated: "
              f"{events['disorder']}. Each segment's longest wait from NOTIFY to the client reading the event (the relay's delay plus "
              f"the load generator's own on a busy machine): p50 {events['lag_p50']:.2f} s, p99 {events['lag_p99']:.2f} s, "
              f"max {events['lag_max']:.2f} s.", "", "![RSS and descriptors over time](soak.svg)", ""]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
