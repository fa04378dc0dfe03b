"""The contract's "Snapshot and stream without a hole", run by a client through nginx while the engine writes: a
writer commits 50 changes a second (a row written and its NOTIFY sent in one statement, as an engine's trigger
would), and meanwhile the client (1) reads the position from /stream/health, (2) fetches its REST snapshots,
(3) subscribes from that position (WebSocket `?since=&epoch=`, SSE `Last-Event-ID`) and applies every event
idempotently (a position by symbol, a signal by id). The test makes sure changes land between (1) and (2) and
between (2) and (3) (the two windows where a naive client loses or doubles a change), stops the writer, waits for
its end marker on the stream, and checks: the client's state equals a fresh snapshot of the database, and every
change committed after (1) arrived, once and in order.

Run it many times: `deploy/test --repeat 20 Tests/EndToEnd/test_handshake.py`."""

from __future__ import annotations

import decimal
import json
import random
import urllib.parse
import uuid

import pytest
import requests
from websockets.sync.client import connect as ws_connect

from flow import Flow
from stack import Db
from test_asyncapi_support import check_frame
from test_stream_support import RECV_TIMEOUT, SseReader

RATE = 50  # changes per second, the figure
SYMBOLS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "BTC-USD", "ETH-USD", "SPY")
END = "handshake.end"

# One statement per change: the row is written and its event sent in one transaction, so the NOTIFY leaves at
# the commit that made the row visible (what a trigger in the engine's database does). `n` numbers the changes.
_POSITION_EVENT = """
SELECT pg_notify('trading_events', json_build_object(
    'type', %(type)s::text, 'timestamp', '2024-01-15T10:31:00Z',
    'data', json_build_object('strategy', strategy, 'symbol', symbol, 'quantity', quantity,
                              'entry_price', entry_price, 'current_price', current_price,
                              'unrealized_pl', unrealized_pl, 'n', %(n)s::int))::text) FROM changed"""
OPEN = """WITH changed AS (
    INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status)
    VALUES (%(strategy)s, %(symbol)s, %(quantity)s::numeric, %(price)s::numeric, %(price)s::numeric, 0, 'open')
    RETURNING *)""" + _POSITION_EVENT
UPDATE = """WITH changed AS (
    UPDATE positions SET current_price = %(price)s::numeric, unrealized_pl = (%(price)s::numeric - entry_price) * quantity
    WHERE strategy = %(strategy)s AND symbol = %(symbol)s AND status = 'open' RETURNING *)""" + _POSITION_EVENT
CLOSE = """WITH changed AS (
    UPDATE positions SET status = 'closed', closed_at = now()
    WHERE strategy = %(strategy)s AND symbol = %(symbol)s AND status = 'open' RETURNING *)""" + _POSITION_EVENT
SIGNAL = """WITH changed AS (
    INSERT INTO signals (strategy, symbol, action, confidence) VALUES (%(strategy)s, %(symbol)s, %(action)s, %(confidence)s::float8)
    RETURNING *)
SELECT pg_notify('trading_events', json_build_object(
    'type', 'signal.generated', 'timestamp', '2024-01-15T10:31:00Z',
    'data', json_build_object('id', id, 'strategy', strategy, 'symbol', symbol, 'action', action,
                              'confidence', confidence, 'n', %(n)s::int))::text) FROM changed"""


class Writer(Flow):
    """The engine: RATE changes a second under `strategy` (open, update or close a position, or add a signal), each
    numbered `n` from 0 (`count` is the number committed so far), until stopped; then the END marker."""

    def __init__(self, dsn: str, strategy: str, seed: int):
        super().__init__(dsn, RATE)
        self.strategy, self.random = strategy, random.Random(seed)
        self.open: set[str] = set()

    def step(self, db: Db) -> None:
        pick, params = self.random.random(), {"strategy": self.strategy, "n": self.count}
        closed = sorted(set(SYMBOLS) - self.open)
        price = f"{self.random.randint(10000, 99999) / 100:.2f}"
        if len(self.open) < 3 or (closed and pick < 0.15):
            symbol = self.random.choice(closed)
            db.execute(OPEN, {**params, "type": "position.opened", "symbol": symbol, "price": price,
                              "quantity": str(self.random.randint(1, 500))})
            self.open.add(symbol)
        elif pick < 0.60:
            db.execute(UPDATE, {**params, "type": "position.updated", "price": price,
                                "symbol": self.random.choice(sorted(self.open))})
        elif pick < 0.70:
            symbol = self.random.choice(sorted(self.open))
            db.execute(CLOSE, {**params, "type": "position.closed", "symbol": symbol})
            self.open.discard(symbol)
        else:
            db.execute(SIGNAL, {**params, "symbol": self.random.choice(SYMBOLS),
                                "action": self.random.choice(("buy", "sell", "hold")),
                                "confidence": self.random.randint(0, 1000) / 1000})

    def end(self, db: Db) -> None:
        db.notify({"type": END, "data": {"strategy": self.strategy, "n": self.count},
                   "timestamp": "2024-01-15T10:31:00Z"})


# -- the client ------------------------------------------------------------------------------------------------------

def _decimal_json(text: str):
    return json.loads(text, parse_float=decimal.Decimal)


def _position(row: dict) -> tuple:
    return tuple(decimal.Decimal(str(row[k])) for k in ("quantity", "entry_price", "current_price", "unrealized_pl"))


def _signal(row: dict) -> tuple:
    return row["symbol"], row["action"], decimal.Decimal(str(row["confidence"]))


class Client:
    """The dashboard's state: open positions by symbol, signals by id, and the `n` of every event applied."""

    def __init__(self, base_url: str, key: str, strategy: str):
        self.base_url, self.key, self.strategy = base_url, key, strategy
        self.positions: dict[str, tuple] = {}
        self.signals: dict[int, tuple] = {}
        self.numbers: list[int] = []

    def get(self, path: str):
        r = requests.get(f"{self.base_url}{path}", headers={"X-API-Key": self.key}, timeout=10)
        r.raise_for_status()
        return _decimal_json(r.text)

    def position(self) -> tuple[str, int]:
        """Step 1: the stream's position."""
        health = requests.get(f"{self.base_url}/stream/health", timeout=10).json()
        return health["epoch"], health["seq"]

    def snapshot(self) -> None:
        """Step 2: the REST snapshots this client shows."""
        query = urllib.parse.urlencode({"strategy": self.strategy})
        self.positions = {row["symbol"]: _position(row) for row in self.get(f"/positions?{query}")}
        self.signals = {row["id"]: _signal(row) for row in self.get(f"/signals/recent?{query}&limit=1000")}

    def apply(self, message: dict) -> bool:
        """Step 3, per event, idempotently (the change may be in the snapshot already). False at the END marker."""
        kind, data = message["type"], message.get("data", {})
        assert kind != "stream.gap", f"the ring lost the position: {message}"
        if kind == "connected":
            return True
        if kind == END:
            return False
        self.numbers.append(data["n"])
        if kind in ("position.opened", "position.updated"):
            self.positions[data["symbol"]] = _position(data)
        elif kind == "position.closed":
            self.positions.pop(data["symbol"], None)
        elif kind == "signal.generated":
            self.signals[data["id"]] = _signal(data)
        return True


def _follow_ws(client: Client, ws_url: str, epoch: str, seq: int, on_event) -> None:
    path = f"/ws?strategy={client.strategy}&since={seq}&epoch={epoch}"
    with ws_connect(ws_url + path, additional_headers={"X-API-Key": client.key}, open_timeout=10) as ws:
        while True:
            text = ws.recv(timeout=RECV_TIMEOUT)
            check_frame(path, text)
            if not client.apply(_decimal_json(text)):
                return
            on_event()


def _follow_sse(client: Client, epoch: str, seq: int, on_event) -> None:
    path = f"/sse?strategy={client.strategy}"  # SseReader checks each message and id against asyncapi.yaml
    with SseReader(client.base_url, path, {"X-API-Key": client.key, "Last-Event-ID": f"{epoch}:{seq}"},
                   timeout=RECV_TIMEOUT) as sse:
        assert sse.status == 200, sse.body
        while True:
            message = sse.next()
            assert message is not None, "the response ended before the END marker"
            if not client.apply(_decimal_json(message["data"])):
                return
            on_event()


@pytest.fixture
def strategy(db):
    name = f"t_hs_{uuid.uuid4().hex[:10]}"
    db.insert_strategy(name, description="handshake test")
    yield name
    db.delete_strategy_rows(name)


@pytest.mark.parametrize("transport", ["ws", "sse"])
def test_handshake_under_a_50_per_second_flow_ends_with_the_databases_state(transport, base_url, ws_url, api_key,
                                                                             dsn, strategy):
    writer = Writer(dsn, strategy, seed=uuid.UUID(strategy[5:].ljust(32, "0")).int)
    client = Client(base_url, api_key, strategy)
    writer.start()
    try:
        writer.wait_for_more(25)  # a state to start from: open positions, some signals
        epoch, seq = client.position()
        # The change counted next may have been committed (not yet counted) before /stream/health answered, and so
        # be in the snapshot alone; every change after it began after that answer, so the stream must carry it.
        after = writer.count + 1
        writer.wait_for_more(5)  # changes between (1) and (2): in the snapshot and on the stream (applied twice)
        client.snapshot()
        writer.wait_for_more(5)  # changes between (2) and (3): only on the stream (what a naive client loses)

        received = 0

        def on_event() -> None:  # after some live events, the writer stops and sends END
            nonlocal received
            received += 1
            if received == 25:
                writer.stopping.set()

        if transport == "ws":
            _follow_ws(client, ws_url, epoch, seq, on_event)
        else:
            _follow_sse(client, epoch, seq, on_event)
    finally:
        writer.stopping.set()
        writer.join(30)
    assert writer.error is None, writer.error
    last = writer.count - 1
    numbers = client.numbers
    assert numbers and numbers[0] <= after, \
        f"changes committed after the position was read are missing: the stream began at n={numbers[:1]}"
    assert numbers == list(range(numbers[0], last + 1)), "every change once, in order, up to the last"
    truth = Client(base_url, api_key, strategy)
    truth.snapshot()
    assert client.positions == truth.positions
    assert client.signals == truth.signals
