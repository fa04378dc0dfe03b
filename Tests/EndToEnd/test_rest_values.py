"""Values on the wire: exact numeric digits, NaN/Infinity as null, shortest doubles, RFC 3339 timestamps,
metadata as stored, RFC 8259 string escaping. Expectations come from the rows inserted (PostgreSQL's own
text form), and are checked on the raw JSON tokens, not on parsed floats."""

import math
import re

import pytest

from test_rest_support import Lit, assert_ok_json, data, q, rest  # noqa: F401 (fixtures)

NUMERIC_CASES = ["150.250", "0.00012345", "10", "-42.5", "0", "0.000", "12345678901234567890.123456789012",
                 "-0.0000000001", "1e3", "99999999999999999999999999999999999999"]


def _signal_rows(rest, strategy, **params):
    reply = rest.get(q("/signals/recent", strategy=strategy, limit="1000", **params))
    assert_ok_json(reply)
    return {int(r["id"]): r for r in reply.literal()}


def _sig_digits(token: str) -> str:
    """The significant digits of a decimal literal: '1e-07' -> '1', '0.30000000000000004' -> '30000000000000004'."""
    mantissa = re.split("[eE]", token.lstrip("-"))[0].replace(".", "")
    return mantissa.lstrip("0").rstrip("0") or "0"


@pytest.mark.parametrize("text", NUMERIC_CASES)
def test_numeric_columns_keep_postgres_digits(rest, data, db, text):
    s = data.name()
    data.position(s, "N", quantity=text, entry_price=text, current_price=text, unrealized_pl=text)
    stored = db.execute("SELECT %s::numeric::text", (text,)).fetchone()[0]  # e.g. '150.250', '1000'
    reply = rest.get(q("/positions", strategy=s))
    assert_ok_json(reply)
    (row,) = reply.literal()
    for column in ("quantity", "entry_price", "current_price", "unrealized_pl"):
        assert isinstance(row[column], Lit) and str(row[column]) == stored, (column, stored, reply)
    assert re.search(r'"quantity"\s*:\s*' + re.escape(stored) + r"\s*[,}]", reply.text), reply


def test_numeric_150_250_is_written_as_150_250(rest, data):
    s = data.name()
    data.position(s, "X", quantity="150.250", entry_price="0.00012345")
    text = rest.get(q("/positions", strategy=s)).text.replace(" ", "")
    assert '"quantity":150.250' in text and '"entry_price":0.00012345' in text, text


@pytest.mark.parametrize("special", ["NaN", "Infinity", "-Infinity"])
def test_numeric_nan_and_infinity_are_null(rest, data, db, special):
    if special != "NaN" and db.execute("SHOW server_version_num").fetchone()[0] < "140000":
        pytest.skip("numeric Infinity needs PostgreSQL 14+")
    s = data.name()
    data.position(s, "X", quantity=special, entry_price="1.5", current_price=special, unrealized_pl=special)
    data.metrics(s, data.today(), profit_loss=special, win_rate=float(special), sharpe_ratio=float(special),
                 max_drawdown=float(special))
    (row,) = assert_ok_json(rest.get(q("/positions", strategy=s)))
    assert (row["quantity"], row["entry_price"], row["current_price"], row["unrealized_pl"]) == (None, 1.5, None, None)
    body = assert_ok_json(rest.get(f"/metrics/{s}"))
    assert (body["profit_loss"], body["win_rate"], body["sharpe_ratio"], body["max_drawdown"]) == (None,) * 4


@pytest.mark.parametrize("special", ["NaN", "Infinity", "-Infinity"])
def test_double_nan_and_infinity_confidence_is_null(rest, data, special):
    s = data.name()
    sid = data.signal(s, confidence=float(special))
    assert _signal_rows(rest, s)[sid]["confidence"] is None


DOUBLES = [0.1, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 0.5, 1.0, 0.0, -0.75, 123456789.123, 1e21, 1e22, 1.5e-7, 1e-7,
           5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993.0, 100.0, 0.000123]


def test_double_is_shortest_round_trip(rest, data):
    s = data.name()
    ids = {data.signal(s, confidence=v): v for v in DOUBLES}
    rows = _signal_rows(rest, s)
    for sid, value in ids.items():
        token = rows[sid]["confidence"]
        assert isinstance(token, Lit), (value, token)
        assert float(token) == value, (value, token)
        assert _sig_digits(token) == _sig_digits(repr(value)), (value, token)
    # win_rate / sharpe_ratio / max_drawdown are double precision too
    data.metrics(s, "2024-03-01", win_rate=0.1 + 0.2, sharpe_ratio=1 / 3, max_drawdown=1e-7)
    reply = rest.get(q(f"/metrics/{s}", date="2024-03-01"))
    assert_ok_json(reply)
    body = reply.literal()
    for column, value in (("win_rate", 0.1 + 0.2), ("sharpe_ratio", 1 / 3), ("max_drawdown", 1e-7)):
        assert float(body[column]) == value and _sig_digits(body[column]) == _sig_digits(repr(value)), (column, body)


TIMESTAMPS = [
    ("2024-01-15 10:31:00+00", "2024-01-15T10:31:00Z"),
    ("2024-01-15 10:31:00.000+00", "2024-01-15T10:31:00Z"),
    ("2024-01-15 10:31:00.25+00", "2024-01-15T10:31:00.25Z"),
    ("2024-01-15 10:31:00.100+00", "2024-01-15T10:31:00.1Z"),
    ("2024-01-15 10:31:00.123456+00", "2024-01-15T10:31:00.123456Z"),
    ("2024-01-15 10:31:00.000001+00", "2024-01-15T10:31:00.000001Z"),
    ("2024-01-15 12:31:00+02", "2024-01-15T10:31:00Z"),
    ("2024-01-14 23:59:59.5-05:30", "2024-01-15T05:29:59.5Z"),
    ("2000-02-29 00:00:00+00", "2000-02-29T00:00:00Z"),
]


def test_timestamps_are_rfc3339_utc_with_fraction_only_when_stored(rest, data):
    s = data.name()
    ids = {data.signal(s, timestamp=stored): want for stored, want in TIMESTAMPS}
    rows = _signal_rows(rest, s)
    for sid, want in ids.items():
        assert rows[sid]["timestamp"] == want


def test_timestamps_in_proposed_view(rest, data, db):
    s = data.name()
    sid = data.signal(s, action="proposed")
    db.execute("UPDATE signals SET timestamp = date_trunc('second', now()) - interval '1 minute' + interval '0.5 s' "
               "WHERE id = %s", (sid,))
    want = db.execute("SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM signals "
                      "WHERE id = %s", (sid,)).fetchone()[0] + ".5Z"
    (row,) = assert_ok_json(rest.get(q("/signals/proposed", strategy=s)))
    assert row["timestamp"] == want


METADATA = [
    ('{"reason": "breakout", "levels": [1, 2.50, -3], "nested": {"ok": true, "none": null}}', None),
    ("[1, \"two\", {\"three\": 3}]", None),
    ("[]", None),
    ("{}", None),
    ("42", None),
    ("-1.250", None),
    ('"just a string"', None),
    ("true", None),
    ("null", None),
    (None, {}),
    ('{"quote": "a\\"b", "backslash": "c\\\\d", "ctl": "\\u0001\\n\\t", "uni": "é日本😀"}', None),
]


def test_metadata_is_the_stored_json_value_and_empty_object_for_null(rest, data, db):
    s = data.name()
    ids = {}
    for stored, want in METADATA:
        sid = data.signal(s, metadata=stored)
        if stored is not None:
            # The stored jsonb as PostgreSQL returns it, parsed: what the client must get back.
            want = db.execute("SELECT metadata FROM signals WHERE id = %s", (sid,)).fetchone()[0]
        ids[sid] = want
    reply = rest.get(q("/signals/recent", strategy=s, limit="100"))
    rows = {r["id"]: r for r in assert_ok_json(reply)}
    for sid, want in ids.items():
        assert rows[sid]["metadata"] == want, (sid, want, rows[sid])
    # numeric digits inside metadata are kept as stored too (jsonb keeps 2.50)
    assert re.search(r"2\.50\b", reply.text), reply


ODD_STRINGS = [
    'say "hi"',
    "back\\slash",
    "tab\tnew\nline\rcr",
    "".join(chr(c) for c in range(1, 32)) + "\x7f",
    "é ü ß 日本語 😀 \u2028\u2029",
    "</script><script>alert(1)</script>",
    "' OR 1=1--",
]


def test_strings_are_escaped_per_rfc8259_with_utf8_kept(rest, data):
    s = data.name()
    ids = {data.signal(s, symbol=text): text for text in ODD_STRINGS}
    reply = rest.get(q("/signals/recent", strategy=s))
    # json.loads is strict: a raw control character inside a string fails the parse
    rows = {r["id"]: r for r in assert_ok_json(reply)}
    for sid, text in ids.items():
        assert rows[sid]["symbol"] == text
    assert "é ü ß 日本語 😀".encode("utf-8") in reply.body, "non-ASCII must be kept as UTF-8, not \\u-escaped"


def test_description_strings_are_escaped_in_strategies(rest, data):
    name = data.name()
    description = 'line1\nline2 "quoted" \\ back \x01 ctl — ünïcödé'
    data.strategy(name, True, description)
    reply = rest.get("/strategies")
    by_name = {r["name"]: r for r in assert_ok_json(reply)}
    assert by_name[name]["description"] == description
    assert "— ünïcödé".encode("utf-8") in reply.body


def test_integers_are_plain_json_integers(rest, data):
    s = data.name()
    data.metrics(s, "2024-01-02", total_trades=2147483647, win_rate=1, profit_loss="0")
    reply = rest.get(q(f"/metrics/{s}", date="2024-01-02"))
    assert_ok_json(reply)
    body = reply.literal()
    assert body["total_trades"] == "2147483647"
    sid = data.signal(s)
    assert str(_signal_rows(rest, s)[sid]["id"]) == str(sid)
    assert math.isclose(float(body["win_rate"]), 1.0)
