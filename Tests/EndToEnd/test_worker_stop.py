"""A REST worker stopped with SIGTERM under load, as in every deploy or package upgrade, fails no request: it
refuses new connections at once (nginx moves on to the other worker), answers what it already holds, and exits.
How long the stop makes anyone wait is a speed figure: bench/worker-stop prints p99 before and during the stop."""

from __future__ import annotations

import threading
import time
import uuid

import requests


# 4 clients, each one request per 0.1 s at most: 40 requests/s, under the stack's per-key limit (50r/s).
CLIENTS = 4
PACE = 0.1


def test_sigterm_of_a_worker_under_a_steady_load_fails_no_request(base_url, api_key, ctl, logs):
    marker = uuid.uuid4().hex
    # An earlier test may have left worker 1 marked failed (nginx skips it for 10 s): wait until it serves again,
    # so that the stop below really takes requests away from a worker that has some.
    deadline = time.monotonic() + 30
    while True:
        probe = logs.mark()
        for _ in range(4):
            requests.get(f"{base_url}/strategies?warm={marker}", headers={"X-API-Key": api_key}, timeout=10)
        if wait_for_entry(logs, probe, lambda e: "fcgi-1.sock" in e["upstream"] and f"warm={marker}" in (e["query"] or "")):
            break
        assert time.monotonic() < deadline, "worker 1 never served again"

    outcomes: list[tuple[str, int | str]] = []  # (phase, status or exception text)
    phase = ["before"]
    done = threading.Event()
    lock = threading.Lock()

    def client(n: int) -> None:
        session = requests.Session()
        i = 0
        while not done.wait(PACE):  # steady, under the per-key rate limit (429s would hide what this is about)
            current = phase[0]
            try:
                status: int | str = session.get(f"{base_url}/strategies?stop={marker}-{n}-{i}",
                                                headers={"X-API-Key": api_key}, timeout=30).status_code
            except requests.RequestException as error:
                status = repr(error)
            with lock:
                outcomes.append((current, status))
            i += 1

    def count(which: str) -> int:
        with lock:
            return sum(1 for p, _ in outcomes if p == which)

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for t in clients:
        t.start()
    try:
        wait_until(lambda: count("before") >= 40, "the load never got going")
        phase[0] = "stopping"
        ctl("worker-stop", "1")  # SIGTERM, returns once the process has exited
        phase[0] = "after"
        wait_until(lambda: count("after") >= 40, "no request completed after the stop")
    finally:
        done.set()
        for t in clients:
            t.join(timeout=60)
        ctl("worker-start", "1")
    failed = [(p, s) for p, s in outcomes if s != 200]
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed around the stop: {failed[:10]}"
    # The stop happened under load: worker 1 had answered some of this loop's requests before it went away.
    entries = [e for e in logs.access_entries() if f"stop={marker}" in (e["query"] or "")]
    assert any("fcgi-1.sock" in e["upstream"] for e in entries), "worker 1 served none of the loop's requests"


def wait_until(condition, message: str, limit: float = 120.0) -> None:
    """Polls an observable state; the limit only turns a hang into a failure."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def wait_for_entry(logs, mark, predicate, limit: float = 5.0) -> bool:
    """True once an access-log line written since `mark` satisfies `predicate`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any(predicate(e) for e in logs.access_entries(mark)):
            return True
        time.sleep(0.1)
    return False
