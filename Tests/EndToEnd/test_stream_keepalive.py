"""The server pings idle clients and drops those that stop answering (test config: ping 2 s, timeout 5 s)."""

from __future__ import annotations

import time

from test_stream_support import FrameReader, client_frame, close_code, raw_handshake, unique_strategy

PING, PONG, CLOSE, TEXT = 0x9, 0xA, 0x8, 0x1


def test_idle_client_is_pinged_and_kept_while_it_answers(ws_url, api_key):
    sock, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={unique_strategy()}", {"X-API-Key": api_key})
    try:
        assert status == 101
        reader = FrameReader(sock, rest)
        assert reader.next()[0] == TEXT  # connected
        pings = 0
        deadline = time.monotonic() + 8  # past the 5 s timeout: answering keeps us in
        while time.monotonic() < deadline:
            frame = reader.next()
            assert frame is not None and frame[0] != CLOSE, frame
            if frame[0] == PING:
                pings += 1
                sock.sendall(client_frame(PONG, frame[1]))
        assert pings >= 2
    finally:
        sock.close()


def test_client_that_stops_answering_pings_is_dropped(ws_url, api_key):
    sock, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={unique_strategy()}", {"X-API-Key": api_key})
    try:
        assert status == 101
        reader = FrameReader(sock, rest)
        started = time.monotonic()
        saw = []
        while True:
            frame = reader.next()
            if frame is None:
                break
            saw.append(frame[0])
            if frame[0] == CLOSE:
                assert close_code(frame[1]) == (1008, "ping timeout")
                break
        elapsed = time.monotonic() - started
        assert PING in saw
        assert 4 <= elapsed <= 10, elapsed
    finally:
        sock.close()
