"""Several sidecars behind the real nginx (API.md "Several sidecars"): two elpyfi-stream processes with their own
LISTEN (ELPYFI_STREAM_ID 1 and 2) and an nginx rendered from the shipped templates with
ELPYFI_STREAM_UPSTREAMS naming both. New clients land on either; a resume goes back to the sidecar that issued its
epoch and misses nothing; when that sidecar is killed (SIGKILL) the other's clients keep receiving, and the
killed one's clients get `stream.gap` on resume and go on live.

The pair and its nginx are this module's own (ports ELPYFI_TEST_SIDECAR_PORTS, ELPYFI_TEST_PAIR_NGINX_PORTS), so
the shared stack's single sidecar is untouched."""

from __future__ import annotations

import asyncio
import os
import pathlib
import socket
import subprocess
import time

import pytest
from websockets.exceptions import ConnectionClosed

from extra_processes import REPO
from stack import saved
from test_stream_support import connect, event, notify, recv_connected, recv_json, recv_until, unique_strategy


def _ports(name: str, default: str) -> list[int]:
    return [int(p) for p in os.environ.get(name, default).split(",")]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Pair:
    """Two sidecars and the nginx in front of them; `kill(n)` / `start(n)` act on sidecar n (1 or 2)."""

    def __init__(self, out: pathlib.Path, run_dir: str):
        self.out = out
        self.ports = _ports("ELPYFI_TEST_SIDECAR_PORTS", "19021,19022")
        self.http_port, self.tls_port = _ports("ELPYFI_TEST_PAIR_NGINX_PORTS", "19003,19444")
        self.binary = pathlib.Path(os.environ.get("ELPYFI_TEST_BIN_DIR", REPO / ".build/release")) / "elpyfi-stream"
        self.run_dir = run_dir
        self.sidecars: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}"

    def start(self, n: int) -> None:
        port = self.ports[n - 1]
        env = {**os.environ, "ELPYFI_STREAM_ID": str(n), "ELPYFI_STREAM_LISTEN": f"127.0.0.1:{port}"}
        log = open(self.out / f"stream-{n}.log", "ab")
        self.sidecars[n] = subprocess.Popen([str(self.binary)], env=env, cwd=self.out, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while not _listening(port):
            assert self.sidecars[n].poll() is None, (self.out / f"stream-{n}.log").read_text()[-2000:]
            assert time.monotonic() < deadline, f"sidecar {n} does not listen on {port}"
            time.sleep(0.05)

    def kill(self, n: int) -> None:
        self.sidecars[n].kill()  # SIGKILL: no close frames, no goodbye
        self.sidecars[n].wait(10)

    def start_nginx(self) -> None:
        conf = self.out / "conf"
        env = {**os.environ, "ELPYFI_PORT": str(self.http_port), "ELPYFI_TLS_PORT": str(self.tls_port),
               "ELPYFI_FCGI_UPSTREAMS": f"{self.run_dir}/fcgi-1.sock", "ELPYFI_NGINX_RUN_DIR": str(self.out),
               "ELPYFI_TLS_CERT": f"{self.run_dir}/tls/cert.pem", "ELPYFI_TLS_KEY": f"{self.run_dir}/tls/key.pem",
               "ELPYFI_DOC_ROOT": saved(self.run_dir, "DOC_ROOT") or str(REPO),
               "ELPYFI_STREAM_UPSTREAMS": ",".join(f"127.0.0.1:{p}" for p in self.ports),
               # Its own ops listener: the suite's nginx holds ELPYFI_OPS_LISTEN.
               "ELPYFI_OPS_LISTEN": f"127.0.0.1:{_unused_port()}"}
        subprocess.run([str(REPO / "deploy" / "render-nginx"), str(conf)], env=env, check=True, capture_output=True)
        globals_ = "daemon off;" + (" user elpyfi-dev;" if os.geteuid() == 0 else "")
        self.nginx = subprocess.Popen(["nginx", "-p", str(conf), "-c", str(conf / "nginx.conf"),
                                       "-e", str(self.out / "error.log"), "-g", globals_],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not (self.out / "nginx.pid").exists():
            assert self.nginx.poll() is None, (self.out / "nginx-error.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the pair's nginx did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.nginx:
            self.nginx.terminate()
            self.nginx.wait(10)
        for proc in self.sidecars.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, run_dir):
    out = tmp_path_factory.mktemp("sidecar-pair")
    os.chmod(out, 0o755)
    pair = Pair(out, run_dir)
    try:
        pair.start(1)
        pair.start(2)
        pair.start_nginx()
        yield pair
    finally:
        pair.stop()


def sidecar_of(connected: dict) -> str:
    return connected["epoch"].split("-", 1)[0]


async def open_on_both(url: str, path: str, api_key: str):
    """Opens clients until one is on each sidecar; returns {sidecar id: (ws, connected)} and closes the extras."""
    found: dict[str, tuple] = {}
    extras = []
    for _ in range(20):
        ws = await connect(url, path, api_key)
        hello = await recv_connected(ws)
        if sidecar_of(hello) in found:
            extras.append(ws)
        else:
            found[sidecar_of(hello)] = (ws, hello)
        if len(found) == 2:
            break
    for ws in extras:
        await ws.close()
    assert set(found) == {"1", "2"}, f"new clients never reached both sidecars: {set(found)}"
    return found


def test_new_clients_land_on_both_and_a_resume_returns_to_its_sidecar_without_a_gap(pair, api_key, db):
    strategy = unique_strategy("pair")
    path = f"/ws?strategy={strategy}"

    async def scenario():
        for sidecar in ("1", "2"):
            clients = await open_on_both(pair.ws_url, path, api_key)
            ws, hello = clients[sidecar]
            # The other sidecar is left with no client and this one keeps its own: least_conn alone would send
            # the resumes below to the other one; only the epoch routing brings them here.
            await clients["2" if sidecar == "1" else "1"][0].close()
            await notify(db, event("signal.a", strategy, at=sidecar))
            seen = (await recv_until(ws, lambda m: m["type"] == "signal.a" and m["data"]["at"] == sidecar))[-1]
            for round_ in range(3):
                # Missed while away: two events each round.
                await notify(db, event("signal.missed", strategy, n=round_ * 2))
                await notify(db, event("signal.missed", strategy, n=round_ * 2 + 1))
                query = f"{path}&since={seen['seq']}&epoch={hello['epoch']}"
                async with connect(pair.ws_url, query, api_key) as again:
                    back = await recv_connected(again)
                    assert back["epoch"] == hello["epoch"], "the resume reached the other sidecar"
                    got = await recv_until(again, lambda m: m.get("data", {}).get("n") == round_ * 2 + 1)
                    assert [m["type"] for m in got].count("stream.gap") == 0
                    assert [m["seq"] for m in got] == list(range(seen["seq"] + 1, seen["seq"] + 1 + len(got)))
                    seen = got[-1]
            await ws.close()

    asyncio.run(scenario())


def test_a_killed_sidecar_leaves_the_other_streaming_and_its_clients_resume_with_a_gap(pair, api_key, db):
    strategy = unique_strategy("kill")
    path = f"/ws/trades?strategy={strategy}"

    async def scenario():
        clients = await open_on_both(pair.ws_url, path, api_key)
        doomed_ws, doomed_hello = clients["1"]
        survivor_ws, survivor_hello = clients["2"]
        await notify(db, event("trade.before", strategy))
        last_doomed = await recv_json(doomed_ws)
        assert (await recv_json(survivor_ws))["type"] == "trade.before"

        pair.kill(1)
        # The killed sidecar's client sees its connection end (nginx closes the client side).
        with pytest.raises(ConnectionClosed):
            await recv_json(doomed_ws, timeout=10)
        # The survivor's clients go on: in order, no gap.
        for n in range(5):
            await notify(db, event("trade.after", strategy, n=n))
        got = [await recv_json(survivor_ws) for _ in range(5)]
        assert [m["data"]["n"] for m in got] == list(range(5))
        assert [m["seq"] for m in got] == [got[0]["seq"] + i for i in range(5)]

        # The killed one's client resumes with its epoch: nginx tries sidecar 1, falls back to 2, which has
        # never issued that epoch, so the client learns it must refetch; then it is live on sidecar 2.
        query = f"{path}&since={last_doomed['seq']}&epoch={doomed_hello['epoch']}"
        async with connect(pair.ws_url, query, api_key) as resumed:
            hello = await recv_connected(resumed)
            assert sidecar_of(hello) == "2"
            gap = await recv_json(resumed)
            assert gap["type"] == "stream.gap" and gap["epoch"] == survivor_hello["epoch"]
            await notify(db, event("trade.live", strategy))
            live = await recv_json(resumed)
            assert live["type"] == "trade.live" and live["seq"] == gap["seq"] + 1
            assert (await recv_json(survivor_ws))["seq"] == live["seq"]
        await survivor_ws.close()

    try:
        asyncio.run(scenario())
    finally:
        pair.start(1)


def _unused_port() -> int:
    """A port the kernel says is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
