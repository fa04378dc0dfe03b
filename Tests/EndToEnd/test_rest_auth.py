"""X-API-Key auth through nginx: 401 for absent/empty/whitespace, 403 for anything else that does not match,
plaintext and hashed keys both accepted, the api_key query parameter ignored by REST, and no key in any log."""

import hashlib
import pathlib
import socket
import urllib.parse

import pytest

from test_rest_support import assert_error, assert_ok_json, data, q, rest  # noqa: F401 (fixtures)

KEYED = ["/positions", "/signals/recent", "/signals/proposed", "/metrics/momentum", "/pdt/status", "/strategies"]


@pytest.mark.parametrize("path", KEYED)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_absent_key_is_401_missing_api_key(rest, path, method):
    assert_error(rest.request(method, path, key=None), 401, "missing_api_key")


@pytest.mark.parametrize("path", KEYED)
@pytest.mark.parametrize("value", ["", " ", "   ", "\t", " \t "])
def test_empty_or_whitespace_key_is_401(rest, path, value):
    assert_error(rest.get(path, key=value), 401, "missing_api_key")


def _wrong_keys(key: str) -> list[str]:
    keys = ["wrong", "elpyfi_" + "A" * 43, key + "x", key[:-1], key[1:], key + "," + key, key + ", " + key,
            "x" * 10240, "Bearer " + key, hashlib.sha256(key.encode()).hexdigest(), "\u00e9" * 20]
    if key.swapcase() != key:
        keys += [key.swapcase(), key.upper() if key.upper() != key else key.lower()]
    return keys


@pytest.mark.parametrize("path", KEYED)
def test_wrong_key_is_403_invalid_api_key(rest, api_key, hashed_key, path):
    for wrong in _wrong_keys(api_key) + _wrong_keys(hashed_key):
        if wrong in (api_key, hashed_key):
            continue
        reply = rest.get(path, key=wrong)
        assert_error(reply, 403, "invalid_api_key")


@pytest.mark.parametrize("path", KEYED)
def test_plaintext_key_passes(rest, api_key, path):
    assert_ok_json(rest.get(path, key=api_key))


@pytest.mark.parametrize("path", KEYED)
def test_hashed_key_passes(rest, hashed_key, path):
    assert_ok_json(rest.get(path, key=hashed_key))


def _raw_get(base_url: str, path: str, header_lines: list[str]) -> tuple[int, bytes]:
    """One GET on a raw socket with exactly these header lines (http clients may merge repeated headers)."""
    u = urllib.parse.urlsplit(base_url)
    request = "".join(f"{line}\r\n" for line in [f"GET {path} HTTP/1.1", "Host: x", *header_lines,
                                                     "Connection: close"]) + "\r\n"
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(request.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize("path", ["/positions", "/metrics/momentum", "/strategies"])
@pytest.mark.parametrize("valid_first", [True, False], ids=["valid-then-junk", "junk-then-valid"])
def test_two_x_api_key_header_lines_are_403_whatever_the_order(base_url, api_key, path, valid_first):
    """Two X-API-Key lines are never "one of them matches": a proxy or client that appends a header must not turn
    a junk key into access, nor a valid one into a different answer depending on order. Both orders: 403."""
    keys = [api_key, "junk-" + "j" * 40]
    if not valid_first:
        keys.reverse()
    status, body = _raw_get(base_url, path, [f"X-API-Key: {k}" for k in keys])
    assert status == 403 and b'"invalid_api_key"' in body, (status, body[:300])


def test_configured_hash_is_not_itself_a_key(rest, hashed_key):
    assert_error(rest.get("/positions", key=hashlib.sha256(hashed_key.encode()).hexdigest()), 403, "invalid_api_key")


def test_surrounding_whitespace_is_stripped_by_http(rest, api_key):
    assert_ok_json(rest.get("/strategies", key=f"  {api_key}\t"))


def test_api_key_query_parameter_is_ignored_by_rest(rest, api_key):
    for path in KEYED:
        assert_error(rest.get(q(path, api_key=api_key), key=None), 401, "missing_api_key")
        assert_error(rest.get(q(path, api_key=api_key), key="wrong"), 403, "invalid_api_key")
        assert_ok_json(rest.get(q(path, api_key="wrong"), key=api_key))


@pytest.mark.parametrize("path", ["/health", "/openapi.yaml"])
def test_public_paths_need_no_key_and_ignore_a_wrong_one(rest, path):
    assert rest.get(path, key=None).status == 200
    assert rest.get(path, key="wrong").status == 200


def test_stream_health_needs_no_key(rest):
    reply = rest.get("/stream/health", key=None)
    assert reply.status not in (401, 403), reply


def _log_files(run_dir) -> list[pathlib.Path]:
    """Every log the harness keeps: nginx access/error logs, worker and sidecar stderr."""
    root = pathlib.Path(run_dir)
    found = []
    for p in root.rglob("*"):
        if not p.is_file() or p.stat().st_size > 200 * 1024 * 1024:
            continue
        # Logs only: the run dir also holds the harness's own config (stack.env), which has to contain the keys.
        if p.name.lower().endswith((".log", ".err", ".stderr")):
            found.append(p)
    return found


def test_keys_never_appear_in_logs(rest, api_key, hashed_key, run_dir, logs):
    # Make sure every kind of request that carries a key has happened at least once in this run.
    mark = logs.mark()
    answers = []
    for key in (api_key, hashed_key):
        answers += [
            rest.get("/positions", key=key),
            rest.get(q("/positions", limit="x"), key=key),  # an unknown parameter, 200
            rest.get(q("/signals/recent", limit="abc"), key=key),  # a 400
            rest.get("/nope", key=key),  # a 404
            rest.request("POST", "/positions", key=key, body=b"{}"),  # a 405 from nginx
            rest.get(q("/positions", api_key=key), key=None),  # key in the query string: 401
            rest.get(q("/ws", api_key=key), key=None),  # the WebSocket path, without an upgrade
        ]
    logs.logged(mark, answers)  # nginx's lines written (the workers write theirs before they answer)
    files = _log_files(run_dir)
    assert files, f"no log files found under {run_dir}"
    leaks = []
    for p in files:
        blob = p.read_bytes()
        for label, key in (("plaintext key", api_key), ("hashed key", hashed_key)):
            if key.encode() in blob:
                line = next(ln for ln in blob.splitlines() if key.encode() in ln)
                leaks.append(f"{label} in {p}: {line[:300]!r}")
    assert not leaks, "\n".join(leaks)
