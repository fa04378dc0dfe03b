"""Keyset paging with before_id on both signal endpoints: order (timestamp DESC, id DESC), rows with equal
timestamps neither skipped nor repeated, a deleted cursor row pages to id < N, a cursor row of another strategy
keeps its place in the order."""

import pytest

from test_rest_support import assert_ok_json, data, q, rest  # noqa: F401 (fixtures)

# Timestamps deliberately out of id order, with ties: insert order != time order.
STAMPS = ["2024-01-15 10:00:00+00", "2024-01-15 10:05:00+00", "2024-01-15 10:01:00+00", "2024-01-15 10:05:00+00",
          "2024-01-15 10:05:00+00", "2024-01-15 09:00:00+00", "2024-01-15 10:01:00+00", "2024-01-15 11:00:00+00",
          "2024-01-15 10:05:00.5+00", "2024-01-15 10:05:00+00"]


def _ordered(db, strategy, where="TRUE", params=()):
    """The expected order, computed by the database from the rows the test inserted."""
    rows = db.execute(f"SELECT id, timestamp FROM signals WHERE strategy = %s AND {where}",
                      (strategy, *params)).fetchall()
    return [i for i, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]


def _walk(rest, path, strategy, limit):
    """Follow before_id from the first page to the end; returns all ids seen, in order."""
    seen, cursor = [], None
    for _ in range(100):
        params = {"strategy": strategy, "limit": str(limit)}
        if cursor is not None:
            params["before_id"] = str(cursor)
        page = assert_ok_json(rest.get(q(path, **params)))
        assert len(page) <= limit
        if not page:
            return seen
        seen += [r["id"] for r in page]
        cursor = page[-1]["id"]
    raise AssertionError("paging did not end")


@pytest.fixture
def signals(data):
    s = data.name()
    ids = [data.signal(s, symbol=f"S{i}", timestamp=ts) for i, ts in enumerate(STAMPS)]
    return s, ids


def test_first_page_is_newest_first_with_ties_by_id(rest, db, signals):
    s, _ = signals
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s)))
    assert [r["id"] for r in body] == _ordered(db, s)


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7])
def test_walking_pages_visits_every_row_once_in_order(rest, db, signals, limit):
    s, _ = signals
    assert _walk(rest, "/signals/recent", s, limit) == _ordered(db, s)


def test_before_id_returns_the_rows_after_row_n_in_order(rest, db, signals):
    s, ids = signals
    order = _ordered(db, s)
    for n in ids:
        body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, before_id=str(n), limit="1000")))
        assert [r["id"] for r in body] == order[order.index(n) + 1:], n


def test_deleted_cursor_row_pages_to_lower_ids(rest, db, data, signals):
    s, ids = signals
    gone = ids[4]
    db.execute("DELETE FROM signals WHERE id = %s", (gone,))
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, before_id=str(gone), limit="1000")))
    assert [r["id"] for r in body] == _ordered(db, s, "id < %s", (gone,))
    # a cursor beyond every id (never existed): all rows with a lower id, i.e. all of them
    beyond = max(ids) + 1_000_000
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, before_id=str(beyond), limit="1000")))
    assert [r["id"] for r in body] == _ordered(db, s)


def test_cursor_row_of_another_strategy_keeps_its_place(rest, db, data, signals):
    s, _ = signals
    other = data.name()
    anchor = data.signal(other, timestamp="2024-01-15 10:05:00+00")
    ts = db.execute("SELECT timestamp FROM signals WHERE id = %s", (anchor,)).fetchone()[0]
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, before_id=str(anchor), limit="1000")))
    want = [i for i in _ordered(db, s)
            if (db.execute("SELECT timestamp FROM signals WHERE id = %s", (i,)).fetchone()[0], i) < (ts, anchor)]
    assert [r["id"] for r in body] == want


def test_paging_with_filters_combined(rest, db, data):
    s = data.name()
    for i in range(6):
        data.signal(s, symbol="AAA" if i % 2 else "BBB", action="sell" if i % 3 else "buy",
                    timestamp="2024-02-01 00:00:00+00")
    want = _ordered(db, s, "symbol = 'AAA'")
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, symbol="AAA", limit="1")))
    page2 = assert_ok_json(rest.get(q("/signals/recent", strategy=s, symbol="AAA", limit="1",
                                      before_id=str(body[0]["id"]))))
    assert [r["id"] for r in body + page2] == want[:2]
    want = _ordered(db, s, "action = 'sell'")
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, action="sell", before_id=str(want[0]))))
    assert [r["id"] for r in body] == want[1:]


def test_proposed_view_pages_the_same_way(rest, db, data):
    s = data.name()
    now = db.execute("SELECT date_trunc('second', now())").fetchone()[0]
    offsets = [10, 5, 5, 20, 5, 1, 30, 10]  # minutes ago; ties on purpose
    ids = [data.signal(s, action="proposed", symbol=f"P{i}", timestamp=None) for i in range(len(offsets))]
    for sid, minutes in zip(ids, offsets):
        db.execute("UPDATE signals SET timestamp = %s - make_interval(mins => %s) WHERE id = %s", (now, minutes, sid))
    data.signal(s, action="proposed", timestamp="2024-01-01 00:00:00+00")  # outside the hour
    data.signal(s, action="buy")  # not a proposal
    want = _ordered(db, s, "action = 'proposed' AND timestamp > now() - interval '1 hour'")
    assert len(want) == len(offsets)
    assert [r["id"] for r in assert_ok_json(rest.get(q("/signals/proposed", strategy=s)))] == want
    for limit in (1, 3):
        assert _walk(rest, "/signals/proposed", s, limit) == want
    gone = want[2]
    db.execute("DELETE FROM signals WHERE id = %s", (gone,))
    body = assert_ok_json(rest.get(q("/signals/proposed", strategy=s, before_id=str(gone))))
    assert [r["id"] for r in body] == [i for i in _ordered(
        db, s, "action = 'proposed' AND timestamp > now() - interval '1 hour'") if i < gone]
