"""A client that stalls (the sidecar's kernel send buffer for it full, the rest of its frames queued in the sidecar,
under the slow-consumer bound) and then reads again gets every event once, in order, while live events keep coming.

The sidecar sends a live frame straight to the socket only while it holds nothing queued for that client; this is the
case that rule exists for: once the client reads, the kernel has room again before the sidecar's queue is written,
and a frame sent directly then would overtake the queued ones (or cut one in half). No clock decides anything: the
flood goes out in steps, each followed by a probe that clients on every event loop must receive, until a round in
which the kernel took less than the step (`ss`, kernel_queues.py); then the client reads while 200 more events go out."""

from __future__ import annotations

import asyncio
import json
import os
import threading

from kernel_queues import held, sidecar_port
from test_stream_support import FrameReader, connect, raw_handshake, recv_connected, unique_strategy

PROBE_CLIENTS = 8  # consecutive connections: NIO spreads them over every event loop, the stalled client's too
EVENT_PAD = 7000
STEP = 30  # events (~210 kB) per flood step: a step left queued stays far under the 1 MiB bound
MAX_FLOOD = 3000
LIVE = 200
WAIT = 60.0


def test_a_stalled_reader_that_reads_again_gets_every_event_once_in_order(ws_url, api_key, stack, run_dir):
    stalled_strategy, probe = unique_strategy("stall"), unique_strategy("probe")
    port = sidecar_port()
    stalled, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={stalled_strategy}", {"X-API-Key": api_key}, rcvbuf=4096)
    assert status == 101
    payload = json.dumps({"type": "trade.executed", "data": {"strategy": stalled_strategy, "n": "NNNN", "pad": "z" * EVENT_PAD}})

    async def flood_until_queued(conn) -> int:
        clients = [connect(ws_url, f"/ws/trades?strategy={probe}", api_key) for _ in range(PROBE_CLIENTS)]
        sockets = [await c.__aenter__() for c in clients]
        try:
            for ws in sockets:
                await recv_connected(ws)
            flooded, round_ = 0, 0
            while True:
                before = held(port)
                conn.execute("SELECT pg_notify('trading_events', replace(%s, '\"NNNN\"', g::text)) "
                             "FROM generate_series(%s::int, %s::int) g", (payload, flooded + 1, flooded + STEP))
                flooded += STEP
                conn.notify({"type": "trade.executed", "data": {"strategy": probe, "n": round_}})
                for ws in sockets:  # NOTIFY order: every loop has handled this step
                    while json.loads(await asyncio.wait_for(ws.recv(), WAIT))["data"]["n"] != round_:
                        pass
                round_ += 1
                after = held(port)
                if any(peer in after and after[peer][0] >= limit // 2 and after[peer][0] - queued < STEP * EVENT_PAD // 2
                       for peer, (queued, limit) in before.items()):
                    return flooded  # the kernel took under half the step: the rest waits in the sidecar
                assert flooded < MAX_FLOOD, f"the stalled client's frames never queued in the sidecar: {after}"
        finally:
            for c in clients:
                await c.__aexit__(None, None, None)

    got: list[int] = []
    failures: list[BaseException] = []
    try:
        with stack.connect() as conn:
            flooded = asyncio.run(flood_until_queued(conn))

            def read_all() -> None:
                try:
                    read_until_end()
                except BaseException as failure:  # raised again on the test's thread, with its own message
                    failures.append(failure)

            def read_until_end() -> None:
                reader = FrameReader(stalled, rest)
                while True:
                    frame = reader.next()
                    if frame is not None and frame[0] == 0x9:
                        continue  # an idle ping (30 s): nothing to judge
                    assert frame is not None and frame[0] == 0x1, f"not a text frame after {len(got)} events: {frame}"
                    message = json.loads(frame[1])
                    if message["type"] == "connected":
                        continue
                    got.append(message["data"]["n"])
                    if message["data"].get("end"):
                        return

            stalled.settimeout(WAIT)
            reading = threading.Thread(target=read_all)
            reading.start()
            total = flooded + LIVE + 1
            for n in range(flooded + 1, total + 1):
                conn.notify({"type": "trade.executed", "data": {"strategy": stalled_strategy, "n": n, "end": n == total}})
            reading.join(WAIT * 2)
            if failures:
                raise failures[0]
            assert not reading.is_alive(), f"the reader got {len(got)} of {total} events"
        misplaced = [(i, n) for i, n in enumerate(got, 1) if n != i][:5]
        assert got == list(range(1, total + 1)), f"{len(got)} of {total} events; first out of place (at, n): {misplaced}"
        # The ordering rule only matters while live frames bypass NIO: a sidecar that fell back to NIO says so.
        with open(os.path.join(run_dir, "stream.log"), errors="replace") as log:
            assert "direct socket writes unavailable" not in log.read()
    finally:
        stalled.close()
