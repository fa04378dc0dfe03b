#!/usr/bin/env python3
"""startup.py worker|sidecar BINARY ADDRESS RUNS: start-up time to the first good answer, and idle RSS.

worker:  `BINARY serve --listen ADDRESS` (a Unix socket path); polled with cgi-fcgi (apt libfcgi-bin) for a
         FastCGI GET /health until it answers 200 "healthy" (so the database connection is up).
sidecar: `BINARY --listen ADDRESS` (host:port); polled with GET /stream/health until 200 (LISTEN is live).
Polls every 2 ms from the moment the process is spawned. The environment (DSN, keys) is the caller's.
Prints one JSON line: each run's milliseconds, and the RSS 1 s after the first answer (idle).
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import time


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def worker_ok(address: str) -> bool:
    env = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/health", "QUERY_STRING": "", "PATH": os.environ["PATH"]}
    try:
        out = subprocess.run(["cgi-fcgi", "-bind", "-connect", address], env=env, capture_output=True, timeout=2).stdout
    except subprocess.TimeoutExpired:
        return False
    return out.startswith(b"Status: 200") and b'"healthy"' in out


def sidecar_ok(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=2)
        conn.request("GET", "/stream/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


def main() -> None:
    kind, binary, address, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cmd = [binary, "serve", "--listen", address] if kind == "worker" else [binary, "--listen", address]
    ok = worker_ok if kind == "worker" else sidecar_ok
    times, rss = [], []
    for _ in range(runs):
        if kind == "worker" and os.path.exists(address):
            os.unlink(address)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        try:
            while not ok(address):
                if proc.poll() is not None or time.monotonic() - t0 > 10:
                    raise SystemExit(f"{kind} did not answer (exit {proc.poll()})")
                time.sleep(0.002)
            times.append(round((time.monotonic() - t0) * 1000, 1))
            time.sleep(1)
            rss.append(rss_kb(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(json.dumps({"kind": kind, "startup_ms": times, "startup_ms_median": sorted(times)[len(times) // 2],
                      "idle_rss_kb": rss, "idle_rss_kb_max": max(rss)}))


if __name__ == "__main__":
    main()
