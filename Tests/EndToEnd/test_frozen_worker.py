"""A frozen REST worker does not hold requests (ELPYFI_UPSTREAM_TIMEOUT, default 3 s): with worker 1 stopped by
SIGSTOP (its socket still accepts connections, so nginx cannot tell by connecting), every GET is answered, the ones
nginx had handed to it after one timeout and one retry on worker 2, and nginx then skips the frozen worker.

Judged from nginx's access log (which worker each request went to, and what each answered), not from how long the
client waited: a busy machine makes every request slower without changing which worker nginx chose."""

from __future__ import annotations

import concurrent.futures
import time
import uuid

import requests

from test_stream_support import wait_for

FAIL_TIMEOUT = 10.0  # nginx's fail_timeout (the default): a failed worker is skipped this long (fastcgi.conf)
UPSTREAM_TIMEOUT = 3.0  # ELPYFI_UPSTREAM_TIMEOUT as deploy/test runs it (the default)


def test_a_stopped_worker_costs_at_most_the_upstream_timeout_and_one_retry(base_url, api_key, ctl, logs):
    marker = uuid.uuid4().hex

    def get(i: int) -> requests.Response:
        return requests.get(f"{base_url}/strategies?frozen={marker}-{i}", headers={"X-API-Key": api_key}, timeout=60)

    # An earlier test may have left worker 1 marked failed (nginx skips it for 10 s): wait until it serves again.
    def worker_1_serves() -> bool:
        probe_mark = logs.mark()
        answers = [requests.get(f"{base_url}/strategies?warm={marker}", headers={"X-API-Key": api_key}, timeout=10)
                   for _ in range(2)]
        return any("fcgi-1.sock" in e["upstream"] for e in logs.logged(probe_mark, answers))

    wait_for(worker_1_serves, 60, interval=0.5, what="worker 1 to serve again")
    mark = logs.mark()
    ctl("worker-freeze", "1")
    try:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            first = list(pool.map(get, range(16)))
            later = list(pool.map(get, range(16, 48)))
        ended = time.monotonic()
    finally:
        ctl("worker-thaw", "1")
    assert [r.status_code for r in first + later] == [200] * 48, [(r.status_code, r.text[:100]) for r in first + later]
    by_id = {e["request_id"]: e for e in logs.logged(mark, first + later)}
    entries = [by_id[r.headers["X-Request-Id"]] for r in first + later]
    # Each request nginx handed to the frozen worker was given up at the bound (504) and tried once on worker 2.
    frozen = [e for e in entries if "fcgi-1.sock" in e["upstream"]]
    assert frozen, "nginx never handed a request to the frozen worker"
    for e in frozen:
        assert e["upstream_status"] == "504, 200", e
        assert e["upstream"].split(",")[0].strip().endswith("fcgi-1.sock"), e
    # Once worker 1 failed, nginx skipped it: no request of the second batch went to it, as long as that batch
    # ended within the failure's 10 s (the failure came at the earliest UPSTREAM_TIMEOUT after `started`). On a
    # machine slow enough to pass that, nginx may try it once per FAIL_TIMEOUT again, and no more.
    allowed = max(0.0, ended - (started + UPSTREAM_TIMEOUT + FAIL_TIMEOUT))
    retried_later = [e for e in entries[16:] if "fcgi-1.sock" in e["upstream"]]
    assert len(retried_later) <= (0 if allowed == 0 else 1 + int(allowed / FAIL_TIMEOUT)), retried_later
    # The worker came back and serves again.
    assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
