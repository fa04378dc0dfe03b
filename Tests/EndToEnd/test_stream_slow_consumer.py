"""A client that stops reading is closed with 1008 `slow consumer`, and while it is stuck 50 others keep receiving
every event, in order.

No clock decides anything. The flood goes out in steps, each followed by a probe event that all 50 others must
receive; the slow client is *stuck* in a round when the sidecar's kernel send buffer for it is full and took (almost)
none of that round's flood step (`ss`, kernel_queues.py): the step is then waiting in the sidecar's own queue. In
such a round the probe must still reach all 50 while /stream/health does not yet count the slow client as closed.
A relay that waited for the slow socket would hold the probes (the wait gives up only after 60 s: a lost event, not
a slow one). How fast the probes arrive is measured in bench/ (bench/fault: never-reading clients), not here."""

from __future__ import annotations

import asyncio
import json
import time

from kernel_queues import held, sidecar_port
from test_stream_support import FrameReader, close_code, connect, health, raw_handshake, unique_strategy, recv_connected

PROBE_CLIENTS = 50
EVENT_PAD = 7000
BIG_STEP = 100  # events (~700 kB) per flood step while the kernel still takes them: under the 1 MiB queue bound
SMALL_STEP = 30  # once the kernel holds bytes for the slow client (~210 kB): a stuck round leaves it open
MAX_FLOOD = 20000
WAIT = 60.0


def test_slow_client_is_closed_with_1008_while_50_others_keep_receiving(base_url, ws_url, api_key, stack):
    flood, probe = unique_strategy("flood"), unique_strategy("probe")
    port = sidecar_port()
    before = health(base_url).json()["slow_consumers_closed"]

    # The slow client: a tiny receive buffer, and it reads nothing after the handshake.
    slow, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={flood}", {"X-API-Key": api_key}, rcvbuf=4096)
    assert status == 101
    # Each payload differs: PostgreSQL folds identical payloads within one transaction into one notification.
    payload = json.dumps({"type": "trade.executed", "data": {"strategy": flood, "n": "NNNN", "pad": "z" * EVENT_PAD}})

    async def scenario():
        clients = [connect(ws_url, f"/ws/trades?strategy={probe}", api_key) for _ in range(PROBE_CLIENTS)]
        sockets = [await c.__aenter__() for c in clients]
        readers = []
        try:
            for ws in sockets:
                await recv_connected(ws)
            got: list[list[int]] = [[] for _ in sockets]  # the probe numbers each client received, in order
            latencies: list[float] = []  # printed for the curious; bench/ judges speed

            async def reader(index, ws):
                while True:
                    data = json.loads(await ws.recv())["data"]
                    if data.get("end"):
                        return
                    got[index].append(data["n"])
                    latencies.append(time.time() - data["sent"])

            async def everyone_has(n: int) -> None:
                deadline = time.monotonic() + WAIT
                while not all(g and g[-1] >= n for g in got):
                    assert time.monotonic() < deadline, f"probe {n} not received by all {PROBE_CLIENTS} in {WAIT} s"
                    await asyncio.sleep(0.01)

            readers += [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
            rounds = []  # (kernel bytes for the slow client before, after, step bytes, closed after the round)
            with stack.connect() as conn:
                flooded, n = 0, 0
                while True:
                    held_before = held(port)
                    step = SMALL_STEP if held_before else BIG_STEP
                    with conn.transaction():
                        conn.execute("SELECT pg_notify('trading_events', replace(%s, 'NNNN', g::text)) "
                                     "FROM generate_series(%s::int, %s::int) g", (payload, flooded + 1, flooded + step))
                    flooded += step
                    body = {"type": "trade.executed", "data": {"strategy": probe, "sent": time.time(), "n": n}}
                    conn.notify(body)
                    await everyone_has(n)  # NOTIFY order: the sidecar has handled this round's flood step
                    held_after = held(port)
                    closed = (await asyncio.to_thread(health, base_url)).json()["slow_consumers_closed"] > before
                    rounds.append((held_before, held_after, step * EVENT_PAD, closed))
                    n += 1
                    if closed:
                        break
                    assert flooded < MAX_FLOOD, f"slow client never closed after {flooded} flood events"
                conn.notify({"type": "trade.executed", "data": {"strategy": probe, "end": True}})
            await asyncio.wait_for(asyncio.gather(*readers), WAIT)
            return n, got, latencies, rounds
        finally:
            for task in readers:
                task.cancel()
            for c in clients:
                await c.__aexit__(None, None, None)

    try:
        probes, got, latencies, rounds = asyncio.run(scenario())
        # Every other client got every probe, once, in order.
        assert all(g == list(range(probes)) for g in got), [len(g) for g in got]

        # Rounds in which the slow client was stuck: a connection whose kernel queue was already full kept it (took
        # under a quarter of the step), so the rest of the step sat in the sidecar; the probe still reached all 50
        # and the slow client was not closed yet.
        def stuck(held_before, held_after, step_bytes) -> bool:
            return any(peer in held_after and held_after[peer][0] >= queued >= limit // 2
                       and held_after[peer][0] - queued < step_bytes // 4
                       for peer, (queued, limit) in held_before.items())
        stuck_open = [r for r in rounds if not r[3] and stuck(*r[:3])]
        ordered = sorted(latencies)
        print(f"\n{len(rounds)} rounds, {len(stuck_open)} with the slow client stuck and open; {PROBE_CLIENTS} "
              f"clients x {probes} probes: p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
              f"worst {ordered[-1] * 1000:.1f} ms (not judged here)")
        for r in rounds[-8:]:
            print("  ", r)
        assert stuck_open, f"no round had the slow client stuck and open: {rounds[-6:]}"

        # The slow client, reading again, finds the backlog and then the close frame.
        slow.settimeout(WAIT)
        reader = FrameReader(slow, rest)
        while True:
            frame = reader.next()
            assert frame is not None, "connection ended without a close frame"
            if frame[0] == 0x8:
                assert close_code(frame[1]) == (1008, "slow consumer")
                break
        assert health(base_url).json()["slow_consumers_closed"] == before + 1
    finally:
        slow.close()
