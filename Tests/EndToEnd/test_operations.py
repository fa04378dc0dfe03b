"""Operations (issue 11): the ops listener's expositions, counters that move by exactly what is sent, request ids,
JSON logs without keys or SQL, and a real Prometheus server (Debian's 2.42) scraping the test stack with the
shipped config, rules and dashboard. Ports: ELPYFI_TEST_OPS_PORT (nginx ops), ELPYFI_TEST_PROMETHEUS_PORT."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from extra_processes import REPO as ROOT
from test_stream_support import SseReader, raw_handshake, unique_strategy

OPS = os.environ.get("ELPYFI_TEST_OPS_URL", "http://127.0.0.1:19102")
WORKERS = int(os.environ.get("ELPYFI_TEST_WORKERS", "2"))
PROM_PORT = int(os.environ.get("ELPYFI_TEST_PROMETHEUS_PORT", "19090"))
EXPOSITION_TYPE = "text/plain; version=0.0.4"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
TARGETS = ["/metrics/nginx", "/metrics/stream"] + [f"/metrics/fcgi-{n}" for n in range(1, WORKERS + 1)]


def parse(text: str) -> dict[tuple, float]:
    """{(name, ((label, value), ...)): value} of an exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(match.group(2) or "")))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def scrape(path: str) -> dict[tuple, float]:
    reply = requests.get(OPS + path, timeout=5)
    assert reply.status_code == 200, (path, reply.status_code, reply.text[:200])
    assert reply.headers["Content-Type"].startswith(EXPOSITION_TYPE), reply.headers
    return parse(reply.text)


def workers_total(name: str, **labels) -> float:
    """A sample summed over every worker's exposition (0 when absent)."""
    want = tuple(sorted(labels.items()))
    return sum(scrape(f"/metrics/fcgi-{n}").get((name, want), 0.0) for n in range(1, WORKERS + 1))


def stream_value(name: str, **labels) -> float:
    return scrape("/metrics/stream")[(name, tuple(sorted(labels.items())))]


def get(base_url: str, path: str, api_key: str | None, **kwargs) -> requests.Response:
    headers = {"X-API-Key": api_key} if api_key else {}
    return requests.get(base_url + path, headers=headers, timeout=10, **kwargs)


# The public ports

@pytest.mark.parametrize("path", ["/metrics", "/metrics/nginx", "/stub_status", "/metrics/stream"])
def test_public_ports_serve_no_exposition(base_url, tls_url, api_key, path):
    for url in (base_url, tls_url):
        reply = requests.get(url + path, headers={"X-API-Key": api_key, "ELPYFI-OPS": "1", "Elpyfi_Ops": "1"},
                             timeout=10, verify=False)
        assert not reply.headers.get("Content-Type", "").startswith("text/plain"), (url, path)
        assert "# TYPE" not in reply.text
        if path == "/metrics":
            assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"


def test_a_worker_path_on_the_public_port_is_a_strategy_name_not_an_exposition(base_url, api_key):
    reply = get(base_url, "/metrics/fcgi-1", api_key)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/json")
    assert "elpyfi_http_requests_total" not in reply.text


# The ops listener

@pytest.mark.parametrize("path", TARGETS)
def test_every_process_answers_a_valid_exposition_on_the_ops_listener(path):
    reply = requests.get(OPS + path, timeout=5)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith(EXPOSITION_TYPE)
    check = subprocess.run(["promtool", "check", "metrics"], input=reply.text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    parse(reply.text)


def test_only_the_ops_server_sets_the_exposition_parameter(tmp_path):
    """render-nginx: one /metrics/fcgi-N per worker (socket or host:port), and ELPYFI_OPS nowhere but ops.conf."""
    env = dict(os.environ, ELPYFI_FCGI_UPSTREAMS="/run/w1.sock,10.0.0.5:9000", ELPYFI_OPS_LISTEN="127.0.0.1:9102",
               ELPYFI_NGINX_RUN_DIR=str(tmp_path))
    subprocess.run([str(ROOT / "deploy/render-nginx"), str(tmp_path / "conf")], env=env, check=True, capture_output=True)
    ops = (tmp_path / "conf/snippets/ops.conf").read_text()
    assert "location = /metrics/fcgi-1 {\n    fastcgi_pass unix:/run/w1.sock;" in ops
    assert "location = /metrics/fcgi-2 {\n    fastcgi_pass 10.0.0.5:9000;" in ops
    assert ops.count("fastcgi_param ELPYFI_OPS metrics;") == 2
    for conf in (tmp_path / "conf").rglob("*.conf"):
        if conf.name != "ops.conf":
            assert "fastcgi_param ELPYFI_OPS" not in conf.read_text(), conf
    assert "listen 127.0.0.1:9102;" in (tmp_path / "conf/elpyfi.conf").read_text()


def test_request_counters_move_by_exactly_what_was_sent(base_url, api_key):
    def figures():
        return {
            "positions": workers_total("elpyfi_http_requests_total", endpoint="/positions", status="200"),
            "positions_count": workers_total("elpyfi_http_request_duration_seconds_count", endpoint="/positions"),
            "bad": workers_total("elpyfi_http_requests_total", endpoint="/signals/recent", status="400"),
            "unknown": workers_total("elpyfi_http_requests_total", endpoint="unknown", status="404"),
            "strategy": workers_total("elpyfi_http_requests_total", endpoint="/metrics/{strategy}", status="200"),
            "missing_key": workers_total("elpyfi_http_requests_total", endpoint="/strategies", status="401"),
        }
    before = figures()
    for _ in range(5):
        assert get(base_url, "/positions", api_key).status_code == 200
    assert get(base_url, "/signals/recent?limit=0", api_key).status_code == 400
    assert get(base_url, "/no/such/path", api_key).status_code == 404
    assert get(base_url, '/x"y{z}', api_key).status_code == 404
    assert get(base_url, "/metrics/" + unique_strategy("lbl"), api_key).status_code == 200
    assert get(base_url, "/strategies", None).status_code == 401
    after = figures()
    delta = {name: after[name] - before[name] for name in after}
    assert delta == {"positions": 5, "positions_count": 5, "bad": 1, "unknown": 2, "strategy": 1, "missing_key": 1}
    # No label value comes from request text: only templates, `unknown`, fixed status codes.
    labels = {dict(l).get("endpoint") for n in range(1, WORKERS + 1) for (_, l) in scrape(f"/metrics/fcgi-{n}")}
    assert labels <= {None, "unknown", "/health", "/positions", "/signals/recent", "/signals/proposed",
                      "/metrics/{strategy}", "/metrics/{strategy}/history", "/pdt/status", "/strategies"}


def test_histogram_buckets_are_cumulative_and_end_at_the_count(base_url, api_key, logs):
    # Worker 1 must have answered a /positions (nginx may be skipping it after an earlier test froze it).
    _wait(lambda: _every_worker_serves(base_url, api_key, logs, "/positions"), "every worker serving",
               timeout=60, interval=0.5)
    samples = scrape("/metrics/fcgi-1")
    buckets = sorted(((float(dict(l)["le"]), v) for (n, l), v in samples.items()
                      if n == "elpyfi_http_request_duration_seconds_bucket" and dict(l)["endpoint"] == "/positions"))
    assert buckets, "worker 1 has no /positions histogram"
    values = [v for _, v in buckets]
    assert values == sorted(values)
    assert buckets[-1][0] == float("inf")
    assert values[-1] == samples[("elpyfi_http_request_duration_seconds_count", (("endpoint", "/positions"),))]


def test_stream_counters_move_by_exactly_what_was_sent(db, ws_url, api_key):
    strategy = unique_strategy("ops")
    events, dropped = stream_value("elpyfi_stream_events_total"), stream_value("elpyfi_stream_dropped_payloads_total")
    clients = stream_value("elpyfi_stream_clients", stream="signals", transport="ws")
    sock, status, _, _ = raw_handshake(ws_url, f"/ws/signals?strategy={strategy}", {"X-API-Key": api_key})
    assert status == 101
    try:
        _wait(lambda: stream_value("elpyfi_stream_clients", stream="signals", transport="ws") == clients + 1,
              "client counted")
        db.notify({"type": "signal.generated", "data": {"strategy": strategy}})
        db.notify("not json at all")
        _wait(lambda: stream_value("elpyfi_stream_events_total") == events + 1
              and stream_value("elpyfi_stream_dropped_payloads_total") == dropped + 1, "event and drop counted")
        assert time.time() - stream_value("elpyfi_stream_last_event_timestamp_seconds") < 10
        assert stream_value("elpyfi_stream_listening") == 1
        assert stream_value("elpyfi_stream_relay_delay_seconds_count") >= 1
    finally:
        sock.close()
    _wait(lambda: stream_value("elpyfi_stream_clients", stream="signals", transport="ws") == clients,
          "client departure counted")


def test_stream_clients_are_counted_by_transport(base_url, api_key):
    """`elpyfi_stream_clients{stream,transport}`: an SSE response is counted under `sse` while it lasts (that it is
    never counted as `ws` is StreamMetricsTests': other tests' WebSockets may still be leaving here)."""
    sse_clients = stream_value("elpyfi_stream_clients", stream="trades", transport="sse")
    with SseReader(base_url, f"/sse/trades?strategy={unique_strategy('ops')}", {"X-API-Key": api_key}) as sse:
        assert sse.next()["json"]["type"] == "connected"
        _wait(lambda: stream_value("elpyfi_stream_clients", stream="trades", transport="sse") == sse_clients + 1,
              "SSE client counted")
    _wait(lambda: stream_value("elpyfi_stream_clients", stream="trades", transport="sse") == sse_clients,
          "SSE client departure counted")


def test_a_slow_consumer_closed_counts_once(base_url, ws_url, api_key, stack):
    flood = unique_strategy("opsflood")
    before = stream_value("elpyfi_stream_slow_consumers_closed_total")
    health_before = requests.get(base_url + "/stream/health", timeout=5).json()["slow_consumers_closed"]
    slow, status, _, _ = raw_handshake(ws_url, f"/ws?strategy={flood}", {"X-API-Key": api_key}, rcvbuf=4096)
    assert status == 101
    payload = json.dumps({"type": "trade.executed", "data": {"strategy": flood, "n": "NNNN", "pad": "z" * 7000}})
    try:
        with stack.connect() as conn:
            deadline = time.monotonic() + 60
            while stream_value("elpyfi_stream_slow_consumers_closed_total") == before:
                assert time.monotonic() < deadline, "the slow client was never closed"
                with conn.transaction():
                    conn.execute("SELECT pg_notify('trading_events', replace(%s, 'NNNN', g::text)) "
                                 "FROM generate_series(1, 200) g", (payload,))
                time.sleep(0.05)
    finally:
        slow.close()
    health_after = requests.get(base_url + "/stream/health", timeout=5).json()["slow_consumers_closed"]
    assert stream_value("elpyfi_stream_slow_consumers_closed_total") - before == health_after - health_before == 1


# Request ids and logs

def test_every_answer_carries_a_request_id_found_in_the_access_log(base_url, api_key, logs):
    mark = logs.mark()
    replies = [get(base_url, "/positions", api_key), get(base_url, "/positions", None),
               get(base_url, "/no/such", api_key), requests.post(base_url + "/positions", data="x", timeout=10),
               get(base_url, "/openapi.yaml", None)]
    ids = [r.headers.get("X-Request-Id", "") for r in replies]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), [(r.status_code, r.headers) for r in replies]
    assert len(set(ids)) == len(ids)
    logs.logged(mark, ids)  # waits for each id's line (nginx writes it after the answer); fails if one never comes


def _every_worker_serves(base_url: str, api_key: str, logs, path: str = "/strategies") -> bool:
    """A few requests; True once each worker answered one (nginx skips a worker for 10 s after it failed, e.g.
    after test_frozen_worker.py: a worker that gets no request while PostgreSQL is down never sees it down)."""
    mark = logs.mark()
    answers = [get(base_url, path, api_key) for _ in range(2 * WORKERS)]
    assert all(r.status_code == 200 for r in answers)
    served = " ".join(e["upstream"] for e in logs.logged(mark, answers))
    return all(f"fcgi-{n}.sock" in served for n in range(1, WORKERS + 1))


def test_worker_log_lines_name_the_request_and_a_scrape_never_waits_on_the_database(base_url, api_key, ctl, logs):
    _wait(lambda: _every_worker_serves(base_url, api_key, logs), "every worker serving", timeout=60,
               interval=0.5)
    reconnects = workers_total("elpyfi_db_reconnects_total")
    mark = logs.mark()
    ctl("pg-stop")
    try:
        ids = []
        served = ""
        # Until each worker has answered one (least_conn may send two in a row to the same one): each has seen
        # the database down.
        while not all(f"fcgi-{n}.sock" in served for n in range(1, WORKERS + 1)):
            assert len(ids) < 100, f"not every worker answered in {len(ids)} requests: {served}"
            batch = [get(base_url, "/positions", api_key) for _ in range(2 * WORKERS)]
            assert all(reply.status_code == 503 for reply in batch)
            ids += [reply.headers["X-Request-Id"] for reply in batch]
            served = " ".join(e["upstream"] for e in logs.logged(mark, ids))
        # A scrape answers from the worker's counters: had it touched the database (down now), the worker would
        # have logged an error under the scrape's own request id, which the check below refuses.
        for n in range(1, WORKERS + 1):
            samples = scrape(f"/metrics/fcgi-{n}")
            assert samples[("elpyfi_db_up", ())] == 0
        # Each worker writes its error line (one write(2)) before it answers: every line is there already.
        worker_lines = [json.loads(line) for name, text in logs.since(mark, "fcgi-*.log").items()
                        for line in text.splitlines() if line.strip()]
        errors = [line for line in worker_lines if line["level"] == "error"]
        assert errors and {line.get("request_id") for line in errors} <= set(ids)
        assert all(line.get("request_id") for line in errors)
    finally:
        ctl("pg-start")
    _wait(lambda: get(base_url, "/health", None).status_code == 200, "healthy again", timeout=30)
    # Requests on every poll: a worker learns the database is back only when a request makes it try.
    _wait(lambda: [get(base_url, "/strategies", api_key) for _ in range(2 * WORKERS)]
          and all(scrape(f"/metrics/fcgi-{n}")[("elpyfi_db_up", ())] == 1 for n in range(1, WORKERS + 1)), "db up",
          timeout=60)
    assert workers_total("elpyfi_db_reconnects_total") > reconnects


@pytest.mark.run_last
def test_logs_are_json_lines_without_keys_or_sql(logs, stack):
    """Over the whole run's logs (run last): keys reach the stack as headers and as ?api_key= on WebSockets."""
    texts = logs.read()
    ours = {name: text for name, text in texts.items() if name.startswith(("fcgi-", "stream", "nginx-"))}
    assert any(name.startswith("fcgi-") for name in ours) and "nginx-access.log" in ours
    for name, text in ours.items():
        if name.startswith("nginx-error"):
            continue  # nginx's own format (it has no JSON error log); checked for keys and SQL below
        for line in text.splitlines():
            if line.strip():
                json.loads(line)  # raises on a line that is not one JSON object
    # Our processes' logs; not postgres.log, nor the browser test's chromedriver.log (it records the key typed in).
    for name, text in ours.items():
        for secret in filter(None, (stack.api_key, stack.hashed_key, stack.rate_key)):
            assert secret not in text, f"a key in {name}"
        assert not re.search(r"\bSELECT\b|\bFROM\s+\w+\s+WHERE\b", text), f"SQL text in {name}"


# A real Prometheus server against the stack

class Engine:
    """The stand-in engine: a notification every 0.3 s while running."""

    def __init__(self, stack):
        self.stack, self.stop_flag, self.thread = stack, threading.Event(), None

    def start(self):
        self.stop_flag.clear()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_flag.set()
        self.thread.join(5)

    def _run(self):
        with self.stack.connect() as conn:
            while not self.stop_flag.is_set():
                conn.notify({"type": "signal.generated", "data": {"strategy": "stand-in-engine"}})
                time.sleep(0.3)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    out = tmp_path_factory.mktemp("prometheus")
    socks = ",".join(f"/w{n}.sock" for n in range(1, WORKERS + 1))
    env = dict(os.environ, ELPYFI_OPS_LISTEN=OPS.split("//", 1)[1], ELPYFI_FCGI_UPSTREAMS=socks,
               ELPYFI_ENGINE_SILENCE="3", ELPYFI_ALERT_FOR="2s", ELPYFI_ALERT_WINDOW="15s",
               ELPYFI_PROM_SCRAPE_INTERVAL="1s", ELPYFI_PROM_SCRAPE_TIMEOUT="1s")
    subprocess.run([str(ROOT / "deploy/render-prometheus"), str(out)], env=env, check=True, capture_output=True)
    data = tempfile.mkdtemp(prefix="elpyfi-prom-")
    log = open(out / "prometheus.log", "w")
    proc = subprocess.Popen(["prometheus", f"--config.file={out}/prometheus.yml", f"--storage.tsdb.path={data}",
                             f"--web.listen-address=127.0.0.1:{PROM_PORT}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{PROM_PORT}"
    try:
        _wait(lambda: _ok(url + "/-/ready"), "prometheus ready", timeout=30)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _wait(predicate, what: str, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for: {what}")


def query(url: str, expr: str) -> list:
    reply = requests.get(url + "/api/v1/query", params={"query": expr}, timeout=10).json()
    assert reply["status"] == "success", (expr, reply)
    return reply["data"]["result"]


@pytest.mark.parametrize("layout", ["dev", "systemd"])
def test_promtool_accepts_the_shipped_config_and_rules(tmp_path, layout):
    env = dict(os.environ)
    env.pop("ELPYFI_OPS_LISTEN", None)
    env["ELPYFI_FCGI_UPSTREAMS"] = ("/run/elpyfi/fcgi-1.sock,/run/elpyfi/fcgi-2.sock" if layout == "systemd"
                                    else os.environ.get("ELPYFI_FCGI_UPSTREAMS", "/tmp/elpyfi-fcgi.sock"))
    if layout == "dev":
        env["ELPYFI_OPS_LISTEN"] = OPS.split("//", 1)[1]
    subprocess.run([str(ROOT / "deploy/render-prometheus"), str(tmp_path)], env=env, check=True, capture_output=True)
    for args in (["check", "config", str(tmp_path / "prometheus.yml")], ["check", "rules", str(tmp_path / "elpyfi-alerts.yml")]):
        result = subprocess.run(["promtool", *args], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_on_its_condition_and_not_before(tmp_path):
    """promtool test rules: deploy/prometheus/elpyfi-alerts.test.yml against the rules rendered with the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELPYFI_ALERT_", "ELPYFI_ENGINE_", "ELPYFI_PROM_"))}
    subprocess.run([str(ROOT / "deploy/render-prometheus"), str(tmp_path)], env=env, check=True, capture_output=True)
    shutil.copy(ROOT / "deploy/prometheus/elpyfi-alerts.test.yml", tmp_path)
    result = subprocess.run(["promtool", "test", "rules", str(tmp_path / "elpyfi-alerts.test.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


MAIN_PANELS = {"Requests per second by endpoint", "Answers per second by status", "Latency p50 / p99 by endpoint",
               "Workers up and reaching the database", "Stream clients by stream and transport", "LISTEN live",
               "Seconds since the engine's last event", "Events, dropped payloads, slow consumers",
               "Relay delay p50 / p99", "nginx connections", "Targets up"}


def test_prometheus_scrapes_every_target_and_the_dashboard_has_data(prometheus, base_url, api_key, stack):
    _wait(lambda: _targets_up(prometheus) == 2 + WORKERS, f"{2 + WORKERS} targets up", timeout=30)
    engine = Engine(stack)
    engine.start()
    dashboard = json.loads((ROOT / "deploy/grafana/elpyfi-dashboard.json").read_text())
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert MAIN_PANELS <= titles
    empty: set[str] = set(MAIN_PANELS)

    def every_main_panel_has_data() -> bool:
        # Traffic for the panels (200s and a 400), then every panel's queries: all must answer, and each main panel
        # must have data. Repeated until it does: how many scrapes that takes depends on the machine, not on us.
        for _ in range(10):
            get(base_url, "/positions", api_key)
        get(base_url, "/signals/recent?limit=0", api_key)
        empty.clear()
        for panel in dashboard["panels"]:
            results = [query(prometheus, t["expr"].replace("$__rate_interval", "15s")) for t in panel["targets"]]
            if panel["title"] in MAIN_PANELS and not any(results):
                empty.add(panel["title"])
        return not empty

    try:
        _wait(every_main_panel_has_data, "data in every main panel", timeout=90, interval=1.0)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; still empty: {sorted(empty)}") from None
    finally:
        engine.stop()


def _targets_up(url: str) -> int:
    try:
        targets = requests.get(url + "/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    except requests.RequestException:
        return 0
    return sum(1 for t in targets if t["health"] == "up")


def _alert_state(url: str, name: str) -> str | None:
    alerts = requests.get(url + "/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    states = {a["state"] for a in alerts if a["labels"]["alertname"] == name}
    return "firing" if "firing" in states else "pending" if "pending" in states else None


def test_engine_silent_alert_fires_when_the_engine_stops_and_clears_when_it_is_back(prometheus, stack):
    engine = Engine(stack)
    engine.start()
    try:
        _wait(lambda: _alert_state(prometheus, "ElpyfiEngineSilent") is None, "no silence alert while the engine speaks",
              timeout=60)
        engine.stop()
        seen = set()
        _wait(lambda: seen.add(_alert_state(prometheus, "ElpyfiEngineSilent")) or "firing" in seen,
              "ElpyfiEngineSilent firing", timeout=60)
        assert "pending" in seen or "firing" in seen
        engine.start()
        _wait(lambda: _alert_state(prometheus, "ElpyfiEngineSilent") is None, "ElpyfiEngineSilent cleared", timeout=60)
    finally:
        engine.stop()
