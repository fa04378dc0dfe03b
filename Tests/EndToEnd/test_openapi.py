"""openapi.yaml: it validates as OpenAPI 3.1, nginx serves exactly the repository's file, every path and
method in it answers through nginx with a documented status and a body that fits its schema, and a bounded
schemathesis run through nginx finds no 5xx and no schema violation."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from test_rest_support import assert_error, data, rest  # noqa: F401 (fixtures)

SPEC_PATH = pathlib.Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _schema_validator(spec: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for a schema of the spec whose #/components refs resolve in the spec."""
    return Draft202012Validator({**schema, "components": spec["components"]})


def _deref(spec: dict, node: dict) -> dict:
    """Follow a local $ref ('#/components/...') to the object it names."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


# nginx's own paths; every other path is the worker's and comes from its endpoint table.
NGINX_PATHS = {"/openapi.yaml", "/", "/stream/health"}


@pytest.fixture(scope="module")
def table() -> list[dict]:
    """The worker's endpoint table, as `elpyfi-fcgi routes --format json` prints it."""
    binary = os.environ.get("ELPYFI_TEST_FCGI_BIN", str(SPEC_PATH.parent / ".build" / "release" / "elpyfi-fcgi"))
    done = subprocess.run([binary, "routes", "--format", "json"], capture_output=True, text=True, check=True, timeout=10)
    return json.loads(done.stdout)


def test_spec_paths_are_the_endpoint_table_and_nginx_own(spec, table):
    assert set(spec["paths"]) == {e["path"] for e in table} | NGINX_PATHS
    assert spec["components"]["securitySchemes"]["ApiKey"] == {**spec["components"]["securitySchemes"]["ApiKey"],
                                                                "type": "apiKey", "in": "header", "name": "X-API-Key"}


def test_spec_parameters_and_key_match_the_endpoint_table(spec, table):
    for endpoint in table:
        for method in ("get", "head"):
            op = spec["paths"][endpoint["path"]][method]
            documented = sorted((_deref(spec, p)["name"], _deref(spec, p)["in"]) for p in op.get("parameters", []))
            assert documented == sorted((p["name"], p["in"]) for p in endpoint["parameters"]), (endpoint["path"], method)
            assert (op.get("security", spec["security"]) != []) == endpoint["api_key"], (endpoint["path"], method)


def _row_schema(spec: dict, schema: dict) -> dict:
    """The object schema of one row in a 200 body: an array's items, or the non-empty member of a oneOf."""
    schema = _deref(spec, schema)
    if schema.get("type") == "array":
        return _deref(spec, schema["items"])
    if "oneOf" in schema:
        return next(s for s in map(lambda x: _deref(spec, x), schema["oneOf"]) if s.get("properties"))
    return schema


def test_spec_fields_are_the_endpoint_table_columns_in_order(spec, table):
    for endpoint in (e for e in table if e["fields"]):
        ok = _deref(spec, spec["paths"][endpoint["path"]]["get"]["responses"]["200"])
        row = _row_schema(spec, ok["content"]["application/json"]["schema"])
        assert list(row["properties"]) == endpoint["fields"], endpoint["path"]
        assert row["required"] == endpoint["fields"], endpoint["path"]


def test_nginx_serves_the_repository_file(rest):
    reply = rest.get("/openapi.yaml", key=None)
    assert reply.status == 200, reply
    assert reply.header("Content-Type").split(";")[0].strip() == "application/yaml", reply
    assert reply.body == SPEC_PATH.read_bytes()
    etag = reply.header("ETag")
    if etag is not None:
        assert rest.get("/openapi.yaml", key=None, headers={"If-None-Match": etag}).status == 304


def _example_target(path: str, strategy: str) -> str:
    return re.sub(r"\{strategy\}", strategy, path)


def test_every_path_and_method_answers_as_documented(rest, spec, data):
    s = data.name()
    # Rows so that the 200 bodies are not all empty: every schema gets exercised with real values.
    data.position(s, "AAPL", quantity="150.250", entry_price="NaN")
    data.signal(s, "AAPL", "proposed", 0.1 + 0.2, None, '{"a": [1, 2.50]}')
    data.signal(s, "MSFT", "buy", float("nan"), "2024-01-15 10:31:00.5+00", None)
    data.metrics(s, data.today(), total_trades=3, win_rate=0.5, profit_loss="-1.50", sharpe_ratio=None)
    data.strategy(s, True, None)
    for path, item in spec["paths"].items():
        for method in (m for m in METHODS if m in item):
            op = item[method]
            target = _example_target(path, s)
            if method == "get" and any(_deref(spec, p)["name"] == "strategy" and _deref(spec, p)["in"] == "query"
                                       for p in op.get("parameters", [])):
                target += f"?strategy={s}"
            reply = rest.request(method.upper(), target)
            documented = {int(code) for code in op["responses"]}
            assert reply.status in documented, (method, path, reply)
            if path != "/":
                assert reply.status != 404, (method, path, reply)
            response = _deref(spec, op["responses"][str(reply.status)])
            for name, header in response.get("headers", {}).items():
                header = _deref(spec, header)
                value = reply.header(name)
                if header.get("required"):
                    assert value is not None, (name, method, path, reply)
                if value is not None:
                    errors = list(_schema_validator(spec, header["schema"]).iter_errors(value))
                    assert not errors, (name, value, errors[0].message)
            if method == "head":
                assert reply.body == b""
                continue
            ctype = (reply.header("Content-Type") or "").split(";")[0].strip()
            content = response.get("content", {})
            assert ctype in content, (method, path, ctype, reply)
            if ctype == "application/json":
                errors = list(_schema_validator(spec, content[ctype]["schema"]).iter_errors(reply.json()))
                assert not errors, (method, path, errors[0].message, reply)


def test_documented_errors_match_the_live_ones(rest, spec):
    """One live error of each kind validates against the schema the spec gives for it."""
    cases = [("/positions", None, 401), ("/positions", "wrong", 403), ("/signals/recent?limit=0", True, 400),
             ("/metrics/%27", True, 400)]
    for target, key, status in cases:
        reply = rest.get(target) if key is True else rest.get(target, key=key)
        assert_error(reply, status, {"missing_api_key", "invalid_api_key", "invalid_parameter"})
        path = target.split("?")[0]
        path = "/metrics/{strategy}" if path.startswith("/metrics/") else path
        schema = _deref(spec, spec["paths"][path]["get"]["responses"][str(status)])["content"]["application/json"]
        errors = list(_schema_validator(spec, schema["schema"]).iter_errors(reply.json()))
        assert not errors, (target, errors[0].message)


# ---------------------------------------------------------------------------------------------------------------
# schemathesis


def schemathesis_argv(schema_url: str, base_url: str, api_key: str, max_examples: int = 100) -> list[str]:
    """The `st run` command line. Every version-specific flag lives here (checked against schemathesis 4.32's
    `st run --help`; 3.x spelled them --base-url / --hypothesis-max-examples and had no --phases).
    About 1,200 requests, ~15 s on the test stack.

    Checks: no 5xx; every status, Content-Type, header and body as documented; and negative_data_rejection
    (a value outside a parameter's schema must be refused with 4xx: the patterns in openapi.yaml are the exact
    syntax the workers accept). Not used: positive_data_acceptance, because the before_id pattern admits 19-digit
    values above 2^63-1 (a regex for that bound would be unreadable; the description states it)."""
    import schemathesis

    checks = ",".join(["not_a_server_error", "status_code_conformance", "response_schema_conformance",
                       "content_type_conformance", "response_headers_conformance", "negative_data_rejection"])
    major = int(schemathesis.__version__.split(".")[0]) if hasattr(schemathesis, "__version__") else 4
    base = [sys.executable, "-m", "schemathesis.cli", "run", schema_url]
    if major >= 4:
        return base + [
            "--url", base_url,
            "--header", f"X-API-Key: {api_key}",
            "--checks", checks,
            "--max-examples", str(max_examples),
            "--phases", "examples,coverage,fuzzing",
            "--workers", "1",
            # Below the test config's 200 r/s per key, so the run is not mostly 429s (which are documented anyway).
            "--rate-limit", "150/s",
            "--seed", "20240115",
            "--generation-database", "none",
            "--request-timeout", "10",
            "--no-color",
        ]
    checks = "not_a_server_error,status_code_conformance,response_schema_conformance"
    return base + [
        "--base-url", base_url, "--header", f"X-API-Key: {api_key}", "--checks", checks,
        "--hypothesis-max-examples", str(max_examples), "--hypothesis-seed", "20240115", "--workers", "1",
        "--request-timeout", "10000", "--no-color",
    ]


def test_schemathesis_finds_no_server_error_or_schema_violation(base_url, api_key, tmp_path):
    argv = schemathesis_argv(f"{base_url.rstrip('/')}/openapi.yaml", base_url, api_key)
    try:
        # cwd: schemathesis keeps a `.schemathesis/` crash cache in the working directory; not in the repo.
        done = subprocess.run(argv, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis did not finish within 240 s:\n{(exc.stdout or '')[-4000:]}")
    output = (done.stdout + done.stderr).replace(api_key, "<api-key>")
    assert done.returncode == 0, output[-12000:]
