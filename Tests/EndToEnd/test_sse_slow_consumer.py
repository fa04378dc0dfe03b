"""An SSE client that stops reading has its response ended (docs/CONTRACT.md "Server-Sent Events": the queue bound
ends the response; no close frame exists) and is counted with the slow consumers, by the same bound as a WebSocket's."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse

from test_stream_support import health, unique_strategy, wait_for


def _open_unread(base_url: str, path: str, api_key: str) -> tuple[socket.socket, bytes]:
    """A raw SSE request with a tiny receive buffer; returns the socket and the response head."""
    parsed = urllib.parse.urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((parsed.hostname, parsed.port))
    # Connection: close, so that the end of the response is the end of the connection (nginx would keep it).
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAccept: text/event-stream\r\n"
                 f"Connection: close\r\nX-API-Key: {api_key}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "no response head"
        data += chunk
    return sock, data.partition(b"\r\n\r\n")[0]


def test_a_client_that_stops_reading_has_its_response_ended(base_url, api_key, stack):
    flood = unique_strategy("sseflood")
    before = health(base_url).json()["slow_consumers_closed"]
    sock, head = _open_unread(base_url, f"/sse?strategy={flood}", api_key)
    stop = threading.Event()

    def flood_events():
        # 7 kB events only this client takes, in batches (each payload differs: PostgreSQL folds identical ones).
        payload = json.dumps({"type": "trade.executed", "data": {"strategy": flood, "n": "NNNN", "pad": "z" * 7000}})
        with stack.connect() as conn:
            sent = 0
            while not stop.is_set() and sent < 20000:
                conn.execute("SELECT pg_notify('trading_events', replace(%s, 'NNNN', g::text)) "
                             "FROM generate_series(1, 200) g", (payload,))
                sent += 200
                time.sleep(0.05)

    flooder = threading.Thread(target=flood_events, daemon=True)
    flooder.start()
    try:
        assert head.startswith(b"HTTP/1.1 200"), head
        wait_for(lambda: health(base_url).json()["slow_consumers_closed"] > before, 60, what="the slow SSE client closed")
    finally:
        stop.set()
        flooder.join(30)
    # Its response ends: what was queued drains, then the connection closes (no more events were sent to it).
    # (The sidecar cuts a connection that does not drain within its close grace anyway; this one drains at once.)
    sock.settimeout(30)
    drained = 0
    try:
        while chunk := sock.recv(1 << 16):
            drained += len(chunk)
    except TimeoutError:
        raise AssertionError(f"the response did not end ({drained} bytes read, then nothing)") from None
    finally:
        sock.close()
