"""asyncapi.yaml: it validates as AsyncAPI 3.0 (asyncapi3's models: strict, every object of the 3.0 specification
and its WebSocket and HTTP bindings), every reference resolves, every schema is a valid draft-07 schema and every
example fits it; it names every stream path, parameter, header and message docs/CONTRACT.md names; and nginx serves
the repository's file at /asyncapi.yaml. That the frames the server really sends fit it is checked by every stream
test (test_stream_support.py's receive helpers call test_asyncapi_support.check_frame)."""

from __future__ import annotations

import asyncio
import copy
import warnings

import pydantic
import pytest
import requests
from jsonschema import Draft7Validator

from test_asyncapi_support import CONTROL_TYPES, SPEC_PATH, check_frame, deref, inline, server_messages, spec
from test_stream_support import connect, health, recv_connected, unique_strategy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # asyncapi3's models shadow pydantic's `schema` attribute, by design
    from asyncapi3 import AsyncAPI3

WS_PATHS = ("/ws", "/ws/signals", "/ws/trades")
SSE_PATHS = ("/sse", "/sse/signals", "/sse/trades")
QUERY_PARAMETERS = {"strategy", "since", "epoch", "api_key"}


def _channel(address: str) -> dict:
    return next(c for c in spec()["channels"].values() if c["address"] == address)


def _refs(node, at="#"):
    """Every ($ref, where) in the document."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"], at
        for key, value in node.items():
            yield from _refs(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _refs(item, f"{at}/{i}")


def _messages() -> dict[str, dict]:
    return spec()["components"]["messages"]


# -- the document ---------------------------------------------------------------------------------------------------

def test_document_validates_as_asyncapi_3_0():
    assert spec()["asyncapi"] == "3.0.0"
    AsyncAPI3.model_validate(copy.deepcopy(spec()))


def test_the_validator_refuses_a_document_off_the_specification():
    """The validator is not a rubber stamp: a misspelt field, an unknown action or a missing channel fails it."""
    for break_it in (lambda d: d["channels"]["ws"].update(adress="/ws"),
                     lambda d: d["operations"]["sendWs"].update(action="publish"),
                     lambda d: d["operations"]["sendSse"].pop("channel"),
                     lambda d: d["components"]["securitySchemes"]["apiKeyQuery"].update({"in": "body"})):
        broken = copy.deepcopy(spec())
        break_it(broken)
        with pytest.raises(pydantic.ValidationError):
            AsyncAPI3.model_validate(broken)


def test_every_reference_resolves():
    for ref, at in _refs(spec()):
        assert ref.startswith("#/"), (at, ref)
        try:
            deref({"$ref": ref})
        except (KeyError, TypeError, IndexError):
            pytest.fail(f"{at}: $ref {ref} names nothing")


def _schemas():
    """(where, schema) of every schema in the document: components, payloads, headers, binding queries."""
    for name, schema in spec()["components"]["schemas"].items():
        yield f"schemas/{name}", schema
    for name, message in _messages().items():
        yield f"messages/{name}/payload", message["payload"]
    for name, trait in spec()["components"]["messageTraits"].items():
        yield f"messageTraits/{name}/headers", trait["headers"]
    ws = spec()["components"]["channelBindings"]["webSocketUpgrade"]["ws"]
    yield "channelBindings/ws/query", ws["query"]
    yield "channelBindings/ws/headers", ws["headers"]
    yield "operationBindings/http/query", spec()["components"]["operationBindings"]["sseRequest"]["http"]["query"]
    for name, channel in spec()["channels"].items():
        if "x-request-headers" in channel:
            yield f"channels/{name}/x-request-headers", channel["x-request-headers"]


def test_every_schema_is_a_valid_draft_07_schema():
    for where, schema in _schemas():
        try:
            Draft7Validator.check_schema(inline(schema))
        except Exception as error:  # noqa: BLE001 - the message names the schema
            pytest.fail(f"{where}: {error}")


def test_every_example_fits_its_message():
    for name, message in _messages().items():
        assert message.get("examples"), f"message {name} has no example"
        payload = Draft7Validator(inline(message["payload"]))
        headers = [deref(t)["headers"] for t in message.get("traits", [])]
        for example in message["examples"]:
            assert not list(payload.iter_errors(example["payload"])), (name, example)
            for schema in headers:
                assert not list(Draft7Validator(inline(schema)).iter_errors(example["headers"])), (name, example)


# -- what the contract names ----------------------------------------------------------------------------------------

def test_channels_are_the_six_stream_paths_on_their_transports():
    addresses = {c["address"]: c for c in spec()["channels"].values()}
    assert set(addresses) == set(WS_PATHS) | set(SSE_PATHS)
    for path in WS_PATHS:
        assert {deref(s)["protocol"] for s in addresses[path]["servers"]} == {"ws", "wss"}, path
    for path in SSE_PATHS:
        assert {deref(s)["protocol"] for s in addresses[path]["servers"]} == {"http", "https"}, path
    https = [s for s in spec()["servers"].values() if s["protocol"] == "https"]
    assert [s["protocolVersion"] for s in https] == ["2"], "SSE on the TLS port is HTTP/2"


def test_every_path_takes_strategy_since_epoch_and_api_key():
    for path in WS_PATHS:
        binding = deref(_channel(path)["bindings"])["ws"]
        assert binding["method"] == "GET"
        assert set(inline(binding["query"])["properties"]) == QUERY_PARAMETERS, path
        assert "X-API-Key" in inline(binding["headers"])["properties"], path
    for path in SSE_PATHS:
        operations = [o for o in spec()["operations"].values() if deref(o["channel"]) is _channel(path)]
        assert [o["action"] for o in operations] == ["send"], path
        binding = deref(operations[0]["bindings"])["http"]
        assert binding["method"] == "GET"
        assert set(inline(binding["query"])["properties"]) == QUERY_PARAMETERS, path
        headers = inline(_channel(path)["x-request-headers"])["properties"]
        assert {"X-API-Key", "Last-Event-ID"} <= set(headers), path
        last_event_id = Draft7Validator(headers["Last-Event-ID"])
        assert last_event_id.is_valid("1-3f9a0c4d5e6b7a81:42") and not last_event_id.is_valid("42"), path
    strategy = Draft7Validator(inline(spec()["components"]["schemas"]["StreamQuery"])["properties"]["strategy"])
    assert strategy.is_valid("momentum_v2") and not strategy.is_valid("a b") and not strategy.is_valid("x" * 65)


def test_auth_is_the_key_in_x_api_key_or_api_key_on_every_server():
    schemes = spec()["components"]["securitySchemes"]
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values()} == {
        ("httpApiKey", "header", "X-API-Key"), ("httpApiKey", "query", "api_key")}
    for name, server in spec()["servers"].items():
        assert {id(deref(s)) for s in server["security"]} == {id(s) for s in schemes.values()}, name


@pytest.mark.parametrize("path", WS_PATHS + SSE_PATHS)
def test_every_path_sends_connected_gap_resumed_and_events(path):
    names = set(server_messages(path))
    ws = path.startswith("/ws")
    assert names == {"connected", "stream.gap", "stream.resumed", "event"} | ({"pong"} if ws else set())
    for name, check in server_messages(path).items():
        assert (check.headers is None) == ws, f"{path} {name}: SSE messages, and only they, carry the id field"


@pytest.mark.parametrize("path", WS_PATHS)
def test_a_websocket_ping_text_frame_is_answered_pong(path):
    replies = [o for o in spec()["operations"].values()
               if deref(o["channel"]) is _channel(path) and o["action"] == "receive"]
    assert len(replies) == 1, path
    assert [deref(m)["payload"] for m in replies[0]["messages"]] == [{"$ref": "#/components/schemas/Ping"}]
    assert [deref(m)["name"] for m in deref(replies[0]["reply"])["messages"]] == ["pong"]
    assert check_frame(path, "pong") == "pong"


def test_each_message_fits_only_its_own_schema():
    """check_frame picks a message by `type`; that is sound only if no frame fits two messages of a channel."""
    for path in WS_PATHS + SSE_PATHS:
        checks = server_messages(path)
        for name, message in _messages().items():
            for example in message["examples"]:
                fits = [n for n, c in checks.items() if c.payload.is_valid(example["payload"])]
                assert len(fits) <= 1, (path, name, fits)


@pytest.mark.parametrize("path,accepted,refused", [
    ("/ws", ["signal.generated", "trade.executed", "custom.thing"], []),
    ("/ws/signals", ["signal.", "signal.generated"], ["trade.executed", "position.opened", "signalx"]),
    ("/ws/trades", ["position.opened", "trade.x", "order.filled", "pdt.used"], ["signal.generated", "tradex"]),
    ("/sse/signals", ["signal.generated"], ["order.filled"]),
    ("/sse/trades", ["order.filled"], ["signal.generated"]),
])
def test_event_types_follow_the_paths_filter(path, accepted, refused):
    event = server_messages(path)["event"].payload
    for kind in accepted:
        assert event.is_valid({"type": kind, "seq": 1, "data": {}}), (path, kind)
    for kind in refused + list(CONTROL_TYPES):
        assert not event.is_valid({"type": kind, "seq": 1, "data": {}}), (path, kind)


def test_the_event_envelope_is_type_and_seq_with_engine_fields_kept():
    event = server_messages("/ws")["event"].payload
    engine = {"type": "trade.executed", "data": {"strategy": "m"}, "timestamp": "2024-01-15T10:31:00Z"}
    assert event.is_valid({**engine, "seq": 7, "engine_extra": [1, 2]})
    assert not event.is_valid(engine), "seq is required"
    assert not event.is_valid({**engine, "seq": 0}), "seq counts from 1"
    assert not event.is_valid({"data": {}, "seq": 1}), "type is required"


def test_the_frame_check_refuses_frames_off_the_contract():
    """What every stream test relies on: check_frame fails a frame the contract does not allow."""
    connected = {"type": "connected", "stream": "all", "epoch": "1-3f9a0c4d5e6b7a81", "seq": 0,
                 "timestamp": "2024-01-15T10:31:00Z"}
    check_frame("/ws", connected)
    for path, frame in [("/ws", {**connected, "stream": "everything"}),
                        ("/ws", {k: v for k, v in connected.items() if k != "epoch"}),
                        ("/ws", {**connected, "timestamp": "2024-01-15 10:31:00"}),
                        ("/ws", {"type": "stream.resumed", "epoch": "1-3f9a0c4d5e6b7a81", "seq": 4,
                                 "timestamp": "2024-01-15T10:31:00Z"}),
                        ("/ws/signals", {"type": "trade.executed", "seq": 3}),
                        ("/ws", "ping"),
                        ("/sse", "pong")]:
        with pytest.raises(AssertionError):
            check_frame(path, frame)
    check_frame("/sse", connected | {"seq": 9}, sse_id="1-3f9a0c4d5e6b7a81:9")
    for sse_id in ("1-3f9a0c4d5e6b7a81:8", "9", "1-3f9a0c4d5e6b7a81"):
        with pytest.raises(AssertionError):
            check_frame("/sse", connected | {"seq": 9}, sse_id=sse_id)


def test_sse_framing_and_resume_are_described():
    description = _channel("/sse")["description"]
    for words in ("retry: 2000", "id: <epoch>:<seq>", "data:", "Last-Event-ID", "text/event-stream",
                  "no `event:` field", "comment line"):
        assert words in description, words
    info = spec()["info"]["description"]
    for words in ("Snapshot and stream without a hole", "/stream/health", "stream.gap", "Last-Event-ID",
                  "ELPYFI_PUBLIC_WS_PER_ADDRESS", "slow consumer"):
        assert words in info, words


# -- served by nginx ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["http", "tls"])
def test_asyncapi_yaml_is_served_with_the_files_bytes(base_url, tls_url, port):
    url = (base_url if port == "http" else tls_url) + "/asyncapi.yaml"
    resp = requests.get(url, verify=False, timeout=10)  # no key: like /openapi.yaml, it is public
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/yaml")
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.content == SPEC_PATH.read_bytes()


def test_asyncapi_yaml_answers_cors_and_refuses_other_methods(base_url):
    ok = requests.get(f"{base_url}/asyncapi.yaml", headers={"Origin": "http://localhost:3000"}, timeout=10)
    assert ok.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert requests.post(f"{base_url}/asyncapi.yaml", timeout=10).status_code == 405


def test_stream_health_reports_the_position_a_new_stream_starts_after(base_url, ws_url, api_key):
    """Step (1) of the contract's handshake: /stream/health's epoch and seq are the stream position."""
    before = health(base_url).json()
    assert before["epoch"] and isinstance(before["seq"], int), before

    async def hello():
        async with connect(ws_url, f"/ws?strategy={unique_strategy()}", api_key) as ws:
            return await recv_connected(ws)

    connected = asyncio.run(hello())
    after = health(base_url).json()
    assert connected["epoch"] == before["epoch"] == after["epoch"]
    assert before["seq"] <= connected["seq"] <= after["seq"]
