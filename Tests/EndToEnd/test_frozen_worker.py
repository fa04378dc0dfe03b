"""A frozen REST worker does not hold requests (ELPYFI_UPSTREAM_TIMEOUT, default 3 s): with worker 1 stopped by
SIGSTOP (its socket still accepts connections, so nginx cannot tell by connecting), every GET is answered, the ones
nginx had handed to it within the bound plus one retry on worker 2, and nginx then skips the frozen worker."""

from __future__ import annotations

import concurrent.futures
import time
import uuid

import requests


def test_a_stopped_worker_costs_at_most_the_upstream_timeout_and_one_retry(base_url, api_key, ctl, logs):
    mark = logs.mark()
    marker = uuid.uuid4().hex

    def get(i: int) -> tuple[int, float]:
        t0 = time.monotonic()
        resp = requests.get(f"{base_url}/strategies?frozen={marker}-{i}", headers={"X-API-Key": api_key},
                            timeout=30)
        return resp.status_code, time.monotonic() - t0

    # An earlier test may have left worker 1 marked failed (nginx skips it for 10 s): wait until it serves again.
    deadline = time.monotonic() + 15
    while True:
        probe_mark = logs.mark()
        requests.get(f"{base_url}/strategies?warm={marker}", headers={"X-API-Key": api_key}, timeout=10)
        requests.get(f"{base_url}/strategies?warm={marker}", headers={"X-API-Key": api_key}, timeout=10)
        time.sleep(0.2)
        if any("fcgi-1.sock" in e["upstream"] for e in logs.access_entries(probe_mark)):
            break
        assert time.monotonic() < deadline, "worker 1 never served again"
        time.sleep(0.5)
    mark = logs.mark()
    ctl("worker-freeze", "1")
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            first = list(pool.map(get, range(16)))
            later = list(pool.map(get, range(16, 48)))
    finally:
        ctl("worker-thaw", "1")
    assert [status for status, _ in first + later] == [200] * 48, first + later
    # Those given to the frozen worker waited the bound (3 s) and were answered by worker 2.
    assert max(t for _, t in first) < 5.0, first
    # Once worker 1 failed, nginx skipped it: nothing waited any more.
    assert max(t for _, t in later) < 1.0, later
    time.sleep(0.5)
    entries = [e for e in logs.access_entries(mark) if f"frozen={marker}" in (e["query"] or "")]
    retried = [e for e in entries if e["upstream_status"].startswith("504, ")]
    assert retried and all("fcgi-1.sock" in e["upstream"] and e["status"] == 200 for e in retried), entries
    # The worker came back and serves again.
    assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
