"""Shared helpers for the REST end-to-end tests (test_rest_*.py, test_openapi.py).

No tests live here. The harness fixtures come from conftest.py (deploy helper): `base_url`, `api_key`,
`hashed_key`, `db` (psycopg autocommit connection, owner DSN), `ctl`, `run_dir`. This module adds:

- `Rest`: a tiny HTTP client on http.client, so every request line goes out byte for byte as written
  (duplicate parameters, empty values, `%2F`, odd headers): requests/urllib3 would normalise some of them.
- `Data`: rows a test inserts under its own strategy names (`t_<uuid>`), removed again afterwards, so
  tests never see each other's data and compute their expectations from what they inserted.
- `rest`, `data` fixtures built on the harness fixtures.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pytest

# Text that must never reach a client (SQL, PostgreSQL messages, driver names, stack traces); case-sensitive,
# so that a message like "a whole number from 1 to 1000" is not mistaken for SQL.
LEAK_MARKERS = [
    "SELECT ", " FROM ", " WHERE ", "syntax error", "ERROR:", "DETAIL:", "HINT:", "libpq", "PQexec", "PGRES_",
    "postgres", "PostgreSQL said", "relation \"", "Traceback", "Fatal error", ".swift:", "stack trace", "Segmentation",
]

ERROR_CODES = {
    "missing_api_key", "invalid_api_key", "invalid_parameter", "not_found", "method_not_allowed",
    "database_unavailable", "rate_limited", "bad_request", "body_not_allowed", "uri_too_long",
    "headers_too_large", "upstream_unavailable", "stream_unavailable",
}

TABLES = ["strategies", "positions", "signals", "strategy_metrics", "pdt_tracking"]

_USE_DEFAULT_KEY = object()


class Lit(str):
    """A JSON number kept as the literal text the server wrote (`150.250`, `1e-07`)."""


def loads_literal(text: str):
    """Parse JSON keeping every number as its exact literal (`Lit`), to check digits, not values."""
    return json.loads(text, parse_float=Lit, parse_int=Lit, parse_constant=Lit)


@dataclass
class Reply:
    """One HTTP response: status, headers, raw body bytes, and the elapsed seconds."""

    method: str
    target: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def literal(self):
        return loads_literal(self.body.decode("utf-8"))

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def error_code(self) -> str | None:
        try:
            return self.json()["error"]["code"]
        except Exception:  # noqa: BLE001 - any non-error body
            return None

    def __repr__(self) -> str:  # shown by pytest on failures: the exact exchange
        body = self.body[:600].decode("utf-8", "replace")
        heads = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"<{self.method} {self.target[:300]} -> {self.status} [{heads}] {body!r}>"


class Rest:
    """A raw HTTP client for the stack behind nginx (base_url)."""

    def __init__(self, base_url: str, api_key: str | None):
        parts = urllib.parse.urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, target: str, *, key=_USE_DEFAULT_KEY, headers=None, body: bytes | None = None,
                retry_429: bool = True, timeout: float = 15.0) -> Reply:
        """Send `method target` exactly as written. key: default = the harness key, None = no header."""
        sent = []
        if key is _USE_DEFAULT_KEY:
            key = self.api_key
        if key is not None:
            sent.append(("X-API-Key", key))
        for name, value in (headers.items() if isinstance(headers, dict) else (headers or [])):
            sent.append((name, value))
        for attempt in range(8):
            reply = self._once(method, target, sent, body, timeout)
            if reply.status != 429 or not retry_429:
                return reply
            # The test config limits 200 r/s per key; a burst of checks can brush it. 429 itself is the
            # deploy helper's test (with its own key), so here we wait and retry.
            time.sleep(min(2.0, 0.25 * (attempt + 1)))
        return reply

    def _once(self, method, target, sent, body, timeout) -> Reply:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=timeout)
        try:
            start = time.monotonic()
            conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
            for name, value in sent:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Type", "application/json")
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return Reply(method, target, resp.status, resp.headers, data, time.monotonic() - start)
        finally:
            conn.close()

    def get(self, target: str, **kw) -> Reply:
        return self.request("GET", target, **kw)

    def head(self, target: str, **kw) -> Reply:
        return self.request("HEAD", target, **kw)


def q(path: str, *pairs, **params) -> str:
    """Build `path?k=v&...` with every key and value percent-encoded (nothing left as `+` or `/`)."""
    items = list(pairs) + list(params.items())
    if not items:
        return path
    enc = "&".join(f"{urllib.parse.quote(str(k), safe='')}={urllib.parse.quote(str(v), safe='')}" for k, v in items)
    return f"{path}?{enc}"


def assert_error(reply: Reply, status: int, code: str | set[str], *, names: str | None = None) -> dict:
    """The reply is `status` with the JSON error shape and `code`; its message names `names` if given."""
    codes = {code} if isinstance(code, str) else set(code)
    assert reply.status == status, reply
    ctype = reply.header("Content-Type") or ""
    assert ctype.split(";")[0].strip() == "application/json", reply
    if reply.method == "HEAD":
        assert reply.body == b"", reply
        return {}
    body = reply.json()
    assert set(body) == {"error"}, reply
    assert set(body["error"]) == {"code", "message"}, reply
    assert body["error"]["code"] in codes, reply
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip(), reply
    if names is not None:
        assert names in body["error"]["message"], reply
    assert_no_leak(reply)
    return body


def assert_no_leak(reply: Reply) -> None:
    """No SQL text, driver name or stack trace in a reply body."""
    text = reply.body.decode("utf-8", "replace")
    for marker in LEAK_MARKERS:
        assert marker not in text, (marker, reply)


def assert_ok_json(reply: Reply):
    """A 200 JSON reply with the caching headers every 200 carries; returns the parsed body."""
    assert reply.status == 200, reply
    ctype = reply.header("Content-Type") or ""
    assert ctype.split(";")[0].strip() == "application/json", reply
    etag = reply.header("ETag")
    assert etag and re.fullmatch(r'"[\x21\x23-\x7e]*"', etag), reply
    assert reply.header("Cache-Control") == "no-cache", reply
    return reply.json()


def test_timezone() -> str:
    """The TimeZone the workers' sessions use (ELPYFI_TIMEZONE, default UTC)."""
    return os.environ.get("ELPYFI_TIMEZONE") or "UTC"


test_timezone.__test__ = False  # a helper, not a test


@dataclass
class Data:
    """Rows owned by one test, under strategy names nobody else uses; `cleanup()` removes them."""

    db: object
    names: list[str] = field(default_factory=list)
    pdt_saved: dict = field(default_factory=dict)

    def name(self, tag: str = "") -> str:
        n = f"t_{uuid.uuid4().hex[:12]}{tag}"
        self.names.append(n)
        return n

    def one(self, sql: str, params=()):
        return self.db.execute(sql, params).fetchone()

    def signal(self, strategy: str, symbol: str = "SYM", action: str = "buy", confidence=0.5,
               timestamp: str | None = None, metadata: str | None = None) -> int:
        """Insert a signal; `timestamp` and `metadata` are SQL text (`timestamptz`, `jsonb`), None = default/NULL."""
        if timestamp is None:
            row = self.one("INSERT INTO signals (strategy, symbol, action, confidence, metadata) "
                           "VALUES (%s, %s, %s, %s, %s::jsonb) RETURNING id",
                           (strategy, symbol, action, confidence, metadata))
        else:
            row = self.one("INSERT INTO signals (strategy, symbol, action, confidence, timestamp, metadata) "
                           "VALUES (%s, %s, %s, %s, %s::timestamptz, %s::jsonb) RETURNING id",
                           (strategy, symbol, action, confidence, timestamp, metadata))
        return row[0]

    def position(self, strategy: str, symbol: str = "SYM", quantity: str = "1", entry_price: str = "1",
                 current_price: str = "1", unrealized_pl: str = "0", status: str = "open") -> int:
        """Insert a position; the numeric columns are given as SQL text so their digits are exact."""
        row = self.one("INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, "
                       "status, closed_at) VALUES (%s, %s, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s, "
                       "CASE WHEN %s = 'closed' THEN now() END) RETURNING id",
                       (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, status))
        return row[0]

    def metrics(self, strategy: str, date: str, total_trades: int = 10, win_rate=0.5, profit_loss: str = "0",
                sharpe_ratio=None, max_drawdown=None) -> None:
        self.db.execute("INSERT INTO strategy_metrics (strategy, date, total_trades, win_rate, profit_loss, "
                        "sharpe_ratio, max_drawdown) VALUES (%s, %s::date, %s, %s, %s::numeric, %s, %s)",
                        (strategy, date, total_trades, win_rate, profit_loss, sharpe_ratio, max_drawdown))

    def strategy(self, name: str, active: bool = True, description: str | None = None) -> None:
        self.db.execute("INSERT INTO strategies (name, active, description) VALUES (%s, %s, %s)",
                        (name, active, description))

    def sentinels(self) -> str:
        """One row of each kind under a fresh name, so that a stray DELETE/UPDATE/TRUNCATE would show."""
        n = self.name("sentinel")
        self.strategy(n, True, "sentinel")
        self.position(n, "SENT", quantity="1.5")
        self.signal(n, "SENT", "proposed", 0.5, None, '{"sentinel": true}')
        self.metrics(n, self.today())
        return n

    def today(self) -> str:
        return str(self.one("SELECT (now() AT TIME ZONE %s)::date", (test_timezone(),))[0])

    def pdt_week(self) -> str:
        return str(self.one("SELECT date_trunc('week', (now() AT TIME ZONE %s))::date", (test_timezone(),))[0])

    def take_pdt_week(self, week: str) -> None:
        """Remove this week's PDT row (kept aside and restored by cleanup): pdt_tracking is not per strategy."""
        row = self.one("DELETE FROM pdt_tracking WHERE week_start = %s::date RETURNING trades_used, trades_remaining",
                       (week,))
        self.pdt_saved.setdefault(week, row)

    def cleanup(self) -> None:
        for n in self.names:
            for table, column in (("signals", "strategy"), ("positions", "strategy"),
                                  ("strategy_metrics", "strategy"), ("strategies", "name")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} = %s", (n,))
        for week, row in self.pdt_saved.items():
            self.db.execute("DELETE FROM pdt_tracking WHERE week_start = %s::date", (week,))
            if row is not None:
                self.db.execute("INSERT INTO pdt_tracking (week_start, trades_used, trades_remaining) "
                                "VALUES (%s::date, %s, %s)", (week, row[0], row[1]))


def table_counts(db) -> dict[str, object]:
    """What a write through the API would change: the test-owned rows (strategy `t_...`) of every engine table, and
    that every table and the view still exist. Only test-owned rows are counted because the stack may run a demo
    event generator that writes its own rows meanwhile; tests that use this insert sentinel rows first (`Data.sentinels`)."""
    counts: dict[str, object] = {}
    for table, column in (("strategies", "name"), ("positions", "strategy"), ("signals", "strategy"),
                          ("strategy_metrics", "strategy")):
        counts[table] = db.execute(f"SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM {table} t "
                                   f"WHERE {column} LIKE 't\\_%'").fetchone()
    counts["relations"] = db.execute("SELECT count(*) FROM pg_class WHERE relname = ANY(%s)",
                                     (TABLES + ["pending_ai_proposals"],)).fetchone()[0]
    return counts


def expected_signal_order(rows: list[tuple[int, str]]) -> list[int]:
    """ids ordered as both signal endpoints order them: (timestamp DESC, id DESC). rows = [(id, ts-sortable)]."""
    return [i for i, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]


@pytest.fixture
def rest(base_url, api_key) -> Rest:
    """Client through nginx that sends the plaintext harness key by default."""
    return Rest(base_url, api_key)


@pytest.fixture
def data(db):
    """Per-test owned rows, removed afterwards."""
    d = Data(db)
    try:
        yield d
    finally:
        d.cleanup()
