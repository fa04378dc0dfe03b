"""The shipped nginx config and deploy scripts, seen from outside: nginx -t, JSON refusals in the order of
the contract's "Precise rules" (404 -> 405 -> 413), bounded URIs and headers, CORS, the 429 rate limit, TLS 1.2+ only,
and access and error logs that never hold an API key. Everything here is answered by nginx itself, except where a
request is meant to reach the worker (a 10 kB key must arrive there and be refused 403)."""

from __future__ import annotations

import http.client
import json
import pathlib
import socket
import ssl
import time
import urllib.parse
import uuid

import pytest
import requests

from extra_processes import REPO, extra_nginx
from test_stream_support import wait_for

ALLOWED_ORIGIN = "http://localhost:3000"  # deploy/test renders ELPYFI_CORS_ORIGINS=http://localhost:3000


def raw(base_url: str, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; return (status, headers with lower-case names, body) of the first response."""
    u = urllib.parse.urlsplit(base_url)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(rest) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def assert_json_error(resp: requests.Response, status: int, code: str) -> None:
    assert resp.status_code == status, (resp.status_code, resp.headers, resp.text[:300])
    assert resp.headers["Content-Type"].split(";")[0] == "application/json", resp.headers
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"].strip(), body


# -- the config itself ----------------------------------------------------------------------------------------------

def test_rendered_config_passes_nginx_t(ctl):
    ctl("nginx-test")


def test_server_header_has_no_version(base_url):
    server = requests.get(f"{base_url}/nope-deploy", timeout=10).headers.get("Server", "")
    assert server in ("", "nginx"), server


# -- methods, bodies, sizes: nginx's own JSON refusals ----------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "FOO"])
@pytest.mark.parametrize("path", ["/positions", "/metrics/momentum_v2", "/health", "/ws", "/openapi.yaml", "/"])
def test_other_methods_on_known_paths_are_405_json(base_url, api_key, method, path):
    resp = requests.request(method, f"{base_url}{path}", headers={"X-API-Key": api_key}, timeout=10)
    assert_json_error(resp, 405, "method_not_allowed")
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_post_with_a_body_is_405_not_413(base_url, api_key):
    resp = requests.post(f"{base_url}/positions", data=b"x" * 100_000, headers={"X-API-Key": api_key}, timeout=10)
    assert_json_error(resp, 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/nope", "/positions/", "/metrics/", "/metrics/a/b", "/_e/405"])
def test_other_methods_on_unknown_paths_are_404_first(base_url, path):
    assert_json_error(requests.post(f"{base_url}{path}", data=b"x" * 100_000, timeout=10), 404, "not_found")


def test_plain_options_is_405(base_url):
    assert_json_error(requests.options(f"{base_url}/positions", timeout=10), 405, "method_not_allowed")


def test_get_with_a_body_is_413_body_not_allowed(base_url, api_key):
    resp = requests.request("GET", f"{base_url}/positions", data=b"hello", headers={"X-API-Key": api_key}, timeout=10)
    assert_json_error(resp, 413, "body_not_allowed")


def test_chunked_get_is_413(base_url, api_key):
    status, headers, body = raw(base_url, b"GET /positions HTTP/1.1\r\nHost: x\r\nX-API-Key: " + api_key.encode()
                                + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert status == 413 and b'"body_not_allowed"' in body, (status, body)


def test_long_uri_is_414_uri_too_long(base_url, api_key):
    resp = requests.get(f"{base_url}/positions?pad={'a' * 20_000}", headers={"X-API-Key": api_key}, timeout=10)
    assert_json_error(resp, 414, "uri_too_long")


def test_huge_header_is_431_headers_too_large(base_url):
    resp = requests.get(f"{base_url}/positions", headers={"X-API-Key": "k" * 20_000}, timeout=10)
    assert_json_error(resp, 431, "headers_too_large")


def test_10kb_key_reaches_the_worker_and_is_403(base_url):
    resp = requests.get(f"{base_url}/positions", headers={"X-API-Key": "j" * 10_000}, timeout=10)
    assert_json_error(resp, 403, "invalid_api_key")


def test_path_traversal_is_400_bad_request_json(base_url):
    status, headers, body = raw(base_url, b"GET /metrics/..%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\n"
                                          b"Connection: close\r\n\r\n")
    if status == 400:
        assert headers["content-type"].startswith("application/json") and b'"bad_request"' in body, body
    else:  # nginx let it through: the worker must refuse the strategy name
        assert status in (400, 404), (status, body)


@pytest.mark.parametrize("target", ["/metrics/..%2F", "/metrics/%2E%2E%2F", "/x/..%2Fopenapi.yaml", "/ui%2Fmain.js",
                                    "/%2E/", "/ws/..%2Fstream/health", "/positions/..%2F"])
def test_paths_nginx_would_decode_onto_its_own_locations_go_to_the_worker(base_url, api_key, target):
    """`/metrics/..%2F` is `/` once decoded: it must not get the status page (or openapi.yaml, or the sidecar)."""
    status, headers, body = raw(base_url, f"GET {target} HTTP/1.1\r\nHost: x\r\nX-API-Key: {api_key}\r\n"
                                          "Connection: close\r\n\r\n".encode())
    assert status in (400, 404), (status, body[:200])
    assert headers["content-type"].startswith("application/json"), headers
    assert b'"error"' in body


def test_malformed_request_is_400_json(base_url):
    status, headers, body = raw(base_url, b"GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n")
    assert status == 400 and headers["content-type"].startswith("application/json"), (status, body)
    assert b'"bad_request"' in body


def test_internal_error_locations_are_not_reachable(base_url):
    for path in ("/_e/405", "/_e/429", "/_cors/preflight"):
        assert_json_error(requests.get(f"{base_url}{path}", timeout=10), 404, "not_found")


# -- CORS ---------------------------------------------------------------------------------------------------------------

def test_preflight_from_allowed_origin_is_204_with_exact_headers(base_url):
    resp = requests.options(f"{base_url}/signals/recent", timeout=10, headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key"})
    assert resp.status_code == 204, resp.headers
    assert resp.content == b""
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert resp.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "x-api-key" in resp.headers["Access-Control-Allow-Headers"].lower()
    assert resp.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in resp.headers["Vary"]


def test_preflight_from_other_origin_is_405_without_cors_headers(base_url):
    resp = requests.options(f"{base_url}/positions", timeout=10, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert_json_error(resp, 405, "method_not_allowed")
    assert not [h for h in resp.headers if h.lower().startswith("access-control-")], resp.headers


def test_preflight_on_unknown_path_is_404(base_url):
    resp = requests.options(f"{base_url}/nope", timeout=10, headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"})
    assert_json_error(resp, 404, "not_found")


@pytest.mark.parametrize("path,keyed", [("/health", False), ("/positions", True), ("/positions", False)])
def test_allowed_origin_gets_cors_headers_on_answers_and_errors(base_url, api_key, path, keyed):
    headers = {"Origin": ALLOWED_ORIGIN, **({"X-API-Key": api_key} if keyed else {})}
    resp = requests.get(f"{base_url}{path}", headers=headers, timeout=10)
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN, (resp.status_code, resp.headers)
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    assert "Origin" in resp.headers["Vary"]


def test_disallowed_origin_gets_no_cors_headers(base_url, api_key):
    resp = requests.get(f"{base_url}/positions", headers={"Origin": "https://evil.example", "X-API-Key": api_key},
                        timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    assert not [h for h in resp.headers if h.lower().startswith("access-control-")], resp.headers


# -- rate limit ---------------------------------------------------------------------------------------------------------

class _Pipelined:
    """What http.client.HTTPResponse reads from: one buffered reader shared by the answers of pipelined requests
    (each answer "closes" it when its body is read; the next one reads on)."""

    def __init__(self, sock: socket.socket):
        self.reader = sock.makefile("rb")

    def makefile(self, *_args, **_kwargs):
        return self

    def __getattr__(self, name):
        return getattr(self.reader, name)

    def close(self) -> None:
        pass


def _pipelined(base_url: str, path: str, headers: dict[str, str], count: int):
    """Sends `count` GETs at once on one connection (HTTP/1.1 pipelining) and yields each answer as
    (status, headers, body). nginx answers them back to back, so the rate it sees is its own speed, not the
    client's: a limit of a few hundred requests per second is passed however busy the machine is."""
    u = urllib.parse.urlsplit(base_url)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {u.hostname}\r\n{head}\r\n".encode()
    with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
        sock.sendall(request * count)
        source = _Pipelined(sock)
        for _ in range(count):
            resp = http.client.HTTPResponse(source)
            resp.begin()
            body = resp.read()
            yield resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
            if resp.will_close:
                return


def test_rate_limit_answers_429_rate_limited_json_with_retry_after(base_url, rate_key, api_key):
    """200 r/s with a burst of 200 per key (deploy/test): 1,000 requests sent at once with one key pass it."""
    limited = None
    answered = 0
    # /openapi.yaml is served by nginx itself: the flood never loads the workers.
    for status, headers, body in _pipelined(base_url, "/openapi.yaml", {"X-API-Key": rate_key, "Range": "bytes=0-0"},
                                            1000):
        answered += 1
        if status == 429:
            limited = (status, headers, body)
            break
        assert status in (200, 206), (status, body[:300])
    assert limited, f"no 429 in {answered} requests sent at once"
    assert answered > 200, answered  # the burst passed first
    status, headers, body = limited
    assert headers["content-type"].split(";")[0] == "application/json", headers
    error = json.loads(body)
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}, error
    assert error["error"]["code"] == "rate_limited" and error["error"]["message"].strip(), error
    assert headers["retry-after"] == "1"
    # Another key is not affected by this key's flood (nor is the address: its own limit is far higher).
    other = requests.get(f"{base_url}/positions", headers={"X-API-Key": api_key}, timeout=10)
    assert other.status_code == 200, (other.status_code, other.text[:300])


def test_live_config_limits_per_bounded_key_and_per_address(run_dir):
    """The stack under test runs both limits of rate-limit.conf (the tight instance below proves what they do)."""
    conf = (pathlib.Path(run_dir) / "nginx" / "snippets" / "rate-limit.conf").read_text()
    assert '"~^(?<elpyfi_rate_hkey>.{1,64})" "k:$elpyfi_rate_hkey";' in conf
    assert '"~^(?<elpyfi_rate_akey>.{1,64})" "k:$elpyfi_rate_akey";' in conf
    assert "limit_req_zone $elpyfi_rate_key zone=elpyfi_rate:10m rate=200r/s;" in conf
    assert "limit_req_zone $binary_remote_addr zone=elpyfi_rate_addr:10m rate=5000r/s;" in conf
    assert "limit_req zone=elpyfi_rate burst=200 nodelay;" in conf
    assert "limit_req zone=elpyfi_rate_addr burst=10000 nodelay;" in conf


# The whole suite talks to the stack from 127.0.0.1, so its per-address limit is set out of the way (5000 r/s):
# the limits' behaviour is proven on a second nginx, rendered from the same templates with tight values and
# reached from other loopback addresses (127.0.0.2...), so no other test is throttled.
TIGHT = {"ELPYFI_RATE_LIMIT": "1r/m", "ELPYFI_RATE_BURST": "5",
         "ELPYFI_RATE_LIMIT_PER_ADDRESS": "10r/s", "ELPYFI_RATE_BURST_PER_ADDRESS": "50"}


@pytest.fixture(scope="module")
def tight_nginx(tmp_path_factory, run_dir):
    """Port of an extra nginx (deploy/render-nginx, TIGHT limits) in a temp dir; stopped after this module.
    Its requests never need a worker: limit_req acts before any content handler, so only 429 or not matters."""
    yield from extra_nginx(tmp_path_factory.mktemp("tight-nginx"), run_dir, TIGHT)


@pytest.fixture(scope="module")
def cached_nginx(tmp_path_factory, run_dir):
    """Port of an extra nginx with the opt-in micro-cache on (ELPYFI_MICROCACHE_TTL=1s) in front of worker 1."""
    settings = {"ELPYFI_MICROCACHE_TTL": "1s", "ELPYFI_RATE_LIMIT_PER_ADDRESS": "5000r/s",
                "ELPYFI_RATE_BURST_PER_ADDRESS": "10000"}
    yield from extra_nginx(tmp_path_factory.mktemp("cached-nginx"), run_dir, settings)


def _cached_get(port: int, path: str, key: str | None) -> requests.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    return requests.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=10)


TTL_PASSED = {"EXPIRED", "STALE", "UPDATING", "REVALIDATED"}  # X-Cache-Status of an entry older than its TTL


def _cached_twice(port: int, key: str) -> tuple[str, requests.Response, requests.Response]:
    """(path, first, second): two GETs of a fresh URL with `key`, the second within the first's TTL. nginx says
    which it was: EXPIRED/STALE/UPDATING mean the TTL (1 s) ran out between the two (a busy machine), which proves
    nothing either way, so the pair is taken again on a new URL; HIT or MISS is the answer to judge."""
    for _ in range(10):
        path = f"/strategies?cache-probe={uuid.uuid4().hex}"
        first = _cached_get(port, path, key)
        second = _cached_get(port, path, key)
        if second.headers.get("X-Cache-Status") not in TTL_PASSED:
            return path, first, second
    raise AssertionError("ten pairs of GETs, each more than a TTL apart: the machine is too busy to judge")


def test_micro_cache_serves_a_keys_200_again_within_its_ttl(cached_nginx, api_key):
    _, first, second = _cached_twice(cached_nginx, api_key)
    assert (first.status_code, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache-Status"]) == (200, "HIT")
    assert second.content == first.content and second.headers["ETag"] == first.headers["ETag"]


def test_micro_cache_never_answers_another_or_a_missing_key(cached_nginx, api_key, hashed_key):
    path, first, second = _cached_twice(cached_nginx, api_key)
    assert first.status_code == 200 and second.headers["X-Cache-Status"] == "HIT"
    wrong = _cached_get(cached_nginx, path, "not-a-key")
    missing = _cached_get(cached_nginx, path, None)
    assert_json_error(wrong, 403, "invalid_api_key")
    assert_json_error(missing, 401, "missing_api_key")
    assert wrong.headers.get("X-Cache-Status") != "HIT" and missing.headers.get("X-Cache-Status") != "HIT"
    assert _cached_get(cached_nginx, path, hashed_key).headers["X-Cache-Status"] == "MISS"


def test_micro_cache_shows_new_data_after_its_ttl(cached_nginx, api_key, db):
    name = f"t_cache_{uuid.uuid4().hex[:12]}"
    try:
        for _ in range(10):
            path = f"/strategies?cache-probe={uuid.uuid4().hex}"
            before = _cached_get(cached_nginx, path, api_key)
            db.execute("INSERT INTO strategies (name, description) VALUES (%s, 'micro-cache probe') "
                       "ON CONFLICT DO NOTHING", (name,))
            cached = _cached_get(cached_nginx, path, api_key)
            if cached.headers.get("X-Cache-Status") not in TTL_PASSED:  # else: a TTL passed meanwhile; new URL
                break
            db.execute("DELETE FROM strategies WHERE name = %s", (name,))
        assert cached.headers["X-Cache-Status"] == "HIT" and name not in cached.text  # still the cached answer
        # Once the TTL has passed the entry is refreshed (in the background: one stale answer may come first).
        after = wait_for(lambda: (r := _cached_get(cached_nginx, path, api_key)).ok and name in r.text and r, 30,
                         what="the new row after the TTL")
        assert after.headers["ETag"] != before.headers["ETag"]
    finally:
        db.execute("DELETE FROM strategies WHERE name = %s", (name,))


def _statuses(port: int, source: str, keys: list[str]) -> list[tuple[int, bytes]]:
    """GET /openapi.yaml once per key over one keep-alive connection from `source`; stops at the first 429."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    out = []
    try:
        for key in keys:
            conn.request("GET", "/openapi.yaml", headers={"X-API-Key": key, "Range": "bytes=0-0"})
            resp = conn.getresponse()
            out.append((resp.status, resp.read()))
            if resp.status == 429:
                break
    finally:
        conn.close()
    return out


def test_cycling_junk_keys_from_one_address_gets_429(tight_nginx):
    """A fresh junk key per request escapes the per-key limit; the per-address one (10 r/s, burst 50) does not."""
    got = _statuses(tight_nginx, "127.0.0.3", [f"junk-{uuid.uuid4().hex}" for _ in range(300)])
    assert got[-1][0] == 429, f"no 429 after {len(got)} junk keys"
    assert len(got) > 50, f"429 after only {len(got)} requests: the burst of 50 should have been served"
    assert b'"rate_limited"' in got[-1][1], got[-1]


def test_keys_count_for_the_rate_limit_by_their_first_64_bytes(tight_nginx):
    """Keys equal in their first 64 bytes share one budget (1 r/m, burst 5), however long and varied their tails:
    10 kB junk keys cost the zone no more than real ones. Keys that differ early have a budget each."""
    distinct = _statuses(tight_nginx, "127.0.0.4",
                         [f"{uuid.uuid4().hex}{'d' * 100}" for _ in range(8)])
    assert [status for status, _ in distinct if status == 429] == [], distinct
    head = "p" * 64
    shared = _statuses(tight_nginx, "127.0.0.2", [head + uuid.uuid4().hex * 300 for _ in range(8)])
    assert shared[-1][0] == 429 and len(shared) == 7, [status for status, _ in shared]
    assert b'"rate_limited"' in shared[-1][1], shared[-1]


# -- TLS ----------------------------------------------------------------------------------------------------------------

def _tls_handshake(tls_url: str, version: ssl.TLSVersion) -> str:
    u = urllib.parse.urlsplit(tls_url)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old versions: the refusal must be the server's
    ctx.minimum_version = version
    ctx.maximum_version = version
    with socket.create_connection((u.hostname, u.port), timeout=10) as s, \
            ctx.wrap_socket(s, server_hostname="localhost") as t:
        t.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert t.recv(12).startswith(b"HTTP/1.1 ")
        return t.version()


@pytest.mark.parametrize("version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_tls_port_speaks_tls_1_2_and_1_3(tls_url, version, name):
    assert _tls_handshake(tls_url, version) == name


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_port_refuses_tls_1_0_and_1_1(tls_url, version):
    with pytest.raises(ssl.SSLError) as err:
        _tls_handshake(tls_url, version)
    if "NO_PROTOCOLS_AVAILABLE" in str(err.value).upper() or "no protocols available" in str(err.value):
        pytest.skip(f"this Python's OpenSSL cannot even offer {version.name}")
    assert "PROTOCOL_VERSION" in str(err.value).upper() or "UNSUPPORTED_PROTOCOL" in str(err.value).upper(), err.value


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_port_serves_the_api(tls_url):
    resp = requests.get(f"{tls_url}/nope-tls", verify=False, timeout=10)
    assert_json_error(resp, 404, "not_found")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("path", ["/health", "/nope-hsts", "/openapi.yaml", "/", "/ui/style.css", "/stream/health"])
def test_tls_answers_carry_hsts_and_plain_http_ones_do_not(tls_url, base_url, path):
    """ELPYFI_HSTS_MAX_AGE's default (63072000) on every answer of the TLS port: the worker's, nginx's own errors,
    static files and the sidecar's; never on the plain HTTP port (browsers ignore it there anyway)."""
    resp = requests.get(f"{tls_url}{path}", verify=False, timeout=10)
    assert resp.headers.get("Strict-Transport-Security") == "max-age=63072000", (resp.status_code, resp.headers)
    assert "Strict-Transport-Security" not in requests.get(f"{base_url}{path}", timeout=10).headers


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_refusals_carry_hsts_too(tls_url):
    resp = requests.post(f"{tls_url}/positions", verify=False, timeout=10)
    assert_json_error(resp, 405, "method_not_allowed")
    assert resp.headers.get("Strict-Transport-Security") == "max-age=63072000"


# -- documents ----------------------------------------------------------------------------------------------------------

def test_status_page_is_served_as_html(base_url):
    resp = requests.get(f"{base_url}/", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert resp.content == (REPO / "web" / "index.html").read_bytes()


def test_openapi_is_served_as_yaml(base_url):
    resp = requests.get(f"{base_url}/openapi.yaml", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/yaml")
    assert resp.content == (REPO / "openapi.yaml").read_bytes()


def test_websocket_paths_without_sidecar_are_502_json(base_url, ctl):
    ctl("stream-stop")
    try:
        for path in ("/ws", "/stream/health"):
            assert_json_error(requests.get(f"{base_url}{path}", timeout=10), 502, "upstream_unavailable")
    finally:
        ctl("stream-start")
    assert requests.get(f"{base_url}/stream/health", timeout=10).status_code == 200


# -- logs ---------------------------------------------------------------------------------------------------------------

def test_logs_never_contain_api_keys(base_url, api_key, hashed_key, logs):
    mark = logs.mark()
    marker = f"deploy-log-{time.monotonic_ns()}"
    sent = [
        f"/positions?m={marker}",
        f"/positions?m={marker}&api_key={api_key}",
        f"/ws?api_key={api_key}&m={marker}",
        f"/ws/signals?m={marker}&API_KEY={api_key}&api_key={hashed_key}",
        f"/signals/recent?m={marker}&api%5Fkey={api_key}",
        f"/nope?m={marker}&api_key={api_key}",
    ]
    answers = [requests.get(f"{base_url}{target}", headers={"X-API-Key": api_key}, timeout=10) for target in sent]
    answers.append(requests.post(f"{base_url}/positions?api_key={api_key}&m={marker}",
                                 headers={"X-API-Key": api_key}, timeout=10))
    answers.append(requests.get(f"{base_url}/positions", headers={"X-API-Key": hashed_key}, timeout=10))
    logs.logged(mark, answers)  # every line written (the workers write theirs before they answer)
    written = logs.since(mark)
    assert written.get("nginx-access.log"), "nothing was written to the access log"
    for name, text in written.items():
        for key in (api_key, hashed_key):
            assert key not in text, f"an API key was written to {name}"
    entries = [e for e in logs.access_entries(mark) if e["path"] != "/positions" or e["query"]]
    assert any(e["query"] == f"m={marker}" for e in entries), entries  # harmless queries are kept
    assert sum(e["query"] == "[redacted]" for e in entries) >= 5, entries


def test_upstream_failures_never_put_a_query_key_in_the_error_log(base_url, api_key, ctl, logs, run_dir):
    """nginx ends each request-time error line with the request line, query included: with worker 1 stopped and
    its socket gone (nginx retries worker 2; a missing Unix socket is logged at `crit`, not just `error`) and then
    the sidecar stopped (502), nothing may write a key from ?api_key= to any log. The access log still shows the
    failures (upstream, upstream_status)."""
    mark = logs.mark()
    marker = f"deploy-errlog-{time.monotonic_ns()}"
    ctl("worker-stop", "1")
    try:
        (pathlib.Path(run_dir) / "fcgi-1.sock").unlink(missing_ok=True)
        rest = [requests.get(f"{base_url}/positions?api_key={api_key}&m={marker}", headers={"X-API-Key": api_key},
                             timeout=10) for _ in range(6)]
    finally:
        ctl("worker-start", "1")
    assert [r.status_code for r in rest] == [200] * 6, [(r.status_code, r.text[:200]) for r in rest]
    ctl("stream-stop")
    refused = []
    try:
        for path in ("/ws", "/ws/trades", "/stream/health"):
            resp = requests.get(f"{base_url}{path}?api_key={api_key}&m={marker}", timeout=10)
            assert_json_error(resp, 502, "upstream_unavailable")
            refused.append(resp)
    finally:
        ctl("stream-start")
    entries = logs.logged(mark, rest + refused)
    retried = [e for e in entries if e["path"] == "/positions" and "fcgi-1.sock" in e["upstream"]]
    assert retried and all(e["upstream_status"].startswith("502, ") for e in retried), entries
    assert sum(e["path"].startswith(("/ws", "/stream")) and e["status"] == 502 for e in entries) == 3, entries
    for name, text in logs.since(mark).items():
        assert api_key not in text, f"the API key was written to {name}"
