"""nginx's part of Server-Sent Events (nginx/snippets/sse.conf) and HTTP/2 on the TLS port, provable before the
sidecar speaks SSE: an extra nginx, rendered from the shipped templates, in front of two stand-in sidecars that write
an event stream one message at a time when the test says so. It proves that nginx forwards each message at once
(unbuffered), passes the sidecar's refusals through, re-states `X-Accel-Buffering: no`, routes a resume to the
sidecar whose epoch `Last-Event-ID` (or `?epoch=`) names, counts anonymous SSE responses in the per-address stream
cap together with WebSockets, and serves SSE over HTTP/2 on its TLS port, where Chromium's own EventSource receives
messages and reconnects by itself with `Last-Event-ID` to the right sidecar. On the suite's own stack: HTTP/2 is
negotiated on the TLS port and answers as before (the status page's WebSocket included), `/sse*` requests reach
the sidecar, and their `api_key` is never logged. The sidecar's own SSE is tested in test_sse.py."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import secrets
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from selenium.webdriver.common.by import By

from extra_processes import extra_nginx, free_port
from test_status_page import enter_key, js, make_driver, quit_driver, wait_until
from test_stream_support import SseReader, raw_handshake

CAP = 2  # ELPYFI_PUBLIC_WS_PER_ADDRESS of the extra nginx


class FakeSidecar(ThreadingHTTPServer):
    """Stands in for elpyfi-stream `name` (its epochs start `name-`). /sse* get `retry: 2000` and `connected`, then
    one message per `send(strategy, data)` to the response opened with that `?strategy=`, held open until the client
    goes or stop(); `X-Accel-Buffering: no` unless asked `X-Fake-Without-Accel`; `X-API-Key: refuse` gets a 401 JSON.
    A WebSocket upgrade gets a 101 and is held open; anything else a JSON 404. Requests are kept in `requests`."""

    daemon_threads = True

    def __init__(self, name: str):
        super().__init__(("127.0.0.1", free_port()), _FakeHandler)
        self.name = name
        self.epoch = f"{name}-{secrets.token_hex(8)}"
        self.requests: list[tuple[str, dict]] = []
        self.outboxes: dict[str, queue.Queue] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def send(self, strategy: str, data: dict | None) -> None:
        """One message to the response opened with `?strategy=strategy`; None ends that response."""
        self.outboxes[strategy].put(data)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class _FakeHandler(BaseHTTPRequestHandler):
    server: FakeSidecar

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Fake-Sidecar", self.server.name)
        self.end_headers()
        self.wfile.write(data)

    def _hold(self) -> None:
        while not self.server.stopping.wait(0.1):
            pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.headers.get("Upgrade", "").lower() == "websocket":
            accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] +
                                                    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept.decode())
            self.end_headers()
            self.wfile.flush()
            return self._hold()
        if not self.path.startswith("/sse"):
            return self._json(404, {"error": {"code": "not_found", "message": "no such endpoint"}})
        if self.headers.get("X-API-Key") == "refuse":
            return self._json(401, {"error": {"code": "missing_api_key", "message": "fake sidecar refusal"}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if not self.headers.get("X-Fake-Without-Accel"):
            self.send_header("X-Accel-Buffering", "no")
        self.send_header("X-Fake-Sidecar", self.server.name)
        self.end_headers()
        outbox = self.server.outboxes.setdefault(
            urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("strategy", [""])[0], queue.Queue())
        epoch = self.server.epoch
        connected = {"type": "connected", "stream": "all", "epoch": epoch, "seq": 0,
                     "timestamp": "2024-01-15T10:31:00Z"}
        self.wfile.write(f"retry: 2000\n\nid: {epoch}:0\ndata: {json.dumps(connected)}\n\n".encode())
        self.wfile.flush()
        seq = 0
        try:
            while not self.server.stopping.is_set():
                try:
                    data = outbox.get(timeout=0.1)
                except queue.Empty:
                    continue
                if data is None:
                    return  # the response ends (HTTP/1.0: the connection closes)
                seq += 1
                self.wfile.write(f"id: {epoch}:{seq}\ndata: {json.dumps({**data, 'seq': seq})}\n\n".encode())
                self.wfile.flush()
        except OSError:
            pass  # the client went away


@pytest.fixture(scope="module")
def fakes():
    pair = (FakeSidecar("1"), FakeSidecar("2"))
    yield pair
    for fake in pair:
        fake.stop()


@pytest.fixture(scope="module")
def sse_nginx(tmp_path_factory, run_dir, fakes):
    """(HTTP port, TLS port) of an extra nginx in front of the two fake sidecars, with anonymous access on (a public
    path makes nginx sort keyless stream requests into the anonymous budget) and a cap of CAP anonymous streams."""
    tls_port = free_port()
    settings = {"ELPYFI_STREAM_UPSTREAMS": ",".join(f.address for f in fakes), "ELPYFI_PUBLIC_PATHS": "/ws",
                "ELPYFI_PUBLIC_WS_PER_ADDRESS": str(CAP), "ELPYFI_PUBLIC_RATE_LIMIT": "1000r/s",
                "ELPYFI_PUBLIC_RATE_BURST": "1000", "ELPYFI_TLS_PORT": str(tls_port)}
    for port in extra_nginx(tmp_path_factory.mktemp("sse-nginx"), run_dir, settings):
        yield port, tls_port


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


# -- the extra nginx in front of stand-in sidecars ------------------------------------------------------------------

def test_each_sse_message_reaches_the_client_before_the_sidecar_writes_the_next(sse_nginx, fakes):
    """Unbuffered: the sidecar writes one small message and waits; the client must see it meanwhile (a buffering
    proxy would hold it until its buffer filled or the response ended). The stand-in leaves out its
    `X-Accel-Buffering: no` here, which would turn nginx's buffering off by itself: this is sse.conf's doing."""
    strategy = f"unbuffered_{uuid.uuid4().hex[:8]}"
    with SseReader(_url(sse_nginx[0]), f"/sse?strategy={strategy}", {
            "X-API-Key": "k", "Last-Event-ID": f"{fakes[0].epoch}:0", "X-Fake-Without-Accel": "1"}) as sse:
        assert sse.status == 200
        assert sse.next()["json"]["type"] == "connected"
        assert sse.fields[0] == ("retry", "2000")
        for n in range(3):
            fakes[0].send(strategy, {"type": "trade.executed", "data": {"n": n}})
            message = sse.next()
            assert message["json"]["data"] == {"n": n}
            assert message["id"] == f"{fakes[0].epoch}:{n + 1}"


def test_sse_answer_keeps_its_headers_and_restates_no_buffering(sse_nginx, fakes):
    origin = {"Origin": "http://localhost:3000"}
    with SseReader(_url(sse_nginx[0]), "/sse/signals", {"X-API-Key": "k", **origin}) as sse:
        assert sse.status == 200
        assert sse.headers["content-type"] == "text/event-stream"
        assert sse.headers["cache-control"] == "no-cache"
        # nginx consumes the sidecar's X-Accel-Buffering; sse.conf says it again for proxies in front.
        assert sse.headers["x-accel-buffering"] == "no"
        assert sse.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert sse.headers["x-content-type-options"] == "nosniff"
        assert sse.headers["x-request-id"]
        assert "x-cache-status" not in sse.headers


def test_sidecar_refusal_passes_through_untouched(sse_nginx):
    with SseReader(_url(sse_nginx[0]), "/sse/trades", {"X-API-Key": "refuse"}) as sse:
        assert sse.status == 401
        assert json.loads(sse.body) == {"error": {"code": "missing_api_key", "message": "fake sidecar refusal"}}


def _served_by(port: int, path: str, headers: dict) -> str:
    with SseReader(_url(port), path, {"X-API-Key": "k", **headers}) as sse:
        assert sse.status == 200, sse.body
        return sse.headers["x-fake-sidecar"]


def test_sse_resume_goes_to_the_sidecar_its_epoch_names(sse_nginx, fakes):
    """Four times each (new clients alternate between equally loaded sidecars, so chance cannot pass this)."""
    port = sse_nginx[0]
    one, two = fakes[0].epoch, fakes[1].epoch
    for _ in range(4):
        assert _served_by(port, "/sse", {"Last-Event-ID": f"{two}:5"}) == "2"
        assert _served_by(port, "/sse/trades", {"Last-Event-ID": f"{one}:5"}) == "1"
        assert _served_by(port, f"/sse?since=3&epoch={two}", {}) == "2"
        assert _served_by(port, f"/sse/signals?since=3&epoch={one}", {}) == "1"
        # The header wins over the query, as in the sidecar.
        assert _served_by(port, f"/sse?since=3&epoch={two}", {"Last-Event-ID": f"{one}:3"}) == "1"
    assert any(headers.get("last-event-id") == f"{two}:5" for _, headers in fakes[1].requests), \
        "Last-Event-ID reaches the sidecar"


def test_anonymous_sse_responses_share_the_per_address_cap_with_websockets(sse_nginx):
    source = f"127.0.{secrets.randbelow(200) + 20}.{secrets.randbelow(200) + 20}"
    url = _url(sse_nginx[0])
    ws_sock, status, _, _ = raw_handshake(f"ws://127.0.0.1:{sse_nginx[0]}", "/ws", source=source)
    held = []
    try:
        assert status == 101
        held.append(SseReader(url, "/sse", source=source))
        assert held[-1].status == 200, "one WebSocket and one SSE response: CAP reached"
        refused = SseReader(url, "/sse/signals", source=source)
        assert refused.status == 429
        assert json.loads(refused.body)["error"]["code"] == "rate_limited"
        assert refused.headers["retry-after"]
        refused.close()
        keyed = SseReader(url, "/sse/signals", {"X-API-Key": "k"}, source=source)
        assert keyed.status == 200, "a keyed client on the same address is not counted"
        held.append(keyed)
        ws_sock.close()
        # Once the WebSocket is gone its slot is free again (nginx sees the close when the tunnel ends).
        deadline = time.monotonic() + 30  # hang guard
        while True:
            again = SseReader(url, "/sse", source=source)
            if again.status == 200:
                held.append(again)
                break
            again.close()
            assert time.monotonic() < deadline, "the WebSocket's slot was never freed"
            time.sleep(0.1)
    finally:
        ws_sock.close()
        for sse in held:
            sse.close()


def test_sse_is_served_over_http2_on_the_tls_port(sse_nginx, fakes):
    """curl negotiates h2 by ALPN and reads the stream's first message through it."""
    curl = subprocess.Popen(["curl", "--http2", "-skN", "-D", "-", "-H", "X-API-Key: k",
                             "-H", f"Last-Event-ID: {fakes[1].epoch}:0",
                             f"https://127.0.0.1:{sse_nginx[1]}/sse?strategy=h2"],
                            stdout=subprocess.PIPE, text=True)
    try:
        status_line = curl.stdout.readline()
        assert status_line.startswith("HTTP/2 200"), status_line
        lines = []
        while not any(line.startswith("data: ") for line in lines):
            line = curl.stdout.readline()
            assert line, f"stream ended: {lines}"
            lines.append(line.rstrip("\r\n"))
        assert "content-type: text/event-stream" in lines
        data = next(line for line in lines if line.startswith("data: "))
        assert json.loads(data[6:])["epoch"] == fakes[1].epoch
    finally:
        curl.kill()
        curl.wait(10)


# -- a real EventSource in headless Chromium ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    driver = make_driver()  # its log in a temp dir: never the run dir (it records keys)
    # The test stacks' certificates are self-signed.
    driver.execute_cdp_cmd("Security.setIgnoreCertificateErrors", {"ignore": True})
    yield driver
    quit_driver(driver)


def test_browser_eventsource_over_http2_reconnects_by_itself_to_the_sidecar_its_last_event_id_names(
        sse_nginx, fakes, chromium):
    """Chromium's own EventSource, on a page of the extra nginx's TLS port (same origin; its CSP allows 'self'): the
    page came over HTTP/2, messages arrive one by one, and when the sidecar ends the response the browser reconnects
    by itself (after `retry: 2000`) with `Last-Event-ID`, which nginx routes back to the sidecar whose epoch names."""
    strategy = f"browser_{uuid.uuid4().hex[:8]}"
    chromium.get(f"https://127.0.0.1:{sse_nginx[1]}/")  # the status page: any same-origin page will do
    assert js(chromium, "return performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"
    js(chromium, """window.got = []; window.es = new EventSource('/sse?strategy=' + arguments[0] + '&api_key=k');
        window.es.onmessage = (e) => window.got.push([e.lastEventId, JSON.parse(e.data)]);""", strategy)
    got = lambda: js(chromium, "return window.got")  # noqa: E731
    first = wait_until(chromium, lambda d: got()[:1], what="connected in the browser")[0]
    assert first[1]["type"] == "connected"
    fake = next(f for f in fakes if f.epoch == first[1]["epoch"])
    fake.send(strategy, {"type": "signal.generated", "data": {"n": 1}})
    wait_until(chromium, lambda d: len(got()) == 2, what="the event in the browser")
    assert got()[1][0] == f"{fake.epoch}:1"
    seen = len(fake.requests)
    fake.send(strategy, None)  # the sidecar ends the response: EventSource must come back by itself
    wait_until(chromium, lambda d: len(got()) == 3, timeout=15, what="the browser's reconnection")
    assert got()[2][1]["type"] == "connected" and got()[2][1]["epoch"] == fake.epoch
    reconnect = [headers for path, headers in fake.requests[seen:] if strategy in path]
    assert reconnect and reconnect[-1].get("last-event-id") == f"{fake.epoch}:1", reconnect
    js(chromium, "window.es.close()")


def test_status_page_over_http2_keeps_its_live_websocket(chromium, tls_url, api_key):
    """A browser on the TLS port fetches over HTTP/2 and opens its WebSocket over HTTP/1.1 beside it (nginx 1.22
    has no WebSocket over HTTP/2): the status page's live feed still connects."""
    chromium.get(tls_url + "/")  # in this tab: the certificate override is per tab (open_dashboard opens a new one)
    wait_until(chromium, lambda d: d.find_element(By.ID, "key-input").is_displayed(), what="the key prompt")
    enter_key(chromium, api_key)
    wait_until(chromium, lambda d: d.find_element(By.ID, "feed-status").get_attribute("data-state") == "ok",
               what="the live stream to connect")
    assert js(chromium, "return performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"


# -- the suite's own stack --------------------------------------------------------------------------------------------

def _curl_version(url: str, *extra: str) -> str:
    done = subprocess.run(["curl", "--http2", "-sk", "-o", "/dev/null", "-w", "%{http_version}", *extra, url],
                          capture_output=True, text=True, timeout=20, check=True)
    return done.stdout


def test_tls_port_negotiates_http2_and_plain_http_stays_http1(tls_url, base_url):
    assert _curl_version(f"{tls_url}/health") == "2"
    assert _curl_version(f"{base_url}/health") == "1.1"
    assert _curl_version(f"{tls_url}/health", "--http1.1") == "1.1", "HTTP/1.1 clients are still served"


@pytest.mark.parametrize("path,status,code", [("/health", 200, None), ("/positions", 401, "missing_api_key"),
                                               ("/nope-h2", 404, "not_found"), ("/asyncapi.yaml", 200, None)])
def test_answers_over_http2_are_the_same_as_over_http1(tls_url, path, status, code):
    done = subprocess.run(["curl", "--http2", "-sk", "-D", "-", f"{tls_url}{path}"],
                          capture_output=True, timeout=20, check=True)
    head, _, body = done.stdout.decode("latin-1").partition("\r\n\r\n")
    body = body.encode("latin-1")
    assert head.startswith(f"HTTP/2 {status}"), head
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head.splitlines()[1:]}
    assert headers["strict-transport-security"] == "max-age=63072000"
    plain = requests.get(f"{tls_url}{path}", verify=False, timeout=10)
    assert plain.status_code == status
    if code:
        assert json.loads(body)["error"]["code"] == code
    else:
        assert body == plain.content


def test_sse_requests_reach_the_sidecar_and_their_api_key_is_never_logged(base_url, logs):
    secret = f"elpyfi_sse_{uuid.uuid4().hex}"
    mark = logs.mark()
    ids = []
    for path in ("/sse", "/sse/signals", "/sse/trades"):
        resp = requests.get(f"{base_url}{path}?strategy=x&api_key={secret}", timeout=10, stream=True)
        ids.append(resp.headers["X-Request-Id"])
        resp.close()
    entries = {e["request_id"]: e for e in logs.access_entries(mark)}
    for request_id in ids:
        deadline = time.monotonic() + 30  # hang guard
        while request_id not in entries:  # nginx writes the line when the request ends
            assert time.monotonic() < deadline, f"no access log line for {request_id}"
            time.sleep(0.05)
            entries = {e["request_id"]: e for e in logs.access_entries(mark)}
        entry = entries[request_id]
        assert entry["upstream"] == os.environ["ELPYFI_STREAM_LISTEN"], entry
        assert entry["query"] == "[redacted]", entry
    assert not [name for name, text in logs.since(mark).items() if secret in text]


def test_sse_paths_are_known_to_nginx(base_url):
    """A known path: other methods are 405 (not 404), and an allowed origin's preflight is 204."""
    for path in ("/sse", "/sse/signals", "/sse/trades"):
        assert requests.post(f"{base_url}{path}", timeout=10).status_code == 405
        preflight = requests.options(f"{base_url}{path}", timeout=10, headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"})
        assert preflight.status_code == 204
    assert requests.post(f"{base_url}/sse/other", timeout=10).status_code == 404
