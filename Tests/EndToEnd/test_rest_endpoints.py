"""Every REST endpoint of docs/CONTRACT.md answers what the contract says, for rows this test inserted."""

from test_rest_support import assert_ok_json, data, q, rest  # noqa: F401 (fixtures)


def test_health_is_public_and_reports_database_up(rest):
    reply = rest.get("/health", key=None)
    assert assert_ok_json(reply) == {"status": "healthy", "service": "elpyfi-api", "database": "up"}


def test_positions_lists_open_positions_of_a_strategy_by_symbol(rest, data, db):
    s = data.name()
    data.position(s, "MSFT", quantity="10", entry_price="300.5", current_price="310.25", unrealized_pl="97.50")
    data.position(s, "AAPL", quantity="150.250", entry_price="189.10", current_price="190", unrealized_pl="-1.5")
    data.position(s, "aapl", quantity="1", entry_price="2", current_price="3", unrealized_pl="1")
    data.position(s, "TSLA", quantity="5", status="closed")
    body = assert_ok_json(rest.get(q("/positions", strategy=s)))
    # Order "by strategy then symbol" in the database's collation: ask the database for the expected order.
    want = [r[0] for r in db.execute("SELECT symbol FROM positions WHERE strategy = %s AND status = 'open' "
                                     "ORDER BY strategy, symbol", (s,)).fetchall()]
    assert [p["symbol"] for p in body] == want
    assert "TSLA" not in want
    for p in body:
        assert set(p) == {"symbol", "quantity", "entry_price", "current_price", "unrealized_pl", "strategy"}
        assert p["strategy"] == s
    msft = next(p for p in body if p["symbol"] == "MSFT")
    assert (msft["quantity"], msft["entry_price"], msft["current_price"], msft["unrealized_pl"]) == (10, 300.5, 310.25, 97.5)


def test_positions_orders_by_strategy_then_symbol_across_strategies(rest, data, db):
    a = data.name()
    b = a + "b"  # sorts after a in any collation
    data.names.append(b)
    data.position(b, "X")
    data.position(a, "Z")
    data.position(a, "Y")
    body = assert_ok_json(rest.get("/positions"))
    got = [(p["strategy"], p["symbol"]) for p in body]
    # The database sorts what came back (its collation decides); other writers may change rows meanwhile.
    want = db.execute("SELECT s, y FROM unnest(%s::text[], %s::text[]) AS u(s, y) ORDER BY s, y",
                      ([g[0] for g in got], [g[1] for g in got])).fetchall()
    assert got == [tuple(w) for w in want]
    assert [g for g in got if g[0] in (a, b)] == [(a, "Y"), (a, "Z"), (b, "X")]


def test_positions_symbol_filter(rest, data):
    s = data.name()
    data.position(s, "AAA")
    data.position(s, "BBB")
    body = assert_ok_json(rest.get(q("/positions", strategy=s, symbol="BBB")))
    assert [p["symbol"] for p in body] == ["BBB"]
    assert assert_ok_json(rest.get(q("/positions", strategy=s, symbol="CCC"))) == []


def test_positions_unknown_strategy_is_an_empty_array(rest, data):
    assert assert_ok_json(rest.get(q("/positions", strategy=data.name()))) == []


def test_signals_recent_shape_and_newest_first(rest, data):
    s = data.name()
    older = data.signal(s, "AAPL", "buy", 0.75, "2024-01-15 10:30:00+00", '{"reason": "breakout"}')
    newer = data.signal(s, "MSFT", "sell", 0.5, "2024-01-15 10:31:00+00", None)
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s)))
    assert [r["id"] for r in body] == [newer, older]
    assert body[0] == {"id": newer, "strategy": s, "symbol": "MSFT", "action": "sell", "confidence": 0.5,
                       "timestamp": "2024-01-15T10:31:00Z", "metadata": {}}
    assert body[1] == {"id": older, "strategy": s, "symbol": "AAPL", "action": "buy", "confidence": 0.75,
                       "timestamp": "2024-01-15T10:30:00Z", "metadata": {"reason": "breakout"}}


def test_signals_recent_default_limit_is_50_and_limit_goes_to_1000(rest, data):
    s = data.name()
    data.db.execute("INSERT INTO signals (strategy, symbol, action, confidence, timestamp) "
                    "SELECT %s, 'SYM', 'buy', 0.5, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' "
                    "FROM generate_series(1, 1001) g", (s,))
    assert len(assert_ok_json(rest.get(q("/signals/recent", strategy=s)))) == 50
    assert len(assert_ok_json(rest.get(q("/signals/recent", strategy=s, limit="1000")))) == 1000
    assert len(assert_ok_json(rest.get(q("/signals/recent", strategy=s, limit="1")))) == 1
    assert len(assert_ok_json(rest.get(q("/signals/recent", strategy=s, limit="05")))) == 5


def test_signals_recent_filters_by_symbol_and_action(rest, data):
    s = data.name()
    ids = {a: data.signal(s, "AAA", a) for a in ("buy", "sell", "hold", "proposed")}
    other = data.signal(s, "BBB", "sell")
    for action, sid in ids.items():
        body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, symbol="AAA", action=action)))
        assert [r["id"] for r in body] == [sid]
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, action="sell")))
    assert sorted(r["id"] for r in body) == sorted([ids["sell"], other])
    body = assert_ok_json(rest.get(q("/signals/recent", strategy=s, symbol="BBB")))
    assert [r["id"] for r in body] == [other]


def test_signals_proposed_is_the_last_hour_of_proposals(rest, data, db):
    s = data.name()
    now = db.execute("SELECT now()").fetchone()[0]
    recent = data.signal(s, "AAA", "proposed", 0.9, (now.replace(microsecond=0)).isoformat(), '{"why": "ai"}')
    older = data.signal(s, "BBB", "proposed", 0.8, f"{now.isoformat()}", None)
    data.db.execute("UPDATE signals SET timestamp = now() - interval '30 minutes' WHERE id = %s", (older,))
    data.signal(s, "CCC", "proposed", 0.7, "2024-01-01 00:00:00+00")  # older than an hour: not pending
    data.signal(s, "DDD", "buy", 0.7)  # not a proposal
    body = assert_ok_json(rest.get(q("/signals/proposed", strategy=s)))
    assert [r["id"] for r in body] == [recent, older]
    assert body[0]["action"] == "proposed" and body[0]["metadata"] == {"why": "ai"}
    assert set(body[0]) == {"id", "strategy", "symbol", "action", "confidence", "timestamp", "metadata"}
    body = assert_ok_json(rest.get(q("/signals/proposed", strategy=s, symbol="BBB")))
    assert [r["id"] for r in body] == [older]
    assert len(assert_ok_json(rest.get(q("/signals/proposed", strategy=s, limit="1")))) == 1
    assert assert_ok_json(rest.get(q("/signals/proposed", strategy=s, action="buy"))) == []


def test_metrics_today_row(rest, data):
    s = data.name()
    today = data.today()
    data.metrics(s, today, total_trades=42, win_rate=0.625, profit_loss="1234.50", sharpe_ratio=1.25,
                 max_drawdown=-0.125)
    data.metrics(s, "2024-01-15", total_trades=1)
    body = assert_ok_json(rest.get(f"/metrics/{s}"))
    assert body == {"strategy": s, "date": today, "total_trades": 42, "win_rate": 0.625, "profit_loss": 1234.5,
                    "sharpe_ratio": 1.25, "max_drawdown": -0.125}
    assert '"profit_loss":1234.50' in rest.get(f"/metrics/{s}").text.replace(" ", "")


def test_metrics_date_parameter_and_null_ratios(rest, data):
    s = data.name()
    data.metrics(s, "2024-02-29", total_trades=3, win_rate=0.5, profit_loss="-7", sharpe_ratio=None, max_drawdown=None)
    body = assert_ok_json(rest.get(q(f"/metrics/{s}", date="2024-02-29")))
    assert body == {"strategy": s, "date": "2024-02-29", "total_trades": 3, "win_rate": 0.5, "profit_loss": -7,
                    "sharpe_ratio": None, "max_drawdown": None}


def test_metrics_without_a_row_is_an_empty_object(rest, data):
    s = data.name()
    data.metrics(s, "2024-01-15")
    assert assert_ok_json(rest.get(f"/metrics/{s}")) == {}
    assert assert_ok_json(rest.get(q(f"/metrics/{s}", date="2024-01-16"))) == {}
    assert assert_ok_json(rest.get(f"/metrics/{data.name()}")) == {}


def test_pdt_status_defaults_to_zero_used_three_remaining(rest, data):
    week = data.pdt_week()
    data.take_pdt_week(week)
    assert assert_ok_json(rest.get("/pdt/status")) == {"week_start": week, "trades_used": 0, "trades_remaining": 3}


def test_pdt_status_reads_this_weeks_row(rest, data, db):
    week = data.pdt_week()
    data.take_pdt_week(week)
    last_week = str(db.execute("SELECT %s::date - 7", (week,)).fetchone()[0])
    data.take_pdt_week(last_week)
    db.execute("INSERT INTO pdt_tracking (week_start, trades_used, trades_remaining) VALUES (%s, 9, 9)", (last_week,))
    db.execute("INSERT INTO pdt_tracking (week_start, trades_used, trades_remaining) VALUES (%s, 2, 1)", (week,))
    assert assert_ok_json(rest.get("/pdt/status")) == {"week_start": week, "trades_used": 2, "trades_remaining": 1}


def test_strategies_lists_active_ones_by_name(rest, data, db):
    on, off = data.name("on"), data.name("off")
    data.strategy(on, True, "Buys the dip")
    data.strategy(off, False, "retired")
    bare = data.name("bare")
    data.strategy(bare, True, None)
    body = assert_ok_json(rest.get("/strategies"))
    got = [r["name"] for r in body]
    want = [r[0] for r in db.execute("SELECT n FROM unnest(%s::text[]) AS u(n) ORDER BY n", (got,)).fetchall()]
    assert got == want
    active = {r[0] for r in db.execute("SELECT name FROM strategies WHERE active AND name LIKE 't\\_%'").fetchall()}
    assert {n for n in got if n.startswith("t_")} == active
    by_name = {r["name"]: r for r in body}
    assert by_name[on] == {"name": on, "active": True, "description": "Buys the dip"}
    assert by_name[bare] == {"name": bare, "active": True, "description": None}
    assert off not in by_name


def test_head_answers_like_get_without_a_body(rest, data):
    s = data.name()
    data.signal(s)
    for target in ("/health", q("/signals/recent", strategy=s), "/pdt/status", "/strategies", f"/metrics/{s}"):
        got, head = rest.get(target), rest.head(target)
        assert head.status == got.status == 200, (got, head)
        assert head.body == b""
        for name in ("ETag", "Cache-Control", "Content-Type"):
            assert head.header(name) == got.header(name), (name, got, head)
