"""asyncapi.yaml as the stream tests use it: which messages the server may send on a path, and the check of one
received frame against them (called by the receive helpers of test_stream_support.py, so every stream test checks
every frame it reads). No tests here; test_asyncapi.py tests the document itself.

A frame fits when it validates against the payload schema of the message it claims to be (by `type`), among those an
operation of the path's channel sends (`action: send`) or replies with (`reply` of a `receive`, i.e. `pong`). An
SSE message's `id:` is checked against the message's headers schema (its `sseFraming` trait); it must end with the
payload's `seq`, and be the payload's `<epoch>:<seq>` for a control message.
"""

from __future__ import annotations

import functools
import json
import pathlib
import urllib.parse
from dataclasses import dataclass

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

SPEC_PATH = pathlib.Path(__file__).resolve().parents[2] / "asyncapi.yaml"
CONTROL_TYPES = ("connected", "stream.gap", "stream.resumed")


@functools.cache
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def deref(node, document: dict | None = None):
    """Follows local `$ref`s (`#/a/b`) until a node that is not a reference."""
    document = document or spec()
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def channel_for(address: str) -> tuple[str, dict]:
    """(name, channel) of the channel whose `address` is `address` (a path without its query)."""
    for name, channel in spec()["channels"].items():
        if channel["address"] == address:
            return name, channel
    raise AssertionError(f"asyncapi.yaml has no channel for {address}")


def inline(node):
    """`node` with every local `$ref` replaced by what it names (the schemas here have no cycles): a validator of the
    result resolves nothing per frame, which keeps the check cheap for the suite's bulk replays."""
    node = deref(node)
    if isinstance(node, dict):
        return {key: inline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item) for item in node]
    return node


def _schema_validator(schema: dict) -> Draft7Validator:
    """A draft-07 validator (AsyncAPI's default schema format) of `schema`, its refs inlined."""
    return Draft7Validator(inline(schema))


@dataclass(frozen=True)
class MessageCheck:
    name: str
    payload: Draft7Validator
    headers: Draft7Validator | None


def _headers_schema(message: dict) -> dict | None:
    """The message's headers schema, its own or its traits' (AsyncAPI 3 merges traits into the message)."""
    if "headers" in message:
        return message["headers"]
    for trait in message.get("traits", []):
        trait = deref(trait)
        if "headers" in trait:
            return trait["headers"]
    return None


@functools.cache
def server_messages(address: str) -> dict[str, MessageCheck]:
    """The messages the server may send on the channel at `address`, by name, with their compiled validators."""
    _, channel = channel_for(address)
    refs = []
    for operation in spec()["operations"].values():
        if deref(operation["channel"]) is not channel:
            continue
        if operation["action"] == "send":
            refs += operation.get("messages", [])
        elif "reply" in operation:
            refs += deref(operation["reply"]).get("messages", [])
    checks = {}
    for ref in refs:
        message = deref(ref)
        headers = _headers_schema(message)
        # Names are unique among a channel's sent messages (test_asyncapi.py checks it).
        checks.setdefault(message["name"], MessageCheck(message["name"], _schema_validator(message["payload"]),
                                                        _schema_validator(headers) if headers else None))
    assert checks, f"asyncapi.yaml: no operation sends on {address}"
    return checks


def _instance(frame):
    """A received frame as the schema sees it: parsed JSON, or the text itself when it is not JSON (`pong`)."""
    if isinstance(frame, (dict, list)):
        return frame
    text = frame.decode("utf-8") if isinstance(frame, (bytes, bytearray)) else frame
    try:
        return json.loads(text)
    except ValueError:
        return text


def _message_name(instance) -> str:
    """The name of the message a frame claims to be: its `type` for a control message, `event` for any other object,
    the text itself otherwise (`pong`). The schemas keep these disjoint (test_asyncapi.py checks it), so checking the
    claimed message alone is checking that exactly one fits."""
    if isinstance(instance, dict):
        return instance["type"] if instance.get("type") in CONTROL_TYPES else "event"
    return instance if isinstance(instance, str) else "event"


def check_frame(path: str, frame, sse_id: str | None = None):
    """Asserts that `frame` (text, bytes or parsed JSON), received on the stream at `path` (query allowed), fits the
    message asyncapi.yaml lets the server send there under its name; on SSE, that its `id:` fits too. Returns the
    parsed frame."""
    address = urllib.parse.urlsplit(path).path
    instance = _instance(frame)
    name = _message_name(instance)
    check = server_messages(address).get(name)
    assert check is not None, f"asyncapi.yaml: the server sends no {name!r} message on {address}: {instance!r}"
    if not check.payload.is_valid(instance):
        error = best_match(check.payload.iter_errors(instance))
        raise AssertionError(f"frame on {address} does not fit asyncapi.yaml's {name!r}: {error.message}: {instance!r}")
    if sse_id is not None:
        assert check.headers is not None, f"asyncapi.yaml: {name} on {address} has no SSE fields"
        error = best_match(check.headers.iter_errors({"id": sse_id}))
        assert error is None, f"SSE id {sse_id!r} of {instance!r}: {error.message}"
        if isinstance(instance, dict):
            # Every message's id ends with its seq; a control message's names its epoch too (an event's epoch is
            # the stream's, not in the payload).
            assert sse_id.rsplit(":", 1)[-1] == str(instance["seq"]), (sse_id, instance)
            if instance["type"] in CONTROL_TYPES:
                assert sse_id == f"{instance['epoch']}:{instance['seq']}", (sse_id, instance)
    return instance
