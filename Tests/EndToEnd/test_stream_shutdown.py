"""SIGTERM: every client gets close 1001 and the sidecar exits 0 (then the harness starts it again)."""

from __future__ import annotations

import asyncio

import websockets

from test_stream_support import connect, health, recv_connected, unique_strategy, wait_for


def test_sigterm_closes_every_client_with_1001_and_exits_0(base_url, ws_url, api_key, ctl):
    strategy = unique_strategy()

    async def scenario():
        clients = [connect(ws_url, f"{path}?strategy={strategy}", api_key) for path in ("/ws", "/ws/signals", "/ws/trades")]
        sockets = [await c.__aenter__() for c in clients]
        for ws in sockets:
            await recv_connected(ws)

        async def close_code(ws):
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 20)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

        waiting = [asyncio.create_task(close_code(ws)) for ws in sockets]
        status = await asyncio.to_thread(ctl.stream_kill_term)
        codes = await asyncio.gather(*waiting)
        for c in clients:
            await c.__aexit__(None, None, None)
        return status, codes

    try:
        status, codes = asyncio.run(scenario())
        assert status == 0
        assert codes == [1001, 1001, 1001]
    finally:
        ctl("stream-start")
        wait_for(lambda: health(base_url).status_code == 200, 20, what="sidecar back")
