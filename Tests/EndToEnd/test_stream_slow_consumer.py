"""A client that stops reading is closed with 1008 `slow consumer` while 50 others keep their latency."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from test_stream_support import (FrameReader, close_code, connect, health, raw_handshake, recv_connected,
                                 unique_strategy)

PROBE_CLIENTS = 50
LATENCY_BOUND = 0.100


def test_slow_client_is_closed_with_1008_while_50_others_keep_receiving(base_url, ws_url, api_key, stack):
    flood, probe = unique_strategy("flood"), unique_strategy("probe")
    before = health(base_url).json()["slow_consumers_closed"]

    # The slow client: a tiny receive buffer, and it reads nothing after the handshake.
    slow, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={flood}", {"X-API-Key": api_key}, rcvbuf=4096)
    assert status == 101

    stop_flood = threading.Event()
    flood_sent = [0]

    def flood_events():
        # 7 kB events only the slow client subscribes to, in batches (delivered at commit; each payload differs,
        # because PostgreSQL folds identical payloads within one transaction into one notification).
        payload = json.dumps({"type": "trade.executed", "data": {"strategy": flood, "n": "NNNN", "pad": "z" * 7000}})
        with stack.connect() as conn:
            while not stop_flood.is_set() and flood_sent[0] < 20000:
                with conn.transaction():
                    conn.execute("SELECT pg_notify('trading_events', replace(%s, 'NNNN', g::text)) FROM generate_series(1, 200) g", (payload,))
                flood_sent[0] += 200
                time.sleep(0.05)

    async def scenario():
        clients = [connect(ws_url, f"/ws/trades?strategy={probe}", api_key) for _ in range(PROBE_CLIENTS)]
        sockets = [await c.__aenter__() for c in clients]
        try:
            for ws in sockets:
                await recv_connected(ws)
            latencies: list[list[float]] = [[] for _ in sockets]

            async def reader(index, ws):
                while True:
                    message = json.loads(await ws.recv())
                    if message["data"].get("end"):
                        return
                    latencies[index].append(time.time() - message["data"]["sent"])

            readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
            flooder = threading.Thread(target=flood_events, daemon=True)
            flooder.start()
            probes = 0
            closed_at = None
            with stack.connect() as conn:
                deadline = time.monotonic() + 60
                # Probe every 50 ms until the slow client is closed, and for a second after.
                while time.monotonic() < deadline:
                    body = {"type": "trade.executed", "data": {"strategy": probe, "sent": time.time(), "n": probes}}
                    await asyncio.to_thread(conn.execute, "SELECT pg_notify('trading_events', %s)",
                                            (json.dumps(body),))
                    probes += 1
                    await asyncio.sleep(0.05)
                    if closed_at is None and probes % 4 == 0:
                        count = (await asyncio.to_thread(health, base_url)).json()["slow_consumers_closed"]
                        if count > before:
                            closed_at = time.monotonic()
                            stop_flood.set()
                    if closed_at is not None and time.monotonic() - closed_at > 1.0:
                        break
                stop_flood.set()
                assert closed_at is not None, f"slow client never closed after {flood_sent[0]} flood events"
                end = {"type": "trade.executed", "data": {"strategy": probe, "end": True}}
                await asyncio.to_thread(conn.execute, "SELECT pg_notify('trading_events', %s)", (json.dumps(end),))
            await asyncio.wait_for(asyncio.gather(*readers), 10)
            return probes, latencies
        finally:
            for c in clients:
                await c.__aexit__(None, None, None)

    try:
        probes, latencies = asyncio.run(scenario())
        # Every other client got every probe, fast.
        assert all(len(per_client) == probes for per_client in latencies), [len(x) for x in latencies]
        worst = max(max(per_client) for per_client in latencies)
        ordered = sorted(value for per_client in latencies for value in per_client)
        p50 = ordered[len(ordered) // 2]
        print(f"\n{PROBE_CLIENTS} clients x {probes} probes: p50 {p50 * 1000:.1f} ms, worst {worst * 1000:.1f} ms")
        assert worst < LATENCY_BOUND, f"worst latency {worst * 1000:.1f} ms"

        # The slow client, reading again, finds the backlog and then the close frame.
        slow.settimeout(10)
        reader = FrameReader(slow, rest)
        while True:
            frame = reader.next()
            assert frame is not None, "connection ended without a close frame"
            if frame[0] == 0x8:
                assert close_code(frame[1]) == (1008, "slow consumer")
                break
        assert health(base_url).json()["slow_consumers_closed"] == before + 1
    finally:
        stop_flood.set()
        slow.close()
