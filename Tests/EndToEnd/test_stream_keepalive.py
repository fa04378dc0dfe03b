"""The server pings idle clients and drops those that stop answering.

On a sidecar that pings every 2 s and drops after 5 s, behind an nginx of its own (conftest.py's fast_ping_url): the
suite's sidecar keeps the defaults (30 s / 75 s), because a tight ping would also drop the clients that other tests
keep from reading on purpose (slow consumers, stalled replays) before the bound they test is reached."""

from __future__ import annotations

import time

import pytest

from test_stream_support import FrameReader, client_frame, close_code, raw_handshake, unique_strategy

PING, PONG, CLOSE, TEXT = 0x9, 0xA, 0x8, 0x1


@pytest.fixture(scope="module")
def ws_url(fast_ping_url):
    return "ws" + fast_ping_url[len("http"):]


def test_idle_client_is_pinged_and_kept_while_it_answers(ws_url, api_key):
    sock, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={unique_strategy()}", {"X-API-Key": api_key})
    try:
        assert status == 101
        reader = FrameReader(sock, rest)
        assert reader.next()[0] == TEXT  # connected
        # Four pings answered: at one per 2 s that spans past the 5 s timeout, so answering is what keeps us in.
        # Counted, not timed: a busy machine spaces them out, which only makes the point stronger.
        pings = 0
        while pings < 4:
            frame = reader.next()
            assert frame is not None and frame[0] != CLOSE, frame
            if frame[0] == PING:
                pings += 1
                sock.sendall(client_frame(PONG, frame[1]))
    finally:
        sock.close()


def test_client_that_stops_answering_pings_is_dropped(ws_url, api_key):
    sock, status, _, rest = raw_handshake(ws_url, f"/ws?strategy={unique_strategy()}", {"X-API-Key": api_key},
                                          timeout=60)
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
        # Not before the timeout (5 s): a lower bound, which a busy machine only helps. How late after it the drop
        # comes is no concern of this test (the socket's own timeout, 60 s, is the bound for "never").
        assert elapsed >= 4, elapsed
    finally:
        sock.close()
