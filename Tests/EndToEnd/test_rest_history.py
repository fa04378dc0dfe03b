"""/metrics/{strategy}/history: daily rows oldest first, the from/to defaults and bounds, every error of the
contract, for rows this test inserted (the window's default end is the database's CURRENT_DATE)."""

import datetime

from test_rest_support import assert_error, assert_ok_json, data, q, rest  # noqa: F401 (fixtures)


def _day(text: str, delta: int) -> str:
    return str(datetime.date.fromisoformat(text) + datetime.timedelta(days=delta))


def test_default_window_is_the_last_30_days_oldest_first(rest, data):
    s = data.name()
    today = data.today()
    data.metrics(s, today, total_trades=3, win_rate=0.625, profit_loss="12.50", sharpe_ratio=1.25, max_drawdown=-0.1)
    data.metrics(s, _day(today, -29), total_trades=1, profit_loss="-4.000")
    data.metrics(s, _day(today, -30), total_trades=9)  # one day too old
    data.metrics(s, _day(today, -7), total_trades=2)
    data.metrics(s + "x", today)  # another strategy
    data.names.append(s + "x")
    reply = rest.get(f"/metrics/{s}/history")
    body = assert_ok_json(reply)
    assert [row["date"] for row in body] == [_day(today, -29), _day(today, -7), today]
    assert body[-1] == {"date": today, "total_trades": 3, "win_rate": 0.625, "profit_loss": 12.5, "sharpe_ratio": 1.25,
                        "max_drawdown": -0.1}
    assert '"profit_loss":-4.000' in reply.text  # numeric digits exactly as stored


def test_explicit_span_is_inclusive_and_days_without_a_row_are_absent(rest, data):
    s = data.name()
    for day in ("2024-02-27", "2024-02-29", "2024-03-02", "2024-03-03"):
        data.metrics(s, day)
    body = assert_ok_json(rest.get(q(f"/metrics/{s}/history", **{"from": "2024-02-28", "to": "2024-03-02"})))
    assert [row["date"] for row in body] == ["2024-02-29", "2024-03-02"]


def test_to_alone_sets_from_29_days_earlier(rest, data):
    s = data.name()
    data.metrics(s, "2024-01-01")  # to − 30: outside
    data.metrics(s, "2024-01-02")  # to − 29: inside
    data.metrics(s, "2024-01-31")
    body = assert_ok_json(rest.get(q(f"/metrics/{s}/history", to="2024-01-31")))
    assert [row["date"] for row in body] == ["2024-01-02", "2024-01-31"]


def test_unknown_strategy_or_empty_span_is_an_empty_array(rest, data):
    assert assert_ok_json(rest.get(f"/metrics/{data.name()}/history")) == []


def test_a_span_of_366_days_is_allowed_and_367_is_refused(rest, data):
    s = data.name()
    data.metrics(s, "2024-12-31")
    ok = rest.get(q(f"/metrics/{s}/history", **{"from": "2024-01-01", "to": "2024-12-31"}))
    assert [row["date"] for row in assert_ok_json(ok)] == ["2024-12-31"]
    assert_error(rest.get(q(f"/metrics/{s}/history", **{"from": "2024-01-01", "to": "2025-01-01"})), 400,
                 "invalid_parameter", names="'from'")


def test_from_after_to_is_refused_naming_from(rest, data):
    reply = rest.get(q(f"/metrics/{data.name()}/history", **{"from": "2024-02-02", "to": "2024-02-01"}))
    assert_error(reply, 400, "invalid_parameter", names="'from'")


def test_from_alone_is_checked_against_the_database_today(rest, data):
    today = data.today()
    s = data.name()
    assert_error(rest.get(q(f"/metrics/{s}/history", **{"from": _day(today, 1)})), 400, "invalid_parameter", names="'from'")
    assert_error(rest.get(q(f"/metrics/{s}/history", **{"from": _day(today, -366)})), 400, "invalid_parameter", names="'from'")
    data.metrics(s, _day(today, -365))
    body = assert_ok_json(rest.get(q(f"/metrics/{s}/history", **{"from": _day(today, -365)})))
    assert [row["date"] for row in body] == [_day(today, -365)]


def test_bad_parameters_are_400_naming_the_parameter(rest, data):
    s = data.name()
    for query, name in [({"from": "2024-02-30"}, "from"), ({"to": "yesterday"}, "to"), ({"from": ""}, "from"),
                        ({"to": "2024-1-01"}, "to")]:
        assert_error(rest.get(q(f"/metrics/{s}/history", **query)), 400, "invalid_parameter", names=f"'{name}'")
    assert_error(rest.get(f"/metrics/{s}/history?to=2024-01-01&to=2024-01-02"), 400, "invalid_parameter", names="'to'")
    assert_error(rest.get("/metrics/a%20b/history"), 400, "invalid_parameter", names="'strategy'")
    assert_error(rest.get("/metrics/" + "a" * 65 + "/history"), 400, "invalid_parameter", names="'strategy'")


def test_paths_around_history_are_404_and_other_methods_405(rest):
    for path in ("/metrics/x/history/", "/metrics/x/History", "/metrics//history", "/metrics/x/history/y"):
        assert_error(rest.get(path), 404, "not_found")
    assert_error(rest.request("POST", "/metrics/x/history", body=b"{}"), 405, "method_not_allowed")
    assert_error(rest.request("DELETE", "/metrics/x/history/y"), 404, "not_found")


def test_history_needs_a_key_and_answers_304_to_its_etag(rest, data):
    s = data.name()
    data.metrics(s, data.today())
    assert_error(rest.get(f"/metrics/{s}/history", key=None), 401, "missing_api_key")
    assert_error(rest.get(f"/metrics/{s}/history", key="wrong"), 403, "invalid_api_key")
    first = rest.get(f"/metrics/{s}/history")
    assert first.status == 200 and first.header("Cache-Control") == "no-cache"
    assert rest.get(f"/metrics/{s}/history", headers={"If-None-Match": first.header("ETag")}).status == 304
