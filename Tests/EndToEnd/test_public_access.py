"""Public dashboard access (docs/CONTRACT.md "Public dashboard access"), end to end: anonymous answers on listed paths,
the shared anonymous cache (X-Cache-Status, Cache-Control: public, ETag/304, one worker request per URL per TTL),
per-address limits for anonymous REST and WebSocket upgrades (keyed clients on the same address not charged), a
real second nginx in front as a trusted proxy (ELPYFI_TRUSTED_PROXIES), and bad configuration stopping everything.

The suite's own stack keeps ELPYFI_PUBLIC_PATHS empty (nothing changes for it: the other files prove that). This
module starts its own public deployment beside it: two REST workers and a sidecar (the release binaries, on free
TCP ports, with ELPYFI_PUBLIC_PATHS set), an nginx rendered by deploy/render-nginx with tight anonymous limits, and a
plain nginx in front of it that plays the CDN (it connects from 127.0.0.77, the one trusted proxy). Every test
talks from its own loopback address (127.0.0.x), so the per-address budgets of one test never touch another's.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import pathlib
import signal
import subprocess
import time
import uuid

import pytest
import requests

from stack import request_ids, saved
from extra_processes import REPO, extra_nginx, free_port, wait_port
from test_deploy import assert_json_error
from test_stream_support import SseReader, raw_handshake, wait_for

PUBLIC = "/positions,/strategies,/metrics/*,/ws/trades,/sse/trades"
PROXY_ADDRESS = "127.0.0.77"
RATE, BURST, WS_PER_ADDRESS = "2r/s", 10, 3


class Source(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections come from one loopback address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session(address: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", Source(address))
    return s


def _bin_dir(run_dir: str) -> pathlib.Path:
    """The binaries the suite's stack runs (stack.env's BIN_DIR), else the release build."""
    return pathlib.Path(saved(run_dir, "BIN_DIR") or REPO / ".build" / "release")





def _program_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ELPYFI_FCGI_LISTEN", "ELPYFI_FCGI_THREADS")}
    env.update(ELPYFI_PUBLIC_PATHS=PUBLIC, ELPYFI_PUBLIC_CACHE_TTL="1s", **extra)
    return env


FRONT_CONF = """daemon off;
{user}
pid {d}/front.pid;
error_log {d}/front-error.log;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/front-tmp/body;
    proxy_temp_path {d}/front-tmp/proxy;
    fastcgi_temp_path {d}/front-tmp/fastcgi;
    uwsgi_temp_path {d}/front-tmp/uwsgi;
    scgi_temp_path {d}/front-tmp/scgi;
    access_log off;
    map $http_upgrade $front_connection {{ default upgrade; "" close; }}
    server {{
        listen 127.0.0.1:{front};
        location / {{
            proxy_pass http://127.0.0.1:{api};
            proxy_bind {proxy};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $front_connection;
            # As a CDN does: the client's address appended to whatever the client sent.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


class Public:
    """The public deployment: `url` (its nginx), `front_url` (the proxy in front), its access log."""

    def __init__(self, port: int, front: int, nginx_dir: pathlib.Path):
        self.url = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"
        self.front_url = f"http://127.0.0.1:{front}"
        self.access_log = nginx_dir / "nginx-access.log"

    def access_entries(self, answers=(), done=lambda entries: True) -> list[dict]:
        """The access log, once it holds the line of each of `answers` (responses or request ids) and done(entries)
        is true: nginx writes a line after it sent the answer, so the client may hold the answer first."""
        ids = request_ids(answers)
        return wait_for(lambda: (e := self._entries()) is not None and done(e)
                        and ids <= {x.get("request_id") for x in e} and e, 30, what="the access log lines")

    def _entries(self) -> list[dict]:
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]


@contextlib.contextmanager
def public_deployment(d: pathlib.Path, run_dir: str, **overrides: str):
    """Starts two workers, a sidecar, an nginx (deploy/render-nginx: PUBLIC, tight anonymous limits unless
    `overrides` says otherwise) and the front proxy, all in `d`; yields a `Public`; stops them all."""
    os.chmod(d, 0o755)
    bins = _bin_dir(run_dir)
    procs: list[subprocess.Popen] = []
    try:
        worker_ports = [free_port(), free_port()]
        for i, port in enumerate(worker_ports):
            log = d / f"fcgi-{i}.log"
            proc = subprocess.Popen([str(bins / "elpyfi-fcgi"), "serve", "--listen", f"127.0.0.1:{port}",
                                     "--threads", "2"], env=_program_env(), cwd=d, stdin=subprocess.DEVNULL,
                                    stdout=log.open("ab"), stderr=subprocess.STDOUT)
            procs.append(proc)
            wait_port(port, proc, log)
        stream_port = free_port()
        log = d / "stream.log"
        proc = subprocess.Popen([str(bins / "elpyfi-stream"), "--listen", f"127.0.0.1:{stream_port}"],
                                env=_program_env(), cwd=d, stdin=subprocess.DEVNULL, stdout=log.open("ab"),
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_port(stream_port, proc, log)
        settings = {
            "ELPYFI_FCGI_UPSTREAMS": ",".join(f"127.0.0.1:{p}" for p in worker_ports),
            "ELPYFI_STREAM_LISTEN": f"127.0.0.1:{stream_port}",
            "ELPYFI_PUBLIC_PATHS": PUBLIC, "ELPYFI_PUBLIC_RATE_LIMIT": RATE,
            "ELPYFI_PUBLIC_RATE_BURST": str(BURST), "ELPYFI_PUBLIC_WS_PER_ADDRESS": str(WS_PER_ADDRESS),
            "ELPYFI_TRUSTED_PROXIES": f"{PROXY_ADDRESS},192.0.2.0/24",
            "ELPYFI_RATE_LIMIT_PER_ADDRESS": "5000r/s", "ELPYFI_RATE_BURST_PER_ADDRESS": "10000",
            **overrides,
        }
        nginx_dir = d / "nginx"
        nginx_dir.mkdir()
        os.chmod(nginx_dir, 0o755)
        gen = extra_nginx(nginx_dir, run_dir, settings)
        port = next(gen)
        try:
            front = free_port()
            (d / "front-tmp").mkdir()
            user = "user elpyfi-dev;" if os.geteuid() == 0 else ""
            (d / "front.conf").write_text(FRONT_CONF.format(d=d, front=front, api=port, proxy=PROXY_ADDRESS,
                                                            user=user))
            log = d / "front.log"
            proc = subprocess.Popen(["nginx", "-p", str(d), "-c", str(d / "front.conf"), "-e",
                                     str(d / "front-error.log")], stdin=subprocess.DEVNULL, stdout=log.open("ab"),
                                    stderr=subprocess.STDOUT)
            procs.append(proc)
            wait_port(front, proc, d / "front-error.log")
            yield Public(port, front, nginx_dir)
        finally:
            gen.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def public(tmp_path_factory, run_dir):
    with public_deployment(tmp_path_factory.mktemp("public"), run_dir) as deployment:
        yield deployment


def probe(path: str) -> str:
    """`path` with a unique, ignored parameter: a URL (and so a cache entry) of this test's own."""
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}probe={uuid.uuid4().hex}"


# -- anonymous answers ---------------------------------------------------------------------------------------------

def test_anonymous_get_on_a_listed_path_gets_the_keyed_body_marked_public(public, api_key):
    s = session("127.0.0.11")
    path = probe("/strategies")
    keyed = s.get(public.url + path, headers={"X-API-Key": api_key}, timeout=10)
    first = s.get(public.url + path, timeout=10)
    second = s.get(public.url + path, timeout=10)
    assert first.status_code == 200, first.text[:300]
    assert first.content == keyed.content and first.headers["ETag"] == keyed.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=1"
    assert keyed.headers["Cache-Control"] == "no-cache"
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert second.content == first.content and second.headers["Cache-Control"] == "public, max-age=1"
    assert "X-Accel-Expires" not in first.headers and "X-Accel-Expires" not in second.headers


def test_anonymous_etag_revalidates_to_304(public):
    s = session("127.0.0.12")
    path = probe("/positions")
    etag = s.get(public.url + path, timeout=10).headers["ETag"]
    resp = s.get(public.url + path, headers={"If-None-Match": etag}, timeout=10)
    assert resp.status_code == 304 and resp.content == b"", resp.headers
    assert resp.headers["ETag"] == etag
    other = s.get(public.url + probe("/positions"), headers={"If-None-Match": etag}, timeout=10)
    assert other.status_code == 304  # a fresh URL: filled from the worker, then answered 304 by nginx


def test_keyed_answers_never_come_from_or_go_into_the_anonymous_cache(public, api_key):
    s = session("127.0.0.13")
    path = probe("/strategies")
    for _ in range(3):
        keyed = s.get(public.url + path, headers={"X-API-Key": api_key}, timeout=10)
        assert keyed.status_code == 200 and keyed.headers["Cache-Control"] == "no-cache"
        assert "X-Cache-Status" not in keyed.headers, keyed.headers  # no cache at all for keys (micro-cache off)
    assert s.get(public.url + path, timeout=10).headers["X-Cache-Status"] == "MISS"  # keys filled nothing
    assert s.get(public.url + path, timeout=10).headers["X-Cache-Status"] == "HIT"
    keyed = s.get(public.url + path, headers={"X-API-Key": api_key}, timeout=10)
    assert "X-Cache-Status" not in keyed.headers and keyed.headers["Cache-Control"] == "no-cache"


def test_keyed_etag_still_revalidates_to_304_at_the_worker(public, api_key):
    s = session("127.0.0.13")
    etag = s.get(public.url + "/strategies", headers={"X-API-Key": api_key}, timeout=10).headers["ETag"]
    resp = s.get(public.url + "/strategies", headers={"X-API-Key": api_key, "If-None-Match": etag}, timeout=10)
    assert resp.status_code == 304, resp.headers


@pytest.mark.parametrize("path", ["/signals/recent", "/signals/proposed", "/pdt/status"])
def test_private_paths_still_need_a_key_and_their_401s_are_not_cached(public, path):
    s = session("127.0.0.14")
    url = public.url + probe(path)
    for _ in range(3):
        resp = s.get(url, timeout=10)
        assert_json_error(resp, 401, "missing_api_key")
        assert resp.headers.get("X-Cache-Status") != "HIT"


def test_a_wrong_key_on_a_listed_path_is_403_never_anonymous(public):
    s = session("127.0.0.15")
    path = probe("/positions")
    s.get(public.url + path, timeout=10)  # fill the anonymous entry first
    for key in ("nope", "x" * 60):
        resp = s.get(public.url + path, headers={"X-API-Key": key}, timeout=10)
        assert_json_error(resp, 403, "invalid_api_key")


def test_a_refused_query_on_a_listed_path_is_400_and_not_cached(public):
    s = session("127.0.0.16")
    url = public.url + probe("/positions?strategy=a%20b")
    statuses = [s.get(url, timeout=10) for _ in range(3)]
    for resp in statuses:
        assert_json_error(resp, 400, "invalid_parameter")
        assert resp.headers.get("X-Cache-Status") == "MISS", resp.headers


SNEAKY_HEADERS = [
    {"X-Forwarded-For": "127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}, {"Authorization": "Bearer public"},
    {"X-Original-URL": "/positions"}, {"X-Rewrite-URL": "/positions"}, {"X-API-Key-Public": "1"},
    {"Cookie": "api_key=public"}, {"X-Anonymous": "1"}, {"Origin": "http://localhost:3000"},
    {"X-API-Key": ""}, {"Cache-Control": "public"}, {"X-HTTP-Method-Override": "GET"},
]
SNEAKY_TARGETS = ["/signals/recent", "/signals/recent?api_key=", "/signals/recent?public=1",
                  "/signals/recent?path=/positions", "/signals/recent?template=/positions",
                  "/pdt/status?/positions", "/signals/proposed?strategy=positions"]


@pytest.mark.parametrize("headers", SNEAKY_HEADERS)
def test_no_header_or_parameter_makes_a_private_path_anonymous(public, headers):
    # Keyless requests on private paths count against the anonymous budget too: one address per header set.
    s = session(f"127.0.2.{SNEAKY_HEADERS.index(headers) + 1}")
    for target in SNEAKY_TARGETS:
        resp = s.get(public.url + target, headers=headers, timeout=10)
        assert resp.status_code == 401, (target, headers, resp.status_code, resp.text[:200])
    for target in ("/positions/../signals/recent", "/positions%2F..%2Fsignals/recent", "//signals/recent"):
        resp = s.get(public.url + target, headers=headers, timeout=10)
        assert resp.status_code in (400, 401, 404), (target, resp.status_code)


# -- the worker side of the cache ------------------------------------------------------------------------------------

def test_a_crowd_of_anonymous_viewers_costs_one_worker_request_per_url_per_ttl(public):
    """40 viewers (40 addresses) hit one URL 6 times each over ~2.5 s: nginx sends at most one request per TTL
    (1 s) to the workers (the access log's "upstream" is empty for answers from the cache)."""
    path = probe("/positions")
    start = time.monotonic()

    def viewer(n: int) -> list[int]:
        s = session(f"127.0.1.{n}")
        out = []
        for _ in range(6):
            out.append(s.get(public.url + path, timeout=10).status_code)
            time.sleep(0.4)
        return out

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        statuses = [code for codes in pool.map(viewer, range(1, 41)) for code in codes]
    elapsed = time.monotonic() - start
    assert statuses == [200] * 240
    mine = lambda entries: [e for e in entries if path.split("?")[1] in (e["query"] or "")]  # noqa: E731
    entries = mine(public.access_entries(done=lambda all_: len(mine(all_)) >= 240))
    assert len(entries) == 240, len(entries)
    reached = [e for e in entries if e["upstream"] not in ("", "-")]
    assert 1 <= len(reached) <= int(elapsed) + 2, (len(reached), elapsed)


# -- per-address limits ----------------------------------------------------------------------------------------------

def test_anonymous_requests_are_limited_per_address_and_keyed_ones_are_not_charged(public, api_key):
    s = session("127.0.0.21")
    url = public.url + "/positions"
    got = []
    for _ in range(BURST + 10):
        got.append(s.get(url, timeout=10))
        if got[-1].status_code == 429:
            break
    assert got[-1].status_code == 429, [r.status_code for r in got]
    assert len(got) > BURST, f"429 after {len(got)}: the burst of {BURST} should have been served"
    assert_json_error(got[-1], 429, "rate_limited")
    assert got[-1].headers["Retry-After"] == "1"
    # The same address with a key: its own budget, not the anonymous one.
    for _ in range(BURST + 5):
        keyed = s.get(url, headers={"X-API-Key": api_key}, timeout=10)
        assert keyed.status_code == 200, (keyed.status_code, keyed.text[:200])
    # Another address is not affected.
    assert session("127.0.0.22").get(url, timeout=10).status_code == 200


def _upgrade(base: str, path: str, source: str, headers: dict[str, str] | None = None):
    """A raw WebSocket upgrade from `source`; returns (socket, status, body)."""
    sock, status, _, rest = raw_handshake(base, path, headers, source=source)
    return sock, status, rest


def _fill_the_anonymous_cap(public, source: str, count: int, opened: list) -> None:
    """`count` anonymous WebSockets on /ws/trades from `source` (kept in `opened`), then one more is 429."""
    for _ in range(count):
        sock, status, _ = _upgrade(public.ws, "/ws/trades", source)
        opened.append(sock)
        assert status == 101
    sock, status, body = _upgrade(public.ws, "/ws/trades", source)
    sock.close()
    assert status == 429 and b'"rate_limited"' in body, (status, body)


def test_anonymous_websockets_on_a_listed_stream_are_capped_per_address(public, api_key):
    source = "127.0.0.31"
    opened = []
    try:
        _fill_the_anonymous_cap(public, source, WS_PER_ADDRESS, opened)
        # Keyed streams from the same address are not counted against the anonymous cap.
        for headers, path in (({"X-API-Key": api_key}, "/ws/trades"), ({}, f"/ws?api_key={api_key}")):
            sock, status, body = _upgrade(public.ws, path, source, headers)
            opened.append(sock)
            assert status == 101, (status, body)
        # A private stream still needs a key.
        sock, status, body = _upgrade(public.ws, "/ws/signals", "127.0.0.32")
        sock.close()
        assert status == 401 and b'"missing_api_key"' in body, (status, body)
        sock, status, body = _upgrade(public.ws, "/ws/trades?api_key=wrong", "127.0.0.32")
        sock.close()
        assert status == 403 and b'"invalid_api_key"' in body, (status, body)
    finally:
        for sock in opened:
            sock.close()


def test_anonymous_sse_on_a_listed_stream_is_served_and_counted_in_the_same_cap(public, api_key):
    """An anonymous SSE response on /sse/trades is the stream, and it takes a place in the per-address stream cap
    that anonymous WebSockets share (docs/CONTRACT.md "Server-Sent Events")."""
    source = "127.0.0.33"
    opened, responses = [], []
    try:
        sse = SseReader(public.url, "/sse/trades", source=source)
        responses.append(sse)
        assert sse.status == 200, sse.body
        assert sse.next()["json"]["type"] == "connected"
        _fill_the_anonymous_cap(public, source, WS_PER_ADDRESS - 1, opened)
        over = SseReader(public.url, "/sse/trades", source=source)
        responses.append(over)
        assert over.status == 429 and json.loads(over.body)["error"]["code"] == "rate_limited"
        # A private SSE stream still needs a key; a keyed one is not charged.
        private = SseReader(public.url, "/sse/signals", source="127.0.0.34")
        responses.append(private)
        assert private.status == 401 and json.loads(private.body)["error"]["code"] == "missing_api_key"
        keyed = SseReader(public.url, "/sse/trades", {"X-API-Key": api_key}, source=source)
        responses.append(keyed)
        assert keyed.status == 200
    finally:
        for sock in opened:
            sock.close()
        for response in responses:
            response.close()


# -- behind a trusted proxy ------------------------------------------------------------------------------------------

def _until_429(s: requests.Session, url: str, headers=lambda i: {}) -> int:
    """Anonymous GETs until the first 429; how many were served before it, checked against the budget: the burst,
    plus what the rate (2 r/s) gave back while they ran. The time taken only widens that bound on a busy machine."""
    start = time.monotonic()
    for i in range(BURST + 20):
        resp = s.get(url, headers=headers(i), timeout=10)
        if resp.status_code == 429:
            refilled = int(2 * (time.monotonic() - start)) + 2  # the first request, and a rounding
            assert BURST <= i <= BURST + refilled, (i, refilled)
            return i
        assert resp.status_code == 200, (resp.status_code, resp.text[:200])
    raise AssertionError("no 429")


def test_behind_the_trusted_proxy_each_viewer_has_its_own_budget(public):
    """Through the front nginx (connecting from 127.0.0.77, trusted), the limit counts each viewer's own address,
    whatever X-Forwarded-For the viewer itself sent."""
    a, b = session("127.0.0.41"), session("127.0.0.42")
    url = public.front_url + "/strategies"
    _until_429(a, url, headers=lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
    other = b.get(url, timeout=10)
    assert other.status_code == 200  # another viewer behind the same proxy
    remotes = {e["remote"] for e in public.access_entries([other]) if e["path"] == "/strategies"}
    assert {"127.0.0.41", "127.0.0.42"} <= remotes and PROXY_ADDRESS not in remotes, remotes
    assert not any(r.startswith("198.51.100.") for r in remotes), remotes


def test_a_spoofed_forwarded_for_from_an_untrusted_address_changes_nothing(public):
    s = session("127.0.0.43")
    _until_429(s, public.url + "/strategies", headers=lambda i: {"X-Forwarded-For": f"192.0.2.{i + 1}"})
    last = s.get(public.url + "/strategies", timeout=10)
    remotes = {e["remote"] for e in public.access_entries([last])}
    assert "127.0.0.43" in remotes and not any(r.startswith("192.0.2.") for r in remotes), remotes


# -- bad configuration -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,value", [
    ("ELPYFI_PUBLIC_PATHS", "/positions,/health"), ("ELPYFI_PUBLIC_PATHS", "/positions/"),
    ("ELPYFI_PUBLIC_PATHS", "/metrics/momentum"), ("ELPYFI_PUBLIC_CACHE_TTL", "0"),
])
def test_a_malformed_public_setting_stops_the_programs_naming_the_variable(run_dir, tmp_path, name, value):
    bins = _bin_dir(run_dir)
    env = {**_program_env(), name: value}
    for cmd in ([str(bins / "elpyfi-fcgi"), "serve", "--listen", str(tmp_path / "x.sock")],
                [str(bins / "elpyfi-stream"), "--listen", f"127.0.0.1:{free_port()}"]):
        proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=20)
        assert proc.returncode != 0, cmd
        assert name in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("name,value", [
    ("ELPYFI_PUBLIC_PATHS", "/positions,/nope"), ("ELPYFI_PUBLIC_PATHS", "/ws/*"),
    ("ELPYFI_TRUSTED_PROXIES", "10.0.0.0/33"), ("ELPYFI_TRUSTED_PROXIES", "proxy.example"),
    ("ELPYFI_TRUSTED_PROXIES", "1.2.3.4;"), ("ELPYFI_REAL_IP_HEADER", "X Forwarded"),
    ("ELPYFI_PUBLIC_RATE_LIMIT", "5"), ("ELPYFI_PUBLIC_WS_PER_ADDRESS", "0"), ("ELPYFI_HSTS_MAX_AGE", "1y"),
    ("ELPYFI_UPSTREAM_TIMEOUT", "0"),
])
def test_a_malformed_setting_stops_render_nginx_naming_the_variable(tmp_path, name, value):
    proc = subprocess.run([str(REPO / "deploy" / "render-nginx"), str(tmp_path / "conf")],
                          env={**os.environ, name: value}, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert name in proc.stderr, proc.stderr


def test_render_nginx_accepts_every_listable_path_and_proxy_form(tmp_path):
    env = {**os.environ, "ELPYFI_PUBLIC_PATHS": "/positions, /signals/recent,/signals/proposed,/metrics/*,"
                                                 "/pdt/status,/strategies,/ws,/ws/signals,/ws/trades,"
                                                 "/sse,/sse/signals,/sse/trades",
           "ELPYFI_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.0/8,2001:db8::/32,::1", "ELPYFI_HSTS_MAX_AGE": "0"}
    proc = subprocess.run([str(REPO / "deploy" / "render-nginx"), str(tmp_path / "conf")], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    real_ip = (tmp_path / "conf" / "snippets" / "real-ip.conf").read_text()
    for entry in ("10.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1"):
        assert f"set_real_ip_from {entry};" in real_ip
    assert 'on "";' in (tmp_path / "conf" / "snippets" / "hsts.conf").read_text()  # 0 turns HSTS off


# -- with the opt-in micro-cache on as well ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def public_micro(tmp_path_factory, run_dir):
    """The same deployment with ELPYFI_MICROCACHE_TTL=1s: keyed requests use the micro-cache, anonymous ones the
    anonymous cache; neither ever answers from the other."""
    with public_deployment(tmp_path_factory.mktemp("public-micro"), run_dir, ELPYFI_MICROCACHE_TTL="1s") as d:
        yield d


def test_micro_cache_and_anonymous_cache_stay_apart(public_micro, api_key):
    s = session("127.0.0.51")
    path = probe("/strategies")
    keyed = [s.get(public_micro.url + path, headers={"X-API-Key": api_key}, timeout=10) for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in keyed] == ["MISS", "HIT"]
    assert all(r.headers["Cache-Control"] == "no-cache" for r in keyed)
    anonymous = [s.get(public_micro.url + path, timeout=10) for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in anonymous] == ["MISS", "HIT"]  # the keyed entry is not theirs
    assert all(r.headers["Cache-Control"] == "public, max-age=1" for r in anonymous)
    again = s.get(public_micro.url + path, headers={"X-API-Key": api_key}, timeout=10)
    assert again.headers["Cache-Control"] == "no-cache"  # from the micro-cache, never the anonymous entry
    for _ in range(2):
        resp = s.get(public_micro.url + probe("/pdt/status"), timeout=10)
        assert_json_error(resp, 401, "missing_api_key")
    assert s.get(public_micro.url + "/health", timeout=10).headers["X-Public-Paths"].startswith("/metrics/{strategy}")
