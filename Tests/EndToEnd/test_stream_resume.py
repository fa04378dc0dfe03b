"""Resume: `?since=&epoch=` replays exactly the missed events, in order, then live ones; stale → stream.gap."""

from __future__ import annotations

import asyncio

from test_stream_support import assert_silent, connect, event, notify, recv_connected, recv_json, unique_strategy


def test_resume_replays_exactly_the_missed_events_then_live_ones(ws_url, api_key, db):
    strategy = unique_strategy()

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            connected = await recv_connected(ws)
            await notify(db, event("signal.generated", strategy, n="before"))
            last = await recv_json(ws)
            epoch, since = connected["epoch"], last["seq"]
        # Disconnected: these ten happen while nobody of ours listens.
        for index in range(10):
            await notify(db, event("trade.executed", strategy, n=index))
        async with connect(ws_url, f"/ws?strategy={strategy}&since={since}&epoch={epoch}", api_key) as ws:
            connected = await recv_connected(ws)
            assert connected["epoch"] == epoch
            replayed = [await recv_json(ws) for _ in range(10)]
            assert [m["data"]["n"] for m in replayed] == list(range(10))
            seqs = [m["seq"] for m in replayed]
            assert seqs == sorted(seqs) and seqs[0] > since and len(set(seqs)) == 10
            await notify(db, event("signal.generated", strategy, n="live"))
            live = await recv_json(ws)
            assert live["data"]["n"] == "live" and live["seq"] > seqs[-1]
            await assert_silent(ws, 0.3)  # no duplicates

    asyncio.run(scenario())


def test_stale_epoch_or_future_seq_gets_stream_gap_first(ws_url, api_key, db):
    strategy = unique_strategy()

    async def scenario():
        for query in ("since=1&epoch=0000000000000000", "since=999999999999&epoch={epoch}"):
            async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
                epoch = (await recv_connected(ws))["epoch"]
            async with connect(ws_url, f"/ws?strategy={strategy}&" + query.format(epoch=epoch), api_key) as ws:
                connected = await recv_connected(ws)
                gap = await recv_json(ws)
                assert gap["type"] == "stream.gap"
                assert gap["epoch"] == connected["epoch"] == epoch
                assert gap["seq"] >= connected["seq"]
                await notify(db, event("signal.generated", strategy, n="after-gap"))
                live = await recv_json(ws)
                assert live["data"]["n"] == "after-gap" and live["seq"] > gap["seq"]

    asyncio.run(scenario())
