"""Server-Sent Events from the sidecar, through nginx (docs/CONTRACT.md "Server-Sent Events", "Snapshot and stream
without a hole"): the same streams as the WebSocket paths, framed `retry: 2000` / `id: <epoch>:<seq>` / one `data:`
line, resumed by `Last-Event-ID` or `?since=&epoch=`, refused with the usual JSON before any event. Every message read
is checked against asyncapi.yaml (SseReader calls check_frame with its id).

nginx's part alone (no buffering, routing, the cap, HTTP/2) is also proved by test_sse_nginx.py against stand-in
sidecars."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
import requests

from test_stream_support import (SseReader, connect, event, health, recv_connected, recv_json, unique_strategy,
                                 wait_for)



def _open(base_url: str, path: str, api_key: str | None, **headers) -> SseReader:
    return SseReader(base_url, path, {**({"X-API-Key": api_key} if api_key else {}), **headers})


def _connected(sse: SseReader) -> dict:
    assert sse.status == 200, sse.body
    message = sse.next()
    assert message is not None and message["json"]["type"] == "connected", message
    return message


def test_sse_answer_is_an_event_stream_that_starts_with_retry_then_connected(base_url, api_key):
    with _open(base_url, f"/sse?strategy={unique_strategy()}", api_key) as sse:
        assert sse.headers["content-type"].startswith("text/event-stream")
        assert sse.headers["cache-control"] == "no-cache"
        assert sse.headers["x-accel-buffering"] == "no"
        connected = _connected(sse)
        assert sse.fields[0] == ("retry", "2000")
        assert connected["event"] is None, "no event: field, so EventSource.onmessage sees everything"
        assert connected["json"]["stream"] == "all"
        assert connected["id"] == f"{connected['json']['epoch']}:{connected['json']['seq']}"


def test_sse_relays_each_event_once_with_its_epoch_and_seq_as_id(base_url, api_key, db):
    strategy = unique_strategy()
    with _open(base_url, f"/sse?strategy={strategy}", api_key) as sse:
        epoch = _connected(sse)["json"]["epoch"]
        sent = [event("trade.executed", strategy, n=n, text="line\nbreak") for n in range(5)]
        for body in sent:
            db.notify(body)
        got = [sse.next() for _ in sent]
        assert [m["json"]["data"]["n"] for m in got] == list(range(5))
        seqs = [m["json"]["seq"] for m in got]
        assert all(a + 1 == b for a, b in zip(seqs, seqs[1:]))
        assert [m["id"] for m in got] == [f"{epoch}:{seq}" for seq in seqs]
        assert {k: v for k, v in got[0]["json"].items() if k != "seq"} == sent[0], "the engine's fields untouched"


def test_sse_paths_filter_like_the_websocket_paths(base_url, api_key, db):
    strategy = unique_strategy()
    with _open(base_url, f"/sse/signals?strategy={strategy}", api_key) as signals, \
            _open(base_url, f"/sse/trades?strategy={strategy}", api_key) as trades:
        assert _connected(signals)["json"]["stream"] == "signals"
        assert _connected(trades)["json"]["stream"] == "trades"
        for kind in ("signal.generated", "position.opened", "order.filled", "custom.x", "pdt.used", "signal.zz_end",
                     "trade.zz_end"):
            db.notify(event(kind, strategy))
        got_signals, got_trades = [], []
        while not got_signals or got_signals[-1] != "signal.zz_end":
            got_signals.append(signals.next()["json"]["type"])
        while not got_trades or got_trades[-1] != "trade.zz_end":
            got_trades.append(trades.next()["json"]["type"])
        assert got_signals == ["signal.generated", "signal.zz_end"]
        assert got_trades == ["position.opened", "order.filled", "pdt.used", "trade.zz_end"]


def test_last_event_id_resumes_after_that_event_without_gap_or_duplicate(base_url, api_key, db):
    strategy = unique_strategy()
    with _open(base_url, f"/sse?strategy={strategy}", api_key) as sse:
        _connected(sse)
        for n in range(3):
            db.notify(event("trade.executed", strategy, n=n))
        last = [sse.next() for _ in range(3)][-1]
    for n in range(3, 8):
        db.notify(event("trade.executed", strategy, n=n))
    wait_for(lambda: health(base_url).json()["seq"] >= last["json"]["seq"] + 5, 10, what="the events to be numbered")
    with _open(base_url, f"/sse?strategy={strategy}", api_key, **{"Last-Event-ID": last["id"]}) as again:
        connected = _connected(again)
        assert connected["json"]["epoch"] == last["id"].split(":")[0]
        replayed = [again.next() for _ in range(5)]
        assert [m["json"]["data"]["n"] for m in replayed] == list(range(3, 8))
        db.notify(event("trade.executed", strategy, n="live"))
        assert again.next()["json"]["data"]["n"] == "live"


def test_last_event_id_wins_over_since_and_epoch(base_url, api_key, db):
    strategy = unique_strategy()
    with _open(base_url, f"/sse?strategy={strategy}", api_key) as sse:
        _connected(sse)
        db.notify(event("trade.executed", strategy, n=0))
        first = sse.next()
        db.notify(event("trade.executed", strategy, n=1))
        sse.next()
    query = f"/sse?strategy={strategy}&since=0&epoch=1-{'0' * 16}"  # alone, a gap (unknown epoch)
    with _open(base_url, query, api_key, **{"Last-Event-ID": first["id"]}) as again:
        _connected(again)
        assert again.next()["json"]["data"]["n"] == 1


@pytest.mark.parametrize("value", ["garbage", "1-3f9a0c4d5e6b7a81", "1-3f9a0c4d5e6b7a81:", "1-3f9a0c4d5e6b7a81:x",
                                   ":5", "1-3f9a0c4d5e6b7a81:-1"])
def test_malformed_last_event_id_is_400_naming_it(base_url, api_key, value):
    with _open(base_url, "/sse", api_key, **{"Last-Event-ID": value}) as sse:
        assert sse.status == 400
        error = json.loads(sse.body)["error"]
        assert error["code"] == "invalid_parameter" and "Last-Event-ID" in error["message"]


def test_unknown_epoch_gets_stream_gap_then_live_events(base_url, api_key, db):
    strategy = unique_strategy()
    with _open(base_url, f"/sse?strategy={strategy}", api_key, **{"Last-Event-ID": f"1-{'0' * 16}:5"}) as sse:
        connected = _connected(sse)
        gap = sse.next()
        assert gap["json"]["type"] == "stream.gap" and gap["json"]["epoch"] == connected["json"]["epoch"]
        db.notify(event("trade.executed", strategy, n="live"))
        assert sse.next()["json"]["data"]["n"] == "live"


@pytest.mark.parametrize("query", ["since=3", "epoch=1-3f9a0c4d5e6b7a81", "since=x&epoch=1-3f9a0c4d5e6b7a81",
                                   "strategy=bad%20name", "strategy=" + "x" * 65])
def test_bad_parameters_are_400_before_any_event(base_url, api_key, query):
    with _open(base_url, f"/sse?{query}", api_key) as sse:
        assert sse.status == 400
        assert json.loads(sse.body)["error"]["code"] == "invalid_parameter"


def test_sse_auth_is_the_websockets(base_url, api_key):
    with _open(base_url, "/sse", None) as missing:
        assert (missing.status, json.loads(missing.body)["error"]["code"]) == (401, "missing_api_key")
    with _open(base_url, "/sse", "wrong-key") as wrong:
        assert (wrong.status, json.loads(wrong.body)["error"]["code"]) == (403, "invalid_api_key")
    with SseReader(base_url, f"/sse/signals?api_key={api_key}") as query_key:
        assert _connected(query_key)["json"]["stream"] == "signals"


def test_idle_sse_response_gets_keep_alive_comments(fast_ping_url, api_key):
    """A sidecar that pings every 2 s (conftest.py's fast_ping_url): an idle response gets a comment line before any
    event."""
    with _open(fast_ping_url, f"/sse?strategy={unique_strategy()}", api_key) as sse:
        _connected(sse)
        while not any(kind == "comment" for kind, _ in sse.fields):
            line = sse.response.readline()
            assert line, "the response ended"
            if line.startswith(b":"):
                sse.fields.append(("comment", line.decode()[1:].rstrip("\r\n")))
            else:
                assert line.strip() == b"", f"not a comment: {line!r}"


def test_rest_path_with_accept_event_stream_gets_the_rest_answer(base_url, api_key):
    resp = requests.get(f"{base_url}/strategies", headers={"X-API-Key": api_key, "Accept": "text/event-stream"},
                        timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")


def test_stream_health_position_then_snapshot_then_subscribe_misses_nothing(base_url, ws_url, api_key, db):
    """The contract's handshake: position from /stream/health, snapshot, then subscribe from the position."""
    strategy = unique_strategy()
    position = health(base_url).json()  # (1)
    db.notify(event("position.updated", strategy, n="between"))  # after (1), before (3): must arrive
    snapshot = requests.get(f"{base_url}/positions?strategy={strategy}", headers={"X-API-Key": api_key}, timeout=10)
    assert snapshot.status_code == 200  # (2)
    with _open(base_url, f"/sse?strategy={strategy}&since={position['seq']}&epoch={position['epoch']}",
               api_key) as sse:
        _connected(sse)
        assert sse.next()["json"]["data"]["n"] == "between"

    async def over_websocket():
        path = f"/ws?strategy={strategy}&since={position['seq']}&epoch={position['epoch']}"
        async with connect(ws_url, path, api_key) as ws:
            await recv_connected(ws)
            return await recv_json(ws)

    assert asyncio.run(over_websocket())["data"]["n"] == "between"


def test_sse_over_http2_through_the_tls_port(tls_url, api_key):
    curl = subprocess.Popen(["curl", "--http2", "-skN", "-D", "-", "-H", f"X-API-Key: {api_key}",
                             f"{tls_url}/sse?strategy={unique_strategy()}"], stdout=subprocess.PIPE, text=True)
    try:
        assert curl.stdout.readline().startswith("HTTP/2 200")
        line = ""
        while not line.startswith("data: "):
            line = curl.stdout.readline()
            assert line, "stream ended"
        assert json.loads(line[6:])["type"] == "connected"
    finally:
        curl.kill()
        curl.wait(10)
