"""Losing the LISTEN connection: clients get stream.resumed with a new epoch, later events arrive,
/stream/health goes 503 (and new upgrades get 503 stream_unavailable) and comes back."""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg

from test_stream_support import (connect, event, health, notify, raw_handshake, recv_connected, recv_json,
                                 recv_until, unique_strategy, wait_for)


class HealthWatcher:
    """Polls /stream/health every 20 ms in a thread and records the statuses seen."""

    def __init__(self, base_url: str):
        self.base_url, self.statuses, self._stop = base_url, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.statuses.append(health(self.base_url).status_code)
            except Exception:  # noqa: BLE001 (nginx may answer 502 for a moment; record it as such)
                self.statuses.append(0)
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def terminate_listen_backend(owner_dsn: str) -> int:
    """pg_terminate_backend on the sidecar's LISTEN session. Only a superuser may signal another role's backend
    (and see its query text), so this connects as the test cluster's `postgres`, which trusts loopback."""
    params = psycopg.conninfo.conninfo_to_dict(owner_dsn)
    params["user"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        return admin.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()").fetchone()[0]


def test_listen_backend_killed_clients_get_resumed_and_events_continue(base_url, ws_url, api_key, db, dsn):
    strategy = unique_strategy()

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as ws:
            old_epoch = (await recv_connected(ws))["epoch"]
            with HealthWatcher(base_url) as watcher:
                assert terminate_listen_backend(dsn) >= 1
                resumed = (await recv_until(ws, lambda m: m["type"] == "stream.resumed", timeout=15))[-1]
                assert resumed["epoch"] != old_epoch and resumed["seq"] == 0
                await notify(db, event("signal.generated", strategy, n="after"))
                after = await recv_json(ws)
                assert after["data"]["n"] == "after" and after["seq"] >= 1
                await asyncio.to_thread(wait_for, lambda: health(base_url).status_code == 200, 10)
            assert 503 in watcher.statuses, watcher.statuses
            assert health(base_url).json()["listening"] is True
            # The new epoch is what a new client is told.
            async with connect(ws_url, f"/ws?strategy={strategy}", api_key) as fresh:
                assert (await recv_connected(fresh))["epoch"] == resumed["epoch"]

    asyncio.run(scenario())


def test_postgres_restart_refuses_upgrades_with_503_then_recovers(base_url, ws_url, api_key, ctl, stack):
    strategy = unique_strategy()

    async def scenario():
        async with connect(ws_url, f"/ws?strategy={strategy}", api_key, ping_timeout=None) as ws:
            old_epoch = (await recv_connected(ws))["epoch"]
            await asyncio.to_thread(ctl, "pg-stop")
            try:
                await asyncio.to_thread(wait_for, lambda: health(base_url).status_code == 503, 15, what="health 503")
                body = health(base_url)
                assert body.json()["listening"] is False and body.json()["status"] == "unhealthy"
                assert int(body.headers["Retry-After"]) >= 1
                sock, status, headers, payload = raw_handshake(ws_url, "/ws", {"X-API-Key": api_key})
                sock.close()
                assert status == 503 and b'"code":"stream_unavailable"' in payload
                assert int(headers["retry-after"]) >= 1
            finally:
                await asyncio.to_thread(ctl, "pg-start")
            await asyncio.to_thread(wait_for, lambda: health(base_url).status_code == 200, 45, what="health 200")
            resumed = (await recv_until(ws, lambda m: m["type"] == "stream.resumed", timeout=10))[-1]
            assert resumed["epoch"] != old_epoch
            with stack.connect() as conn:
                conn.notify(event("trade.executed", strategy, n="back"))
            assert (await recv_json(ws))["data"]["n"] == "back"

    asyncio.run(scenario())
