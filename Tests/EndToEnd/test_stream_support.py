"""Helpers of the stream tests (test_stream_*.py): WebSocket clients through nginx, raw handshakes, NOTIFY.

No tests here. Every stream test narrows its client with `?strategy=<unique>` so that other traffic (another
test's events, deploy/demo-events if it runs) can never confuse it. Every text frame read through these helpers
(recv_json and those built on it, FrameReader, SseReader) is checked against the messages asyncapi.yaml lets the
server send on its path (test_asyncapi_support.check_frame).
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import socket
import struct
import time
import urllib.parse
import uuid
import weakref

import requests
import websockets
from websockets.asyncio.client import connect as ws_connect

from test_asyncapi_support import check_frame

RECV_TIMEOUT = 30.0  # a hang guard, not a speed bound: a busy machine may take seconds


def unique_strategy(prefix: str = "st") -> str:
    """A strategy name no other test uses (valid per docs/CONTRACT.md: [A-Za-z0-9_.:-]{1,64})."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def connect(ws_url: str, path: str, api_key: str | None, header: bool = True, **kwargs):
    """An asyncio WebSocket connection through nginx (key in X-API-Key, or none)."""
    headers = {"X-API-Key": api_key} if api_key and header else None
    kwargs.setdefault("open_timeout", 10)
    kwargs.setdefault("max_size", 2 ** 20)
    return ws_connect(ws_url + path, additional_headers=headers, **kwargs)


async def recv_json(ws, timeout: float = RECV_TIMEOUT) -> dict:
    """The next message, after checking it against asyncapi.yaml's messages for the path the socket was opened on."""
    text = await asyncio.wait_for(ws.recv(), timeout)
    check_frame(ws.request.path, text)
    return json.loads(text)


async def recv_connected(ws) -> dict:
    first = await recv_json(ws)
    assert first["type"] == "connected", first
    return first


async def recv_until(ws, done, timeout: float = RECV_TIMEOUT) -> list[dict]:
    """Messages up to and including the first for which done(message) is true."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        message = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        out.append(message)
        if done(message):
            return out


async def assert_silent(ws, seconds: float = 0.5) -> None:
    """Nothing arrives within `seconds`."""
    try:
        message = await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected message: {message}")


def event(event_type: str, strategy: str | None, **data) -> dict:
    if strategy is not None:
        data["strategy"] = strategy
    return {"type": event_type, "data": data, "timestamp": "2024-01-15T10:31:00Z"}


async def notify(db, payload) -> None:
    """NOTIFY from a second connection (the test's owner connection), off the event loop."""
    await asyncio.to_thread(db.notify, payload)


def health(base_url: str) -> requests.Response:
    return requests.get(base_url + "/stream/health", timeout=5)


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


# -- raw sockets: for what a WebSocket library hides (refusals before the upgrade, pings, not reading) ---------

# The path each raw handshake asked for, so FrameReader checks text frames against that path's messages.
_handshake_paths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def raw_handshake(ws_url: str, path: str, headers: dict[str, str] | None = None, rcvbuf: int | None = None,
                  timeout: float = 10.0, source: str | None = None):
    """Sends an upgrade request through nginx (from the local address `source` if given, for per-address limits);
    returns (socket, status, headers, body-or-leftover bytes).

    For a 101 the returned bytes are whatever followed the response head (the start of the frame stream)."""
    parsed = urllib.parse.urlsplit(ws_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        sock.bind((source, 0))
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((parsed.hostname, parsed.port or 80))
    _handshake_paths[sock] = path
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {parsed.hostname}:{parsed.port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    response_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers[name.strip().lower()] = value.strip()
    if status != 101:
        length = int(response_headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return sock, status, response_headers, rest


class FrameReader:
    """Reads server frames (unmasked) from a raw socket; `pending` holds bytes read but not yet parsed.
    Whole text frames are checked against asyncapi.yaml for the path `raw_handshake` opened the socket on."""

    def __init__(self, sock: socket.socket, pending: bytes = b""):
        self.sock = sock
        self.pending = pending
        self.path = _handshake_paths.get(sock)

    def _need(self, count: int) -> bool:
        while len(self.pending) < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return False
            self.pending += chunk
        return True

    def next(self):
        """(opcode, payload) or None at EOF."""
        if not self._need(2):
            return None
        first, second = self.pending[0], self.pending[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            if not self._need(4):
                return None
            length, offset = struct.unpack(">H", self.pending[2:4])[0], 4
        elif length == 127:
            if not self._need(10):
                return None
            length, offset = struct.unpack(">Q", self.pending[2:10])[0], 10
        if not self._need(offset + length):
            return None
        payload = self.pending[offset:offset + length]
        self.pending = self.pending[offset + length:]
        if first & 0x8F == 0x81 and self.path:  # a whole (FIN) text frame
            check_frame(self.path, payload)
        return first & 0x0F, payload


# -- Server-Sent Events: a plain HTTP/1.1 response parsed by the HTML standard's event-stream rules ---------------

class SseReader:
    """One SSE response through nginx (http.client undoes the chunked encoding). `status`, `headers` and, for a
    refusal, `body` (JSON); then `next()` gives each message as a dict {id, event, data, json}, checking its data and
    id against asyncapi.yaml for the path. Fields seen are kept in order in `fields` (("retry", "2000"), ("comment",
    " keep-alive"), ...), so a test can see what came before a message."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str] | None = None, source: str | None = None,
                 timeout: float = 10.0):
        parsed = urllib.parse.urlsplit(base_url)
        self.path = path
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout,
                                               source_address=(source, 0) if source else None)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = {name.lower(): value for name, value in self.response.getheaders()}
        self.body = self.response.read() if self.status != 200 else b""
        self.fields: list[tuple[str, str]] = []
        self.last_event_id = ""

    def next(self) -> dict | None:
        """The next message (comments and `retry:` are recorded in `fields`, not returned); None at the end."""
        message = {"id": None, "event": None, "data": None}
        while True:
            raw = self.response.readline()
            if not raw:
                return None
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if message["data"] is None:
                    continue  # a blank line with no data dispatches nothing
                message["id"] = self.last_event_id
                message["json"] = check_frame(self.path, message["data"], sse_id=message["id"])
                return message
            if line.startswith(":"):
                self.fields.append(("comment", line[1:]))
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            self.fields.append((name, value))
            if name == "data":
                message["data"] = value if message["data"] is None else message["data"] + "\n" + value
            elif name == "id":
                self.last_event_id = value
            elif name == "event":
                message["event"] = value

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A masked client frame (RFC 6455 requires clients to mask)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def close_code(payload: bytes) -> tuple[int, str]:
    return struct.unpack(">H", payload[:2])[0], payload[2:].decode()


__all__ = ["websockets"]
