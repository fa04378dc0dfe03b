"""The FastAPI peer of the REST contract (issue 19's yardstick), for bench/peer only: never deployed.

The seed's design, written to be fair rather than slow: uvicorn (uvloop + httptools, 2 workers) directly, no
nginx; an asyncpg pool per worker; the worker's own SQL and field names (read from its endpoint table, PEER_ROUTES;
prepared once per connection by asyncpg's statement cache); the same key check, errors, ETag and
Cache-Control. Bodies are serialised by orjson into the response bytes directly (no pydantic model, no
jsonable_encoder pass). Values keep the contract's formats the cheap way, by asking PostgreSQL for text where the
contract wants its text: numeric digits exactly as stored (an orjson.Fragment of the text), timestamps as RFC 3339
with `Z` (PostgreSQL's text with `T`), dates `YYYY-MM-DD`, stored jsonb as is, NULL metadata as `{}`.

Only the endpoints bench/peer measures (and /health for its start-up wait): /positions, /signals/recent,
/pdt/status. Settings from the environment, the same names as the worker's: ELPYFI_DATABASE_URL, ELPYFI_API_KEYS,
ELPYFI_API_KEY_HASHES, ELPYFI_TIMEZONE (UTC); and PEER_ROUTES (a file of `elpyfi-fcgi routes --format json`),
PEER_POOL_SIZE (8 connections per worker process), PEER_POOL_RESET (0: a released connection goes back as it is, as
the worker's do; 1: asyncpg's default, one more round trip per request, `RESET ALL; CLOSE ALL; UNLISTEN *;
pg_advisory_unlock_all()`, which this app needs not: it changes no session state).
"""
import hashlib
import hmac
import json
import os
import re
from contextlib import asynccontextmanager

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

# The worker's own SQL and field names, from its endpoint table (`elpyfi-fcgi routes --format json`, written by
# bench/peer to PEER_ROUTES), so the two never drift apart.
with open(os.environ["PEER_ROUTES"], encoding="utf-8") as routes:
    ROUTES = {entry["path"]: entry for entry in json.load(routes)}
POSITIONS_SQL, POSITIONS_COLUMNS = ROUTES["/positions"]["sql"], tuple(ROUTES["/positions"]["fields"])
SIGNALS_SQL, SIGNALS_COLUMNS = ROUTES["/signals/recent"]["sql"], tuple(ROUTES["/signals/recent"]["fields"])
PDT_SQL, PDT_COLUMNS = ROUTES["/pdt/status"]["sql"], tuple(ROUTES["/pdt/status"]["fields"])

NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
DIGITS = re.compile(r"[0-9]+")
ACTIONS = frozenset(("buy", "sell", "hold", "proposed"))
EMPTY_OBJECT = orjson.Fragment(b"{}")


class APIError(Exception):
    """One of the contract's error answers: status, code, message (never SQL or a driver's text)."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        self.status, self.code, self.message, self.headers = status, code, message, headers


DB_UNAVAILABLE = APIError(503, "database_unavailable", "the database is unavailable; retry shortly", {"Retry-After": "2"})


def invalid(name: str, reason: str) -> APIError:
    return APIError(400, "invalid_parameter", f"invalid parameter '{name}': {reason}")


# Keys as the worker reads them: plaintext and/or hex SHA-256; none configured = development mode.
KEYS = [k.strip().encode() for k in os.environ.get("ELPYFI_API_KEYS", "").split(",") if k.strip()]
KEY_HASHES = [bytes.fromhex(h.strip()) for h in os.environ.get("ELPYFI_API_KEY_HASHES", "").split(",") if h.strip()]


def check_key(request: Request) -> None:
    """401 when the key is absent or blank, 403 when it matches none (every comparison constant-time)."""
    if not KEYS and not KEY_HASHES:
        return
    given = request.headers.get("x-api-key", "").strip().encode()
    if not given:
        raise APIError(401, "missing_api_key", "an X-API-Key header is required")
    hit = False
    for key in KEYS:
        hit |= hmac.compare_digest(given, key)
    if KEY_HASHES:
        digest = hashlib.sha256(given).digest()
        for key_hash in KEY_HASHES:
            hit |= hmac.compare_digest(digest, key_hash)
    if not hit:
        raise APIError(403, "invalid_api_key", "the X-API-Key is not valid")


def one(request: Request, name: str) -> str | None:
    """A query parameter given at most once and never empty (the contract's 400 otherwise)."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise invalid(name, "given more than once")
    if values[0] == "":
        raise invalid(name, "must not be empty")
    return values[0]


def name_param(request: Request, name: str) -> str | None:
    value = one(request, name)
    if value is not None and not NAME.fullmatch(value):
        raise invalid(name, "must be 1-64 characters of A-Z a-z 0-9 _ . : -")
    return value


def number_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    value = one(request, name)
    if value is None:
        return default
    if not DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise invalid(name, f"must be a whole number from {low} to {high}")
    return int(value)


def ok(request: Request, body: bytes) -> Response:
    """A 200 with a strong ETag of the body and `Cache-Control: no-cache`, or a 304 when If-None-Match has it."""
    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        if "*" in tags or etag in tags:
            return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def fetch(request: Request, sql: str, *args):
    try:
        return await request.app.state.pool.fetch(sql, *args)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        raise DB_UNAVAILABLE from None


# Text codecs: PostgreSQL's own text for the values the contract wants verbatim.
def numeric_text(text: str):
    return None if text in ("NaN", "Infinity", "-Infinity") else orjson.Fragment(text)


def timestamp_text(text: str) -> str:
    return text.replace(" ", "T", 1) + "Z"


def same(text: str) -> str:
    return text


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", schema="pg_catalog", encoder=str, decoder=numeric_text, format="text")
    await conn.set_type_codec("timestamp", schema="pg_catalog", encoder=str, decoder=timestamp_text, format="text")
    await conn.set_type_codec("date", schema="pg_catalog", encoder=str, decoder=same, format="text")
    await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=str, decoder=orjson.Fragment, format="text")


async def keep_session(conn: asyncpg.Connection) -> None:
    """No reset on release (asyncpg still rolls back a transaction left open): nothing here changes the session."""


@asynccontextmanager
async def lifespan(app: FastAPI):
    size = int(os.environ.get("PEER_POOL_SIZE", "8"))
    reset = None if os.environ.get("PEER_POOL_RESET", "0") == "1" else keep_session
    app.state.pool = await asyncpg.create_pool(
        os.environ["ELPYFI_DATABASE_URL"], min_size=size, max_size=size, init=init_connection, reset=reset,
        server_settings={
            "TimeZone": os.environ.get("ELPYFI_TIMEZONE", "UTC"), "DateStyle": "ISO",
            "default_transaction_read_only": "on", "statement_timeout": "5000", "extra_float_digits": "1",
            "application_name": "elpyfi-peer",
        })
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.exception_handler(APIError)
async def api_error(request: Request, error: APIError) -> Response:
    body = orjson.dumps({"error": {"code": error.code, "message": error.message}})
    return Response(body, status_code=error.status, media_type="application/json", headers=error.headers)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 405:
        return await api_error(request, APIError(405, "method_not_allowed", "only GET and HEAD are allowed",
                                                 {"Allow": "GET, HEAD, OPTIONS"}))
    return await api_error(request, APIError(404, "not_found", "no such endpoint"))


@app.api_route("/health", methods=["GET", "HEAD"])
async def health(request: Request) -> Response:
    try:
        await request.app.state.pool.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        body = b'{"status":"unhealthy","service":"elpyfi-api","database":"down"}'
        return Response(body, status_code=503, media_type="application/json", headers={"Retry-After": "2"})
    return Response(b'{"status":"healthy","service":"elpyfi-api","database":"up"}', media_type="application/json")


@app.api_route("/positions", methods=["GET", "HEAD"])
async def positions(request: Request) -> Response:
    check_key(request)
    rows = await fetch(request, POSITIONS_SQL, name_param(request, "strategy"), name_param(request, "symbol"))
    return ok(request, orjson.dumps([dict(zip(POSITIONS_COLUMNS, row)) for row in rows]))


@app.api_route("/signals/recent", methods=["GET", "HEAD"])
async def recent_signals(request: Request) -> Response:
    check_key(request)
    strategy, symbol = name_param(request, "strategy"), name_param(request, "symbol")
    action = one(request, "action")
    if action is not None and action not in ACTIONS:
        raise invalid("action", "must be one of buy, sell, hold, proposed")
    limit = number_param(request, "limit", 50, 1, 1000)
    before_id = number_param(request, "before_id", None, 1, 2**63 - 1)
    rows = await fetch(request, SIGNALS_SQL, strategy, symbol, action, limit, before_id)
    signals = [dict(zip(SIGNALS_COLUMNS, row)) for row in rows]
    for signal in signals:
        if signal["metadata"] is None:
            signal["metadata"] = EMPTY_OBJECT
    return ok(request, orjson.dumps(signals))


@app.api_route("/pdt/status", methods=["GET", "HEAD"])
async def pdt_status(request: Request) -> Response:
    check_key(request)
    rows = await fetch(request, PDT_SQL)
    return ok(request, orjson.dumps(dict(zip(PDT_COLUMNS, rows[0])) if rows else {}))
