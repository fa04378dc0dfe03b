"""Errors: the order of checks (path → method → auth → parameters → database), the JSON error shape and
Content-Type on every error, exact path matching, and no SQL text or stack trace in any error body."""

import pytest

from test_rest_support import assert_error, assert_no_leak, data, q, rest, table_counts  # noqa: F401 (fixtures)

UNKNOWN_PATHS = ["/nope", "/positions/", "/Positions", "/POSITIONS", "/signals", "/signals/", "/signals/recent/",
                 "/signals/recent/1", "/signals/other", "/metrics", "/metrics/a/b", "/pdt", "/pdt/status/",
                 "/strategies/", "/strategies/x", "/health/", "/positions.json", "/positions;x", "/api/positions",
                 "/index.php", "/.env", "/%70ositions", "/positions%2F"]

METHODS = ["POST", "PUT", "DELETE", "PATCH"]
ROUTES = ["/health", "/positions", "/signals/recent", "/signals/proposed", "/metrics/momentum", "/pdt/status",
          "/strategies"]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_path_is_404_json(rest, path):
    assert_error(rest.get(path), 404, "not_found")
    assert_error(rest.get(path, key=None), 404, "not_found")  # 404 comes before auth


@pytest.mark.parametrize("path", UNKNOWN_PATHS[:6])
def test_unknown_path_head_is_404_without_body(rest, path):
    assert_error(rest.head(path), 404, "not_found")


def test_unknown_path_comes_before_method(rest):
    assert_error(rest.request("POST", "/nope", key=None), 404, "not_found")
    assert_error(rest.request("DELETE", "/positions/", key=None), 404, "not_found")


def test_unknown_path_with_a_body_is_still_404(rest):
    assert_error(rest.request("POST", "/nope", key=None, body=b'{"a": 1}'), 404, "not_found")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ROUTES)
def test_other_methods_are_405_before_auth(rest, method, path):
    assert_error(rest.request(method, path, key=None), 405, "method_not_allowed")
    assert_error(rest.request(method, path, key="wrong"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ROUTES)
def test_post_with_a_body_is_405_not_413(rest, path):
    body = b'{"strategy": "x", "symbol": "AAPL", "action": "buy"}' * 100
    assert_error(rest.request("POST", path, body=body), 405, "method_not_allowed")
    assert_error(rest.request("PUT", path + "?limit=abc", key=None, body=b"{}"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/positions", "/health"])
def test_options_without_preflight_headers_is_405(rest, path):
    assert_error(rest.request("OPTIONS", path), 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "MKCOL", "FOO", "GE_T", "X-Y"])
def test_unusual_methods_are_405_method_not_allowed(rest, method):
    """Any well-formed method but GET/HEAD (and an OPTIONS preflight) is 405, TRACE and CONNECT included
    (nginx refuses those two itself, through the same error page)."""
    reply = rest.request(method, "/positions")
    assert_error(reply, 405, "method_not_allowed")
    assert reply.header("Allow") == "GET, HEAD, OPTIONS", reply


@pytest.mark.parametrize("method", ["get", "Get", "G@T", "GET/1"])
def test_malformed_method_token_is_400_bad_request(rest, method):
    """nginx's request-line parser accepts only A-Z, `_` and `-` in a method, so `get` (methods are
    case-sensitive: it is not GET) or `G@T` is refused 400 while the request line is read, before any of our
    config (methods.conf, the route map) can act. errors.conf still turns it into the JSON bad_request error."""
    reply = rest.request(method, "/positions")
    assert_error(reply, 400, "bad_request")


def test_auth_comes_before_parameters(rest):
    bad = q("/signals/recent", limit="abc")
    assert_error(rest.get(bad, key=None), 401, "missing_api_key")
    assert_error(rest.get(bad, key="wrong"), 403, "invalid_api_key")
    assert_error(rest.get(bad), 400, "invalid_parameter", names="limit")
    assert_error(rest.get("/metrics/%27x", key=None), 401, "missing_api_key")
    assert_error(rest.get("/metrics/%27x", key="wrong"), 403, "invalid_api_key")
    assert_error(rest.get("/metrics/%27x"), 400, "invalid_parameter", names="strategy")


def test_parameter_message_names_the_parameter(rest):
    for target, name in ((q("/signals/recent", limit="0"), "limit"), (q("/signals/recent", before_id="x"), "before_id"),
                         (q("/signals/recent", action="x"), "action"), (q("/positions", symbol="%"), "symbol"),
                         (q("/positions", strategy="a" * 65), "strategy"), (q("/metrics/x", date="2024-02-30"), "date")):
        assert_error(rest.get(target), 400, "invalid_parameter", names=name)


def test_error_bodies_are_plain_json_objects(rest):
    reply = rest.get("/nope")
    assert reply.body.strip().startswith(b"{") and reply.body.strip().endswith(b"}")
    assert reply.header("Content-Type").split(";")[0].strip() == "application/json"


def test_no_sql_or_stack_trace_in_any_error(rest, db, data):
    data.sentinels()
    before = table_counts(db)
    targets = [
        (None, "/positions"), ("wrong", "/positions"), ("", "/signals/recent"),
        (True, q("/signals/recent", limit="abc")), (True, q("/signals/recent", before_id="99999999999999999999")),
        (True, q("/signals/recent", strategy="'; SELECT pg_sleep(10);--")), (True, q("/metrics/x", date="2024-13-45")),
        (True, "/metrics/%27%22%5C"), (True, "/nope"), (True, "/positions/"), (True, q("/signals/proposed", action="'")),
        (True, q("/signals/recent", symbol="\\")), (True, q("/signals/recent", strategy="\x01")),
    ]
    for key, target in targets:
        reply = rest.get(target) if key is True else rest.get(target, key=key)
        # A 4xx: refused before any query. Had the pg_sleep(10) run, the statement timeout (5 s) would have made it
        # a 503; so the status, not a stopwatch, says it never ran.
        assert 400 <= reply.status < 500, reply
        assert_error(reply, reply.status, {"missing_api_key", "invalid_api_key", "invalid_parameter", "not_found",
                                           "bad_request"})
    assert table_counts(db) == before


def test_huge_uri_and_headers_get_json_errors(rest):
    reply = rest.get("/signals/recent?strategy=" + "a" * 20000)
    assert reply.status in (400, 414), reply
    assert_error(reply, reply.status, {"invalid_parameter", "uri_too_long", "bad_request"})
    reply = rest.get("/positions", headers={"X-Junk": "j" * 70000})
    assert reply.status in (400, 431, 494), reply
    assert_error(reply, reply.status, {"headers_too_large", "bad_request"})
