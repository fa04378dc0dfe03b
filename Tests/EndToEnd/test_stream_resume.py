"""Resume: `?since=&epoch=` replays exactly the missed events, in order, then live ones; stale → stream.gap.

A replay is paced by the client's socket, so even a backlog bigger than the slow-consumer bound
(ELPYFI_STREAM_CLIENT_QUEUE_BYTES, 1 MiB in the test stack) arrives whole rather than as a gap or a 1008."""

from __future__ import annotations

import asyncio
import json
import os

from kernel_queues import send_queues
from test_stream_support import (FrameReader, assert_silent, client_frame, close_code, connect, event, health, notify,
                                 raw_handshake, recv_connected, recv_json, recv_until, unique_strategy, wait_for)


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
        # A stale epoch, a future seq, a seq too big for any integer, and epochs that are no epoch id at all.
        for query in ("since=1&epoch=0000000000000000", "since=999999999999&epoch={epoch}",
                      "since=99999999999999999999999999&epoch={epoch}", "since=1&epoch=not-an-epoch",
                      "since=1&epoch=a%20b"):
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


BULK_EVENTS = 3000
BULK_BATCH = 500

def notify_numbered(conn, template: str, count: int) -> None:
    """NOTIFYs `template` `count` times with NNNN replaced by 0..count-1, BULK_BATCH per transaction
    (each payload unique: PostgreSQL folds identical payloads within one transaction into one)."""
    for first in range(0, count, BULK_BATCH):
        with conn.transaction():
            conn.execute("SELECT pg_notify('trading_events', replace(%s, 'NNNN', g::text)) "
                         "FROM generate_series(%s::int, %s::int) g", (template, first, first + BULK_BATCH - 1))



def test_resume_replays_a_backlog_bigger_than_the_client_queue_whole_and_in_order(ws_url, api_key, db, stack):
    strategy = unique_strategy("bulk")
    # ~500-byte events (3000 of them: ~1.5 MB, over the 1 MiB queue bound). NNNN makes each payload unique:
    # PostgreSQL folds identical payloads within one transaction into one notification.
    template = json.dumps({"type": "trade.executed", "data": {"strategy": strategy, "n": "NNNN", "pad": "p" * 400},
                           "timestamp": "2024-01-15T10:31:00Z"}).replace('"NNNN"', "NNNN")

    def notify_bulk():
        with stack.connect() as conn:
            notify_numbered(conn, template, BULK_EVENTS)

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            connected = await recv_connected(ws)
        epoch, since = connected["epoch"], connected["seq"]
        # A live watcher proves every event was relayed (so in the ring) before the resume below.
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as watcher:
            await recv_connected(watcher)
            await asyncio.to_thread(notify_bulk)
            watched = await recv_until(watcher, lambda m: m["data"]["n"] == BULK_EVENTS - 1, timeout=30)
            assert len(watched) == BULK_EVENTS
            assert len(json.dumps(watched[0])) >= 450
        async with connect(ws_url, f"/ws?strategy={strategy}&since={since}&epoch={epoch}", api_key) as ws:
            assert (await recv_connected(ws))["epoch"] == epoch
            replayed = [await recv_json(ws) for _ in range(100)]
            # Live events sent mid-replay follow the replay: no gap, no duplicate, NOTIFY order.
            for index in range(5):
                await notify(db, event("signal.generated", strategy, n=f"live{index}"))
            replayed += [await recv_json(ws) for _ in range(BULK_EVENTS - 100 + 5)]
            assert all(m["type"] != "stream.gap" for m in replayed)
            assert [m["data"]["n"] for m in replayed] == list(range(BULK_EVENTS)) + [f"live{i}" for i in range(5)]
            seqs = [m["seq"] for m in replayed]
            assert seqs[0] > since and all(a < b for a, b in zip(seqs, seqs[1:]))
            assert [m["seq"] for m in replayed[:BULK_EVENTS]] == [m["seq"] for m in watched]
            await assert_silent(ws, 0.3)

    asyncio.run(scenario())


STALLED_EVENTS = 8000


def test_resume_by_a_stalled_reader_is_paced_not_closed_as_a_slow_consumer(base_url, ws_url, api_key, stack):
    # ~56 MB of 7 kB events: far more than the 1 MiB queue bound plus every socket buffer between the sidecar and
    # the client, so the replay must wait for the reader instead of queueing it all (which would be a 1008).
    strategy, marker = unique_strategy("stall"), unique_strategy("mark")
    template = json.dumps({"type": "trade.executed", "data": {"strategy": strategy, "n": "NNNN", "pad": "q" * 7000}}
                          ).replace('"NNNN"', "NNNN")
    before = health(base_url).json()["slow_consumers_closed"]

    def notify_bulk():
        with stack.connect() as conn:
            notify_numbered(conn, template, STALLED_EVENTS)
            conn.notify(event("trade.executed", marker, n="end"))

    async def prepare():
        async with connect(ws_url, f"/ws?strategy={marker}", api_key) as watcher:
            connected = await recv_connected(watcher)
            await asyncio.to_thread(notify_bulk)
            # NOTIFY order: once the marker is relayed, every bulk event is in the ring.
            assert (await recv_json(watcher, timeout=60))["data"]["n"] == "end"
            return connected["epoch"], connected["seq"]

    epoch, since = asyncio.run(prepare())
    sock, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={strategy}&since={since}&epoch={epoch}",
                                          {"X-API-Key": api_key}, rcvbuf=4096, timeout=30)
    try:
        assert status == 101
        # Not reading: the replay fills every buffer between us and the sidecar, up to the sidecar's own socket
        # (kernel_queues.py), and must pause there instead of queueing the rest (that would be a 1008).
        port = int(os.environ["ELPYFI_STREAM_LISTEN"].rsplit(":", 1)[1])
        wait_for(lambda: any(q.queued >= q.limit // 2 for q in send_queues(port)), 60,
                 what="the replay to fill the sidecar's send buffer for this client")
        reader = FrameReader(sock, rest)
        texts = []
        while len(texts) < STALLED_EVENTS + 1:
            frame = reader.next()
            assert frame is not None, f"closed after {len(texts)} messages"
            opcode, payload = frame
            assert opcode != 0x8, f"closed with {close_code(payload)} after {len(texts)} messages"
            if opcode == 0x9:
                sock.sendall(client_frame(0xA, payload))
            elif opcode == 0x1:
                texts.append(json.loads(payload))
        assert texts[0]["type"] == "connected"
        assert [m["data"]["n"] for m in texts[1:]] == list(range(STALLED_EVENTS))
        seqs = [m["seq"] for m in texts[1:]]
        assert all(a + 1 == b for a, b in zip(seqs, seqs[1:]))
        assert health(base_url).json()["slow_consumers_closed"] == before
    finally:
        sock.close()
