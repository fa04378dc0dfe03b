"""Chromium's own `EventSource` against the REAL sidecar (the suite's elpyfi-stream), through an nginx rendered from
the shipped templates that the test owns, so it can cut every response: events flow the whole time, the test stops
that nginx (its responses end mid-stream, and while it is down the browser's reconnection attempts are refused),
keeps sending, starts it again on the same port, and EventSource comes back by itself (after the stream's
`retry: 2000`) with `Last-Event-ID`; the sidecar replays from its ring what was sent meanwhile. The page must end
with every event exactly once: seqs strictly increasing, the events' own numbers `n` contiguous from the first one
after `connected` to the last one sent.

That the check can fail, and that it is `Last-Event-ID` that saves the events sent while nginx was down: the same
run through an nginx that drops the header (`proxy_set_header Last-Event-ID ""`) must lose exactly those events
and the check must name them. The stand-in-sidecar version (HTTP/2, routing a resume by epoch) is in
test_sse_nginx.py; this file reuses its browser plumbing (test_status_page.py's make_driver)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from stack import Db
from extra_processes import start_extra_nginx
from flow import Flow
from test_status_page import js, make_driver, quit_driver, wait_until
from test_stream_support import event, health, wait_for

RATE = 25  # events a second while the test runs
END = "trade.zz_end"
DROP_LAST_EVENT_ID = 'proxy_set_header Last-Event-ID "";\n'


class OwnNginx:
    """An extra nginx (deploy/render-nginx, the stack's sidecar behind it) that the test may stop and start again on
    the same port; `resume=False` renders it to drop `Last-Event-ID` on the way to the sidecar."""

    def __init__(self, out, run_dir: str, resume: bool):
        started = start_extra_nginx(out, run_dir, {})
        assert started, (out / "error.log").read_text()[-2000:]
        self.proc, self.port = started
        self.out, self.conf = out, out / "conf"
        if not resume:
            sse = self.conf / "snippets" / "sse.conf"
            text = sse.read_text()
            sse.write_text(text.replace("proxy_cache off;", "proxy_cache off;\n    " + DROP_LAST_EVENT_ID, 1))
            assert DROP_LAST_EVENT_ID in sse.read_text()
            self.stop()
            self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Fast shutdown (SIGTERM): every open response ends at once, mid-stream."""
        self.proc.terminate()
        self.proc.wait(30)

    def close(self) -> None:
        """Stops it for good and drops its RAM caches (as extra_processes.extra_nginx does)."""
        self.stop()
        for cache in ("microcache", "public-cache"):
            shutil.rmtree(f"/dev/shm/elpyfi-{cache}-{self.port}", ignore_errors=True)

    def start(self) -> None:
        (self.out / "nginx.pid").unlink(missing_ok=True)
        user = " user elpyfi-dev;" if os.geteuid() == 0 else ""  # as start_extra_nginx runs it
        self.proc = subprocess.Popen(["nginx", "-p", str(self.conf), "-c", str(self.conf / "nginx.conf"), "-e",
                                      str(self.out / "error.log"), "-g", "daemon off;" + user],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The pid file is written once every listening socket is bound.
        wait_for(lambda: (self.out / "nginx.pid").exists() or self.proc.poll() is not None, 30, what="nginx to start")
        assert self.proc.poll() is None, (self.out / "error.log").read_text()[-2000:]


class Sender(Flow):
    """NOTIFYs `trade.executed` events numbered `n` from 0 under `strategy` (`count` is the number sent so far),
    RATE a second, until stopped; then END."""

    def __init__(self, dsn: str, strategy: str):
        super().__init__(dsn, RATE)
        self.strategy = strategy

    def step(self, db: Db) -> None:
        db.notify(event("trade.executed", self.strategy, n=self.count))

    def end(self, db: Db) -> None:
        db.notify(event(END, self.strategy, n=self.count))


def check_exactly_once(messages: list[list], last_n: int) -> None:
    """`messages` as the page got them, [lastEventId, parsed data]: after the first `connected`, every event's seq
    (its id's tail) is above the one before, and the events' `n` run 0..last_n, each once. AssertionError naming
    what is missing or repeated."""
    assert messages and messages[0][1]["type"] == "connected", messages[:1]
    events = [(event_id, data) for event_id, data in messages if data["type"] not in ("connected", END)]
    assert not [data for _, data in events if data["type"] == "stream.gap"], "the sidecar answered stream.gap"
    seqs = [int(event_id.rsplit(":", 1)[1]) for event_id, _ in events]
    assert all(a < b for a, b in zip(seqs, seqs[1:])), f"seqs not strictly increasing: {seqs}"
    numbers = [data["data"]["n"] for _, data in events]
    missing = sorted(set(range(last_n + 1)) - set(numbers))
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not missing and not repeated, f"events missing: {missing}, repeated: {repeated}"
    assert numbers == list(range(last_n + 1))


def test_the_check_names_a_missing_repeated_or_reordered_event():
    """check_exactly_once itself can fail (the browser test below also proves it on a real lost event)."""
    connected = ["1-a:0", {"type": "connected", "epoch": "1-a", "seq": 0}]
    good = [connected] + [[f"1-a:{s}", {"type": "trade.executed", "data": {"n": s - 1}}] for s in (1, 2, 3)]
    check_exactly_once(good, 2)
    with pytest.raises(AssertionError, match=r"missing: \[1\]"):
        check_exactly_once([good[0], good[1], good[3]], 2)
    with pytest.raises(AssertionError, match="missing: \\[\\], repeated: \\[1\\]"):
        check_exactly_once(good[:3] + [["1-a:4", good[2][1]], ["1-a:5", good[3][1]]], 2)
    with pytest.raises(AssertionError, match="strictly increasing"):
        check_exactly_once([good[0], good[2], good[1], good[3]], 2)
    with pytest.raises(AssertionError, match=r"missing: \[2\]"):
        check_exactly_once(good[:3], 2)


@pytest.fixture(scope="module")
def chromium():
    driver = make_driver()  # its log in a temp dir: never the run dir (it records keys)
    yield driver
    quit_driver(driver)


def _run(chromium, nginx: OwnNginx, api_key: str, base_url: str, dsn: str) -> tuple[list, int, range]:
    """The scenario; returns (the page's messages, the last n sent, the n's sent while nginx was down)."""
    strategy = f"browser_{uuid.uuid4().hex[:10]}"
    chromium.get(nginx.url + "/")  # the status page: any page of that origin will do (its CSP allows 'self')
    js(chromium, """window.got = []; window.errors = 0;
        window.es = new EventSource('/sse?strategy=' + arguments[0] + '&api_key=' + arguments[1]);
        window.es.onmessage = (e) => window.got.push([e.lastEventId, JSON.parse(e.data)]);
        window.es.onerror = () => { window.errors += 1; };""", strategy, api_key)
    got = lambda: js(chromium, "return window.got")  # noqa: E731
    connected = lambda: [m for m in got() if m[1]["type"] == "connected"]  # noqa: E731
    wait_until(chromium, lambda d: connected(), what="connected in the browser")
    sender = Sender(dsn, strategy)
    sender.start()
    try:
        wait_until(chromium, lambda d: len(got()) > 10, what="the first events in the browser")
        nginx.stop()
        down_from = sender.count
        wait_until(chromium, lambda d: js(d, "return window.es.readyState === 0 && window.errors > 0"),
                   what="EventSource to notice the cut")
        sender.wait_for_more(10)  # sent while no reconnection can succeed
        down_to = sender.count
        # The sidecar has numbered them (they sit in its ring) before anything can reconnect: n=0 had seq s0, and
        # nothing else notifies while the test runs, so n=down_to-1 has s0 + down_to - 1.
        s0 = next(m[1]["seq"] for m in got() if m[1]["type"] == "trade.executed")
        wait_for(lambda: health(base_url).json()["seq"] >= s0 + down_to - 1, 30, what="the ring")
        nginx.start()
        wait_until(chromium, lambda d: len(connected()) == 2, what="EventSource to reconnect by itself")
        assert js(chromium, "return window.es.readyState") == 1
        sender.wait_for_more(10)
    finally:
        sender.stopping.set()
        sender.join(30)
    assert sender.error is None, sender.error
    wait_until(chromium, lambda d: got()[-1][1]["type"] == END, what="the END marker in the browser")
    js(chromium, "window.es.close()")
    return got(), sender.count - 1, range(down_from, down_to)


def test_browser_eventsource_resumes_after_the_cut_with_every_event_exactly_once(
        chromium, tmp_path_factory, run_dir, base_url, api_key, dsn):
    nginx = OwnNginx(tmp_path_factory.mktemp("sse-browser"), run_dir, resume=True)
    try:
        messages, last_n, _ = _run(chromium, nginx, api_key, base_url, dsn)
    finally:
        nginx.close()
    check_exactly_once(messages, last_n)


def test_without_last_event_id_the_same_run_loses_what_was_sent_during_the_cut(
        chromium, tmp_path_factory, run_dir, base_url, api_key, dsn):
    """The control: an nginx that drops `Last-Event-ID` turns the reconnection into a fresh subscription, so the
    events sent while nginx was down never arrive, and check_exactly_once names them."""
    nginx = OwnNginx(tmp_path_factory.mktemp("sse-browser-no-resume"), run_dir, resume=False)
    try:
        messages, last_n, down = _run(chromium, nginx, api_key, base_url, dsn)
    finally:
        nginx.close()
    with pytest.raises(AssertionError) as failure:
        check_exactly_once(messages, last_n)
    missing = {n for n in range(last_n + 1)} - {m[1]["data"]["n"] for m in messages if m[1]["type"] == "trade.executed"}
    assert set(down) <= missing, (sorted(down), sorted(missing))
    assert "events missing" in str(failure.value)
