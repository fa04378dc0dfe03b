"""Refusals happen before the upgrade: HTTP JSON errors, no 101, no socket opened; keys by header or ?api_key=."""

from __future__ import annotations

import asyncio

import pytest

from test_stream_support import connect, raw_handshake, recv_connected


def refusal(ws_url, path, headers=None):
    sock, status, response_headers, body = raw_handshake(ws_url, path, headers)
    sock.close()
    assert status != 101
    assert response_headers.get("content-type", "").startswith("application/json")
    return status, response_headers, body


@pytest.mark.parametrize("path", ["/ws", "/ws/signals", "/ws/trades"])
def test_missing_key_is_401_before_upgrade(ws_url, path):
    status, _, body = refusal(ws_url, path)
    assert status == 401
    assert b'"code":"missing_api_key"' in body


def test_wrong_key_is_403_before_upgrade(ws_url, api_key):
    for headers, path in (({"X-API-Key": "elpyfi_wrong"}, "/ws"), ({}, "/ws?api_key=elpyfi_wrong"),
                          ({"X-API-Key": api_key.upper()}, "/ws/trades")):
        status, _, body = refusal(ws_url, path, headers)
        assert status == 403, (headers, path)
        assert b'"code":"invalid_api_key"' in body


def test_bad_parameters_are_400_before_upgrade(ws_url, api_key):
    for query, name in (("strategy=bad%20name", "strategy"), ("strategy=" + "a" * 65, "strategy"),
                        ("since=5", "epoch"), ("epoch=abc", "since"), ("since=x1&epoch=abc", "since"),
                        ("strategy=a&strategy=b", "strategy"), ("since=&epoch=abc", "since"),
                        ("since=1&epoch=", "epoch"), ("since=1&since=2&epoch=abc", "since"),
                        ("since=-1&epoch=abc", "since")):
        status, _, body = refusal(ws_url, f"/ws?{query}", {"X-API-Key": api_key})
        assert status == 400, query
        assert b'"code":"invalid_parameter"' in body and name.encode() in body


def test_unknown_stream_path_is_404(ws_url, api_key):
    status, _, body = refusal(ws_url, "/ws/orders", {"X-API-Key": api_key})
    assert status == 404 and b'"code":"not_found"' in body


def test_key_by_query_parameter_and_by_hashed_key(ws_url, api_key, hashed_key):
    async def scenario():
        async with connect(ws_url, f"/ws/signals?api_key={api_key}", None) as ws:
            assert (await recv_connected(ws))["stream"] == "signals"
        if hashed_key:
            async with connect(ws_url, "/ws/trades", hashed_key) as ws:
                assert (await recv_connected(ws))["stream"] == "trades"

    asyncio.run(scenario())
