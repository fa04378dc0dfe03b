"""The live relay through nginx: events arrive unchanged but for `seq`, routed by type prefix and strategy,
after `connected`; text and protocol pings are answered; malformed payloads are dropped and counted."""

from __future__ import annotations

import asyncio
import json

from test_stream_support import (assert_silent, connect, event, health, notify, recv_connected, recv_json,
                                 recv_until, unique_strategy)


def test_event_arrives_unchanged_but_for_seq(ws_url, api_key, db):
    strategy = unique_strategy()
    # Odd but valid formatting the relay must keep byte for byte: exact decimals, escapes, UTF-8, nesting.
    payload = ('{"type":"signal.generated","data":{"strategy":"%s","price":150.250,"qty":1E3,'
               '"note":"caf\\u00e9 \\"q\\" €","nested":{"a":[1,2,{"b":null}]}},'
               '"timestamp":"2024-01-15T10:31:00.5Z"}' % strategy)

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            connected = await recv_connected(ws)
            await notify(db, payload)
            text = await asyncio.wait_for(ws.recv(), 5)
            seq = json.loads(text)["seq"]
            assert isinstance(seq, int) and seq > connected["seq"]
            assert text == payload[:-1] + f',"seq":{seq}}}'
            # An engine-sent top-level seq is overwritten, everything else kept.
            engine = event("trade.executed", strategy, seq=5, id=1)
            engine["seq"] = 999999
            await notify(db, engine)
            relayed = await recv_json(ws)
            assert relayed["seq"] == seq + 1
            assert {k: v for k, v in relayed.items() if k != "seq"} == {k: v for k, v in engine.items() if k != "seq"}
            assert relayed["data"]["seq"] == 5

    asyncio.run(scenario())


def test_type_prefixes_route_to_their_streams(ws_url, api_key, db):
    strategy = unique_strategy()
    types = ["signal.generated", "signal.", "position.opened", "position.closed", "trade.executed",
             "order.filled", "pdt.trade_used", "system.heartbeat", "signals.not_a_signal", "pdt"]

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as everything, \
                connect(ws_url, f"/ws/signals?strategy={strategy}", api_key) as signals, \
                connect(ws_url, f"/ws/trades?strategy={strategy}", api_key) as trades:
            assert (await recv_connected(everything))["stream"] == "all"
            assert (await recv_connected(signals))["stream"] == "signals"
            assert (await recv_connected(trades))["stream"] == "trades"
            for event_type in types + ["signal.zz_end", "trade.zz_end"]:
                await notify(db, event(event_type, strategy))
            got_all = await recv_until(everything, lambda m: m["type"] == "trade.zz_end")
            got_signals = await recv_until(signals, lambda m: m["type"] == "signal.zz_end")
            got_trades = await recv_until(trades, lambda m: m["type"] == "trade.zz_end")
            assert [m["type"] for m in got_all] == types + ["signal.zz_end", "trade.zz_end"]
            assert [m["type"] for m in got_signals] == ["signal.generated", "signal.", "signal.zz_end"]
            assert [m["type"] for m in got_trades] == ["position.opened", "position.closed", "trade.executed",
                                                       "order.filled", "pdt.trade_used", "trade.zz_end"]
            seqs = [m["seq"] for m in got_all]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            await assert_silent(signals, 0.3)

    asyncio.run(scenario())


def test_strategy_parameter_narrows_the_stream(ws_url, api_key, db):
    mine, other = unique_strategy("mine"), unique_strategy("other")

    async def scenario():
        async with connect(ws_url, f"/ws/signals?strategy={mine}", api_key) as narrow:
            await recv_connected(narrow)
            await notify(db, event("signal.generated", other, n=1))
            await notify(db, event("signal.generated", None, n=2))
            await notify(db, {"type": "signal.generated", "data": {"strategy": 7}, "n": 3})
            await notify(db, {"type": "signal.generated", "strategy": mine, "n": 4})  # top-level, not data.strategy
            await notify(db, event("signal.generated", mine, n=5))
            got = await recv_json(narrow)
            assert got["data"] == {"n": 5, "strategy": mine}
            await assert_silent(narrow, 0.3)

    asyncio.run(scenario())


def test_connected_comes_first_on_every_stream(ws_url, api_key, db):
    strategy = unique_strategy()

    async def scenario():
        for path, name in (("/ws", "all"), ("/ws/signals", "signals"), ("/ws/trades", "trades")):
            async with connect(ws_url, f"{path}?strategy={strategy}", api_key) as ws:
                await notify(db, event("signal.generated", strategy))
                await notify(db, event("trade.executed", strategy))
                first = await recv_json(ws)
                assert first["type"] == "connected"
                assert first["stream"] == name
                assert isinstance(first["epoch"], str) and first["epoch"]
                assert isinstance(first["seq"], int) and first["seq"] >= 0
                assert first["timestamp"].endswith("Z")
                following = await recv_json(ws)
                assert following["seq"] > first["seq"]

    asyncio.run(scenario())


def test_text_ping_gets_pong_and_protocol_ping_gets_pong(ws_url, api_key):
    async def scenario():
        async with connect(ws_url, "/ws", api_key, ping_interval=None) as ws:
            await recv_connected(ws)
            await ws.send("ping")
            while True:  # demo events may interleave; the pong must come
                reply = await asyncio.wait_for(ws.recv(), 5)
                if not reply.startswith("{"):
                    break
            assert reply == "pong"
            latency = await asyncio.wait_for(await ws.ping(b"are-you-there"), 5)
            assert latency < 1.0

    asyncio.run(scenario())


def test_malformed_payloads_are_dropped_counted_and_the_next_good_event_still_arrives(base_url, ws_url, api_key, db):
    strategy = unique_strategy()
    malformed = [
        "plain text, not JSON",
        json.dumps([event("signal.generated", strategy)]),             # a JSON array
        json.dumps({"data": {"strategy": strategy}}),                    # no type
        json.dumps({"type": 42, "data": {"strategy": strategy}}),       # numeric type
        json.dumps({"type": "signal.generated", "data": {"strategy": strategy}}) + " trailing",
        # Near the 8000-byte NOTIFY limit, and cut short: not JSON.
        '{"type":"signal.generated","data":{"strategy":"%s","pad":"%s"' % (strategy, "x" * 7800),
    ]
    big_good = event("signal.generated", strategy, pad="y" * 7700)

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            await recv_connected(ws)
            before = health(base_url).json()["dropped_payloads"]
            for payload in malformed:
                assert len(payload.encode()) < 8000
                await notify(db, payload)
            await notify(db, big_good)
            await notify(db, event("signal.generated", strategy, n="good"))
            first = await recv_json(ws)
            assert first["data"]["pad"] == "y" * 7700  # a near-8000-byte valid event is relayed intact
            second = await recv_json(ws)
            assert second["data"]["n"] == "good" and second["seq"] == first["seq"] + 1
            assert health(base_url).json()["dropped_payloads"] == before + len(malformed)

    asyncio.run(scenario())


def test_stream_health_reports_listening_and_counters(base_url):
    response = health(base_url)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["listening"] is True
    assert set(body) == {"status", "listening", "clients", "last_event_at", "dropped_payloads",
                         "slow_consumers_closed", "epoch", "seq"}
    assert all(isinstance(body[k], int) for k in ("clients", "dropped_payloads", "slow_consumers_closed", "seq"))


def test_stream_health_names_the_position_a_resume_starts_from(base_url, ws_url, api_key, db):
    """`epoch` and `seq` in /stream/health are the stream's position: after an event they equal its `connected`
    epoch and the event's seq, and a resume from that position gets exactly the events numbered after it."""
    strategy = unique_strategy()

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            connected = await recv_connected(ws)
            await notify(db, event("signal.generated", strategy, n=1))
            first = await recv_json(ws)
        position = health(base_url).json()
        assert position["epoch"] == connected["epoch"]
        assert position["seq"] >= first["seq"]
        await notify(db, event("signal.generated", strategy, n=2))
        uri = f"/ws?strategy={strategy}&since={position['seq']}&epoch={position['epoch']}"
        async with connect(ws_url, uri, api_key) as resumed:
            await recv_connected(resumed)
            later = await recv_json(resumed)
            assert later["data"]["n"] == 2 and later["seq"] > position["seq"]

    asyncio.run(scenario())
