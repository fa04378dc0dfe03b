"""Conditional GET: strong ETag of the body + Cache-Control: no-cache on every 200; If-None-Match with the
exact tag, a list containing it, or * gives 304 without a body; a stale tag gets the new body; HEAD matches GET."""

import pytest

from test_rest_support import assert_error, assert_ok_json, data, q, rest  # noqa: F401 (fixtures)


@pytest.fixture
def target(data):
    """A keyed URL whose body only this test changes."""
    s = data.name()
    data.position(s, "AAA", quantity="1.50")
    return s, q("/positions", strategy=s)


def test_every_200_has_a_strong_etag_and_no_cache(rest, data):
    s = data.name()
    data.signal(s, action="proposed")
    for path in ("/health", "/positions", q("/signals/recent", strategy=s), q("/signals/proposed", strategy=s),
                 f"/metrics/{s}", "/pdt/status", "/strategies"):
        reply = rest.get(path)
        assert_ok_json(reply)  # checks ETag '"..."' (not W/) and Cache-Control: no-cache
        assert not reply.header("ETag").startswith("W/"), reply


def test_etag_is_stable_for_the_same_body_and_changes_with_it(rest, data, target):
    s, url = target
    first, second = rest.get(url), rest.get(url)
    assert first.body == second.body and first.header("ETag") == second.header("ETag")
    data.position(s, "BBB")
    third = rest.get(url)
    assert third.body != first.body and third.header("ETag") != first.header("ETag")
    # Same body under another URL: the tag belongs to the body.
    other = rest.get(q("/positions", strategy=s, ignored="1"))
    assert other.body == third.body and other.header("ETag") == third.header("ETag")


def test_different_bodies_have_different_etags(rest, data):
    tags = {}
    for i in range(5):
        s = data.name()
        data.position(s, "X", quantity=str(i))
        reply = rest.get(q("/positions", strategy=s))
        tags[reply.header("ETag")] = reply.body
    assert len(tags) == 5


def _assert_304(reply, etag=None):
    assert reply.status == 304, reply
    assert reply.body == b"", reply
    if etag is not None and reply.header("ETag") is not None:
        assert reply.header("ETag") == etag, reply


def test_if_none_match_exact_is_304_without_body(rest, target):
    _, url = target
    etag = rest.get(url).header("ETag")
    _assert_304(rest.get(url, headers={"If-None-Match": etag}), etag)


def test_if_none_match_list_containing_the_tag_is_304(rest, target):
    _, url = target
    etag = rest.get(url).header("ETag")
    for value in (f'"nope", {etag}', f'{etag}, "nope"', f'"a","b",{etag}', f'"a" , {etag} , "c"'):
        _assert_304(rest.get(url, headers={"If-None-Match": value}), etag)


def test_if_none_match_star_is_304(rest, target):
    _, url = target
    _assert_304(rest.get(url, headers={"If-None-Match": "*"}))


def test_stale_or_foreign_etag_gets_the_new_body(rest, data, target):
    s, url = target
    old = rest.get(url)
    data.position(s, "CCC")
    for value in (old.header("ETag"), '"nope"', '"a", "b"', ""):
        reply = rest.get(url, headers={"If-None-Match": value})
        assert_ok_json(reply)
        assert len(reply.json()) == 2 and reply.header("ETag") != old.header("ETag")


def test_304_on_public_and_other_endpoints(rest, data):
    s = data.name()
    data.signal(s)
    data.metrics(s, data.today())
    for url in ("/health", q("/signals/recent", strategy=s), f"/metrics/{s}", "/pdt/status", "/strategies"):
        etag = rest.get(url).header("ETag")
        _assert_304(rest.get(url, headers={"If-None-Match": etag}), etag)


def test_head_has_the_get_headers_and_no_body(rest, target):
    _, url = target
    got, head = rest.get(url), rest.head(url)
    assert head.status == 200 and head.body == b""
    for name in ("ETag", "Cache-Control", "Content-Type"):
        assert head.header(name) == got.header(name), name
    if head.header("Content-Length") is not None:
        assert head.header("Content-Length") == str(len(got.body))
    _assert_304(rest.head(url, headers={"If-None-Match": got.header("ETag")}))


def test_conditional_request_still_needs_the_key(rest, target):
    _, url = target
    etag = rest.get(url).header("ETag")
    assert_error(rest.get(url, key=None, headers={"If-None-Match": etag}), 401, "missing_api_key")
    assert_error(rest.get(url, key=None, headers={"If-None-Match": "*"}), 401, "missing_api_key")
    assert_error(rest.get(url, key="wrong", headers={"If-None-Match": "*"}), 403, "invalid_api_key")
    assert_error(rest.get(q("/signals/recent", limit="0"), headers={"If-None-Match": "*"}), 400, "invalid_parameter")
