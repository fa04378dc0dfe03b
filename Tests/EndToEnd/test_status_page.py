"""The status page (web/) in a real browser: headless Chromium from Debian, driven by Selenium through the system
chromedriver, against the whole stack through nginx (REST workers, sidecar, PostgreSQL).

Needs: apt `chromium chromium-driver`, pip `selenium` (deploy/test installs them).

Each test owns its rows (strategy `t_sp_<hex>`) and removes them. The page is judged as a user sees it: rows in
tables, text of messages, the feed; plus what a user cannot see: console errors and CSP violations (recorded by a
script injected through the DevTools protocol, which CSP does not apply to), and horizontal overflow at 390 px.

Also a script: `python3 Tests/EndToEnd/test_status_page.py --screenshot docs/screenshot.png [--base-url URL]
[--key KEY]` takes the README screenshot from a running `deploy/dev-up` stack (key and port from .run/dev.env).
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import time
import uuid

import pytest
import requests

from test_stream_support import wait_for

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - reported as a clear failure below
    webdriver = None

CHROMIUM = os.environ.get("ELPYFI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ELPYFI_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

# Runs before any page script (DevTools-injected, so the page's CSP does not block it): records what the console
# alone would not make easy to assert on.
RECORDER = """
window.__problems = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__problems.push('CSP ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));
window.addEventListener('error', (e) => window.__problems.push('error ' + e.message));
window.addEventListener('unhandledrejection', (e) => window.__problems.push('unhandled ' + e.reason));
"""


# ---- the browser ---------------------------------------------------------------------------------------------

def make_driver(log_dir: pathlib.Path, width: int = 1280, height: int = 900):
    """Headless Chromium (new headless mode) with console logging and the problem recorder installed."""
    if webdriver is None:
        pytest.fail("selenium is not installed (pip install selenium; deploy/test installs it)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing (apt-get install chromium chromium-driver; deploy/test installs them)")
    profile = tempfile.mkdtemp(prefix="elpyfi-chromium.")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", "--disable-background-networking",
                f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_output=str(log_dir / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.elpyfi_profile = profile
    return driver


def quit_driver(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.elpyfi_profile, ignore_errors=True)


def wait_until(driver, condition, timeout: float = 30.0, what: str = "condition"):
    """Waits for a state the page shows. `timeout` only bounds a state that never comes (a lost event, a broken
    page); it is no speed claim, so a busy machine never reaches it."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def fresh_tab(driver) -> None:
    """Replaces the tab with a new one (sessionStorage is per tab: no saved key), with the problem recorder, and
    drops what the browser logged so far: each test judges only its own page (an earlier test that failed
    half-way must not fail the next one with its leftovers)."""
    old = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.switch_to.window(old)
    driver.close()
    driver.switch_to.window(driver.window_handles[-1])
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})  # per tab
    driver.get_log("browser")


def open_page(driver, base_url: str, phone_width: int | None = None) -> None:
    """Loads / in a fresh tab (sessionStorage is per tab, so the page asks for the key again)."""
    fresh_tab(driver)
    if phone_width:  # a phone: viewport width, touch, and <meta name=viewport> honoured (also per tab)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": phone_width, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    driver.get(base_url + "/")
    wait_until(driver, lambda d: d.find_element(By.ID, "key-input").is_displayed(), what="the key prompt")


def enter_key(driver, key: str) -> None:
    field = driver.find_element(By.ID, "key-input")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()


def open_dashboard(driver, base_url: str, key: str, phone_width: int | None = None) -> None:
    """Key prompt, key, then waits for the dashboard and a live stream (`connected` seen)."""
    open_page(driver, base_url, phone_width)
    enter_key(driver, key)
    wait_until(driver, lambda d: d.find_element(By.ID, "dashboard").is_displayed(), what="the dashboard")
    wait_until(driver, lambda d: d.find_element(By.ID, "feed-status").get_attribute("data-state") == "ok",
               what="the live stream to connect")


def position_rows(driver) -> list[list[str]]:
    """The open-positions table as cell texts (rows that stand for a position, not the 'none' row)."""
    return js(driver, """return [...document.querySelectorAll('#positions tbody tr[data-key]')]
                          .map((tr) => [...tr.cells].map((td) => td.textContent));""")


def problems(driver) -> list[str]:
    """Console errors plus recorded CSP violations / uncaught errors since the last call."""
    found = [f"console: {e['message']}" for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    found += js(driver, "const p = window.__problems || []; window.__problems = []; return p;")
    return found


def log_since(access_log: pathlib.Path, offset: int) -> list[dict]:
    """The lines an nginx access log (JSON) got after `offset` bytes."""
    with access_log.open("rb") as f:
        f.seek(offset)
        return [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]


def api_get(base_url: str, key: str, path: str):
    r = requests.get(base_url + path, headers={"X-API-Key": key}, timeout=5)
    r.raise_for_status()
    return r.json()


# ---- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_logs(tmp_path_factory) -> pathlib.Path:
    """Where chromedriver writes its log: not the stack's run dir. The log records what the test typed (the key),
    and test_rest_auth.py checks that no log of the stack holds a key; with the log in the run dir, the next round
    of `deploy/test --repeat` failed there."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def browser(browser_logs):
    driver = make_driver(browser_logs)
    yield driver
    quit_driver(driver)


@pytest.fixture
def strategy(db):
    """A fresh active strategy name with three open positions and one closed one; all removed afterwards."""
    name = f"t_sp_{uuid.uuid4().hex[:10]}"
    db.insert_strategy(name, description="status page test")
    db.insert_position(name, "AAPL", "100", "150.250", "151.500", "125.000")
    db.insert_position(name, "BTC-USD", "0.00012345", "67001.12", "67250.00", "0.03")
    db.insert_position(name, "TSLA", "1200", "180.10", "171.40", "-10440.00")
    db.insert_position(name, "OLD", "1", "1", "1", "0", status="closed")
    yield name
    db.delete_strategy_rows(name)


# ---- tests -------------------------------------------------------------------------------------------------------

def test_page_and_modules_are_served_with_a_strict_csp(base_url):
    page = requests.get(base_url + "/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in index.html"
    assert not re.search(r"\sstyle=|<style", html), "inline style in index.html"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler in index.html"
    for path, ctype in (("/", "text/html"), ("/ui/main.js", "text/javascript"), ("/ui/style.css", "text/css")):
        r = requests.get(base_url + path, timeout=5)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"].split(";")[0] == ctype, path
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "no-referrer", path
        assert r.headers["Cache-Control"] == "no-cache", path
    missing = requests.get(base_url + "/ui/nope.js", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_page_loads_with_the_key_and_lists_every_open_position(browser, base_url, api_key, strategy):
    open_dashboard(browser, base_url, api_key)
    expected = api_get(base_url, api_key, "/positions")
    wait_until(browser, lambda d: len(position_rows(d)) == len(expected),
               what=f"{len(expected)} position rows (GET /positions)")
    mine = {r[0]: r for r in position_rows(browser) if r[1] == strategy}
    assert set(mine) == {"AAPL", "BTC-USD", "TSLA"}  # the closed one is not shown

    # People see rounded, localised numbers; the tooltip keeps the API's exact text (150.250, not 150.25).
    cell = js(browser, """return [...document.querySelectorAll('#positions tbody tr')]
        .filter((tr) => tr.cells[0].textContent === 'AAPL' && tr.cells[1].textContent === arguments[0])
        .map((tr) => ({entry: tr.cells[3].textContent, title: tr.cells[3].title,
                       pl: tr.cells[5].textContent, cls: tr.cells[5].className}))[0];""", strategy)
    assert cell["entry"] == "150.25" and cell["title"] == "150.250"
    assert cell["pl"] == "+125.00" and "pos" in cell["cls"]
    tsla_pl = js(browser, """return [...document.querySelectorAll('#positions tbody tr')]
        .filter((tr) => tr.cells[0].textContent === 'TSLA' && tr.cells[1].textContent === arguments[0])
        .map((tr) => [tr.cells[5].textContent, tr.cells[5].className])[0];""", strategy)
    assert tsla_pl[0] == "-10,440.00" and "neg" in tsla_pl[1]

    # Totals per strategy: the exact sum (125.000 + 0.03 - 10440.00 = -10314.970).
    total = js(browser, """return [...document.querySelectorAll('#position-totals tbody tr')]
        .filter((tr) => tr.cells[0].textContent === arguments[0]).map((tr) => [tr.cells[1].textContent,
        tr.cells[2].title])[0];""", strategy)
    assert total == ["3", "-10314.970"]

    # The other panels loaded too: health, PDT, metrics row for our strategy, and no error line.
    assert "healthy" in browser.find_element(By.ID, "health-api").text
    assert "healthy" in browser.find_element(By.ID, "health-stream").text
    wait_until(browser, lambda d: "remaining" in d.find_element(By.ID, "pdt").text, what="the PDT line")
    wait_until(browser, lambda d: strategy in d.find_element(By.ID, "metrics").text, what="the metrics row")
    assert browser.find_element(By.ID, "error").text == ""
    assert problems(browser) == []


def test_a_wrong_key_is_refused_clearly_and_another_can_be_entered(base_url, api_key, browser_logs):
    driver = make_driver(browser_logs)
    try:
        open_page(driver, base_url)
        enter_key(driver, "elpyfi_" + "x" * 43)
        wait_until(driver, lambda d: "That key was refused" in d.find_element(By.ID, "key-message").text,
                   what="the refusal message")
        assert not driver.find_element(By.ID, "dashboard").is_displayed()
        assert js(driver, "return sessionStorage.getItem('elpyfi.apiKey')") is None
        # The field is ready for the next attempt (focused, empty), and the right key opens the dashboard.
        assert driver.switch_to.active_element.get_attribute("id") == "key-input"
        enter_key(driver, api_key)
        wait_until(driver, lambda d: d.find_element(By.ID, "dashboard").is_displayed(), what="the dashboard")
        assert driver.find_element(By.ID, "key-message").text == ""
        # The refused request itself is logged by the browser (a 403); nothing else may be.
        left = [p for p in problems(driver) if "403" not in p]
        assert left == []
    finally:
        quit_driver(driver)


def test_notified_events_reach_the_feed_and_update_the_tables_in_place(browser, base_url, api_key, strategy, db):
    open_dashboard(browser, base_url, api_key)
    wait_until(browser, lambda d: any(r[1] == strategy for r in position_rows(d)), what="the snapshot")

    # position.opened with the full row: the engine writes the row, then NOTIFYs (numbers with their exact digits).
    db.insert_position(strategy, "NVDA", "7", "875.300", "880.00", "32.90")
    payload = ('{"type":"position.opened","timestamp":"2024-01-15T10:31:00Z","data":{"strategy":%s,"symbol":"NVDA",'
               '"quantity":7,"entry_price":875.300,"current_price":880.00,"unrealized_pl":32.90}}' % json.dumps(strategy))
    db.notify(payload)
    wait_until(browser, lambda d: any(r[:2] == ["NVDA", strategy] for r in position_rows(d)),
               what="the NVDA row after position.opened")
    feed = wait_until(browser, lambda d: [li for li in d.find_elements(By.CSS_SELECTOR, "#feed li")
                                          if "position.opened" in li.text and "NVDA" in li.text],
                      what="position.opened in the feed")
    assert re.search(r"#\d+", feed[0].text), "the feed entry shows the event's seq"
    entry = js(browser, """return [...document.querySelectorAll('#positions tbody tr')]
        .filter((tr) => tr.cells[0].textContent === 'NVDA' && tr.cells[1].textContent === arguments[0])
        .map((tr) => tr.cells[3].title)[0];""", strategy)
    assert entry == "875.300"
    assert len(position_rows(browser)) == len(api_get(base_url, api_key, "/positions"))

    # signal.generated with the full row: prepended to the signals table (newest page, no filters).
    sig_id = db.insert_signal(strategy, "NVDA", "buy", 0.875)
    row = db.execute("SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                     "FROM signals WHERE id = %s", (sig_id,)).fetchone()
    db.notify({"type": "signal.generated", "timestamp": row[0],
               "data": {"id": sig_id, "strategy": strategy, "symbol": "NVDA", "action": "buy", "confidence": 0.875,
                        "timestamp": row[0], "metadata": {"reason": "test"}}})
    wait_until(browser, lambda d: js(d, "return document.querySelector('#signals tbody tr')?.dataset.id")
               == str(sig_id), what="the new signal at the top of the table")

    # position.closed: the row goes away (the engine updates the row first).
    db.execute("UPDATE positions SET status = 'closed', closed_at = now() WHERE strategy = %s AND symbol = 'NVDA'",
               (strategy,))
    db.notify({"type": "position.closed", "timestamp": row[0], "data": {"strategy": strategy, "symbol": "NVDA"}})
    wait_until(browser, lambda d: not any(r[:2] == ["NVDA", strategy] for r in position_rows(d)),
               what="the NVDA row to go after position.closed")
    assert problems(browser) == []


def test_the_page_fits_a_390px_screen_without_sideways_scrolling(browser, base_url, api_key, strategy, run_dir):
    open_dashboard(browser, base_url, api_key, phone_width=390)
    wait_until(browser, lambda d: any(r[1] == strategy for r in position_rows(d)), what="the positions")
    width, client = js(browser, "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert client == 390
    assert width <= client, f"the page is {width} px wide at a 390 px viewport"
    assert js(browser, "return document.body.scrollWidth") <= client
    # The wide tables scroll inside their own region instead.
    assert js(browser, "const s = document.querySelector('#positions').parentElement; "
                       "return s.scrollWidth > s.clientWidth && getComputedStyle(s).overflowX === 'auto'")
    full_page_screenshot(browser, pathlib.Path(run_dir) / "status-page-390.png", width=390, mobile=True)
    assert problems(browser) == []


def test_keyboard_alone_reaches_the_dashboard_and_pages_signals(browser, base_url, api_key, strategy, db):
    for i in range(25):  # more than one page (20) of this strategy's signals
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=i)
        db.insert_signal(strategy, f"S{i:02d}", "hold", 0.5, timestamp=when.isoformat())
    open_page(browser, base_url)
    # Type the key into the focused field and press Enter: no mouse.
    browser.switch_to.active_element.send_keys(api_key + "\n")
    wait_until(browser, lambda d: d.find_element(By.ID, "dashboard").is_displayed(), what="the dashboard")
    select = browser.find_element(By.ID, "filter-strategy")
    wait_until(browser, lambda d: strategy in select.text, what="the strategy filter options")
    js(browser, "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
       select, strategy)
    wait_until(browser, lambda d: set(js(d, "return [...document.querySelectorAll('#signals tbody tr')]"
                                          ".map((tr) => tr.cells[2]?.textContent)")) == {strategy},
               what="signals filtered to our strategy")
    symbols = "return [...document.querySelectorAll('#signals tbody tr')].map((tr) => tr.cells[3].textContent)"
    assert js(browser, symbols) == [f"S{i:02d}" for i in range(20)]  # newest first
    browser.find_element(By.ID, "signals-older").send_keys(Keys.ENTER)  # focus + Enter on a real <button>
    wait_until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#signals tbody tr[data-id]")) == 5,
               what="the older page (5 rows)")
    assert js(browser, symbols) == [f"S{i:02d}" for i in range(20, 25)]  # before_id = the last row shown
    browser.find_element(By.ID, "signals-newer").send_keys(Keys.ENTER)
    wait_until(browser, lambda d: js(d, symbols) == [f"S{i:02d}" for i in range(20)], what="the newest page again")
    assert problems(browser) == []


def chart_points(driver, strategy: str, series: str) -> list[list[str]]:
    """[data-date, data-value] of one strategy's plotted marks of `series` (daily bars, cumulative points)."""
    return js(driver, """return [...document.querySelectorAll('#pl-charts figure.chart')]
        .filter((f) => f.dataset.strategy === arguments[0])
        .flatMap((f) => [...f.querySelectorAll(`svg [data-series="${arguments[1]}"]`)])
        .map((e) => [e.dataset.date, e.dataset.value]);""", strategy, series)


def test_pl_charts_plot_the_history_endpoints_numbers(browser, base_url, api_key, strategy, db):
    open_dashboard(browser, base_url, api_key)
    window = wait_until(browser, lambda d: js(d, "const p = document.getElementById('pl-charts'); "
                                                "return p.dataset.to && [p.dataset.from, p.dataset.to];"),
                        what="the P/L charts' window")
    start, end = (datetime.date.fromisoformat(day) for day in window)
    assert (end - start).days == 29  # the last 30 days, both ends counted
    assert chart_points(browser, strategy, "daily") == []  # our strategy has no rows yet

    # Rows on 6 of the 30 days (the others have none), digits of several scales; a metrics event redraws.
    pls = {27: "1250.500", 20: "-310.25", 19: "0.0001", 12: "-999.999", 5: "42", 0: "-7.5"}
    for back, pl in pls.items():
        db.execute("INSERT INTO strategy_metrics (strategy, date, total_trades, win_rate, profit_loss) "
                   "VALUES (%s, %s::date, %s, 0.5, %s::numeric)", (strategy, str(end - datetime.timedelta(back)), back, pl))
    db.notify({"type": "metrics.updated", "timestamp": "2024-01-15T10:31:00Z", "data": {"strategy": strategy}})
    wait_until(browser, lambda d: len(chart_points(d, strategy, "daily")) == len(pls), what="the six daily bars")

    reply = requests.get(base_url + f"/metrics/{strategy}/history", params={"from": str(start), "to": str(end)},
                         headers={"X-API-Key": api_key}, timeout=5)
    reply.raise_for_status()
    rows = json.loads(reply.text, parse_float=str, parse_int=str)  # numbers as the API wrote them
    assert len(rows) == len(pls)
    # Daily bars: the API's dates and exact P/L text; cumulative points: the running sum of those.
    assert chart_points(browser, strategy, "daily") == [[r["date"], r["profit_loss"]] for r in rows]
    running = decimal.Decimal(0)
    expected = []
    for r in rows:
        running += decimal.Decimal(r["profit_loss"])
        expected.append((r["date"], running))
    got = [(day, decimal.Decimal(value)) for day, value in chart_points(browser, strategy, "cumulative")]
    assert got == expected

    # The marks are drawn where their values say: one scale (px per P/L unit) for every bar and point, measured
    # from the zero line, and in date order from left to right.
    marks = js(browser, """const f = [...document.querySelectorAll('#pl-charts figure.chart')]
          .find((f) => f.dataset.strategy === arguments[0]);
        const y0 = Number(f.querySelector('svg').dataset.zeroY);
        const bars = [...f.querySelectorAll('rect[data-series=daily]')].map((r) => {
          const y = Number(r.getAttribute('y')), h = Number(r.getAttribute('height'));
          return [Number(r.dataset.value), y < y0 - 1e-6 ? h : -h, Number(r.getAttribute('x')),
                  r.querySelector('title').textContent];
        });
        const points = [...f.querySelectorAll('circle[data-series=cumulative]')].map((c) =>
          [Number(c.dataset.value), y0 - Number(c.getAttribute('cy')), Number(c.getAttribute('cx')),
           c.querySelector('title').textContent]);
        return {bars, points, ticks: f.querySelectorAll('svg text.tick').length};""", strategy)
    scales = [px / value for value, px, _, _ in marks["bars"] + marks["points"] if abs(value) >= 1]
    assert min(scales) > 0 and max(scales) == pytest.approx(min(scales), rel=1e-3)
    for kind in ("bars", "points"):
        xs = [x for _, _, x, _ in marks[kind]]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
    for (day, text), (_, _, _, title) in zip(chart_points(browser, strategy, "daily"), marks["bars"]):
        assert title.startswith(f"{day}: daily P/L {text}")  # hover shows the exact API value
    assert marks["ticks"] >= 6  # labelled axes
    caption = js(browser, """return [...document.querySelectorAll('#pl-charts figure.chart')]
        .find((f) => f.dataset.strategy === arguments[0]).querySelector('figcaption .total').title""", strategy)
    assert decimal.Decimal(caption) == running
    assert problems(browser) == []


def rate_bars(driver) -> list[list]:
    """The event-rate chart's bars as [data-start, data-value]."""
    return js(driver, """return [...document.querySelectorAll('#event-rate svg rect[data-start]')]
        .map((r) => [r.dataset.start, Number(r.dataset.value)]);""")


def test_event_rate_chart_counts_the_notified_events(browser, base_url, api_key, strategy, db):
    open_dashboard(browser, base_url, api_key)
    wait_until(browser, lambda d: len(rate_bars(d)) == 30, what="30 bars of 10 s in the event-rate chart")
    before = sum(count for _, count in rate_bars(browser))
    for i in range(7):
        db.notify({"type": "test.rate", "timestamp": "2024-01-15T10:31:00Z", "data": {"strategy": strategy, "n": i}})
    wait_until(browser, lambda d: sum(count for _, count in rate_bars(d)) == before + 7,
               what="7 more events counted in the event-rate chart")
    bars = rate_bars(browser)
    starts = [datetime.datetime.fromisoformat(start.replace("Z", "+00:00")) for start, _ in bars]
    assert all((b - a).total_seconds() == 10 for a, b in zip(starts, starts[1:]))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert starts[-1] <= now < starts[-1] + datetime.timedelta(seconds=11)  # the newest bar is filling now
    assert sum(count for _, count in bars[-2:]) >= 7  # they arrived just now
    assert f"{before + 7} events in the last 5 minutes" in browser.find_element(By.ID, "event-rate-total").text
    assert problems(browser) == []


def test_screenshot_is_written_to_the_run_dir(browser, base_url, api_key, strategy, run_dir):
    open_dashboard(browser, base_url, api_key)
    wait_until(browser, lambda d: any(r[1] == strategy for r in position_rows(d)), what="the positions")
    path = pathlib.Path(run_dir) / "status-page.png"
    full_page_screenshot(browser, path)
    assert path.stat().st_size > 10_000


# ---- the public view (ELPYFI_PUBLIC_PATHS) -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def public_site(tmp_path_factory, run_dir):
    """A public deployment (test_public_access.py: /positions, /strategies, /metrics/*, /ws/trades public) with
    roomy anonymous limits: a page load is a dozen requests from one address."""
    from test_public_access import public_deployment
    with public_deployment(tmp_path_factory.mktemp("public-page"), run_dir, ELPYFI_PUBLIC_RATE_LIMIT="50r/s",
                           ELPYFI_PUBLIC_RATE_BURST="100", ELPYFI_PUBLIC_WS_PER_ADDRESS="10") as deployment:
        yield deployment


def open_public_page(driver, url: str) -> None:
    fresh_tab(driver)
    driver.get(url + "/")


def locked(driver) -> dict[str, bool]:
    return js(driver, """return Object.fromEntries(['positions', 'signals', 'proposals', 'metrics', 'feed']
        .map((id) => [id, document.getElementById(id).closest('.card').classList.contains('locked')]));""")


def test_public_view_shows_the_public_panels_at_once_and_asks_a_key_only_for_the_rest(browser, public_site, api_key,
                                                                                       strategy, run_dir, db):
    open_public_page(browser, public_site.url)
    wait_until(browser, lambda d: d.find_element(By.ID, "dashboard").is_displayed(), what="the dashboard, no key")
    assert not browser.find_element(By.ID, "key-panel").is_displayed()
    wait_until(browser, lambda d: any(r[1] == strategy for r in position_rows(d)), what="the public positions")
    wait_until(browser, lambda d: strategy in d.find_element(By.ID, "metrics").text, what="the public metrics")
    wait_until(browser, lambda d: d.find_element(By.ID, "feed-status").get_attribute("data-state") == "ok",
               what="the anonymous stream (/ws/trades)")
    assert locked(browser) == {"positions": False, "signals": True, "proposals": True, "metrics": False,
                               "feed": False}
    notes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".locked-note") if e.is_displayed()]
    assert len(notes) == 2 and all("Needs an API key" in n for n in notes), notes
    assert "needs an API key" in browser.find_element(By.ID, "pdt").text
    assert not browser.find_element(By.ID, "signals").is_displayed()
    # Events that would refresh a private panel (pdt., trade.) leave it alone: nothing private is ever asked for,
    # so no 401 in the console and no error line.
    offset = public_site.access_log.stat().st_size
    db.notify({"type": "pdt.trade_used", "timestamp": "2024-01-15T10:31:00Z", "data": {"strategy": strategy}})
    db.notify({"type": "trade.executed", "timestamp": "2024-01-15T10:31:00Z", "data": {"strategy": strategy}})
    wait_until(browser, lambda d: "trade.executed" in d.find_element(By.ID, "feed").text, what="the events")
    # trade.executed refetches positions, metrics, pdt and history in one refresh(): the public ones go out, pdt
    # must not. Once the last of them (the history) is logged, that refresh has run.
    history = f"/metrics/{strategy}/history"
    paths = wait_for(lambda: (p := {e["path"] for e in log_since(public_site.access_log, offset)}) and history in p
                     and p, 30, what="the public panels refetched after trade.executed")
    assert "/pdt/status" not in paths, paths
    assert "needs an API key" in browser.find_element(By.ID, "pdt").text
    assert browser.find_element(By.ID, "error").text == ""
    assert problems(browser) == []
    full_page_screenshot(browser, pathlib.Path(run_dir) / "status-page-public.png")

    # A key for the rest: the form opens above the public panels, and the key unlocks everything.
    browser.find_element(By.CSS_SELECTOR, ".locked-note button").click()
    wait_until(browser, lambda d: d.find_element(By.ID, "key-input").is_displayed(), what="the key form")
    assert browser.find_element(By.ID, "dashboard").is_displayed()
    enter_key(browser, api_key)
    wait_until(browser, lambda d: not any(locked(d).values()), what="every panel unlocked")
    wait_until(browser, lambda d: "remaining" in d.find_element(By.ID, "pdt").text, what="the PDT line")
    wait_until(browser, lambda d: d.find_element(By.ID, "feed-status").get_attribute("data-state") == "ok",
               what="the keyed stream")
    assert problems(browser) == []


def test_private_deployment_still_asks_for_the_key_first_and_requests_nothing_private(browser, base_url, logs):
    mark = logs.mark()
    open_page(browser, base_url)  # waits for the key prompt
    assert not browser.find_element(By.ID, "dashboard").is_displayed()
    # The page's start-up is over once both health badges are filled (the key prompt came from the other /health).
    wait_until(browser, lambda d: all(d.find_element(By.ID, b).get_attribute("data-state") != "wait"
                                      for b in ("health-api", "health-stream")), what="the health badges")
    # Everything the browser fetched so far (Resource Timing), each logged by nginx: then judge the log.
    fetched = set(js(browser, "return performance.getEntriesByType('resource')"
                              ".map((e) => new URL(e.name).pathname)")) | {"/"}
    paths = wait_for(lambda: (p := {e["path"] for e in logs.access_entries(mark)}) >= fetched and p, 30,
                     what=f"the access log lines of {sorted(fetched)}")
    assert paths <= {"/", "/health", "/stream/health"} | {p for p in paths if p.startswith("/ui/")}, paths
    assert problems(browser) == []


# ---- the README screenshot (script mode) ---------------------------------------------------------------------

def full_page_screenshot(driver, path: pathlib.Path, width: int = 1280, mobile: bool = False) -> None:
    height = js(driver, "return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    try:
        time.sleep(0.3)
        driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def main() -> int:
    root = pathlib.Path(__file__).resolve().parents[2]
    dev_env = {}
    env_file = root / ".run" / "dev.env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            m = re.match(r"^([A-Z_]+)=(.*)$", line)
            if m:
                dev_env[m[1]] = m[2].strip("'\"")
    ap = argparse.ArgumentParser(description="Screenshot of the status page of a running dev stack.")
    ap.add_argument("--screenshot", default=str(root / "docs" / "screenshot.png"))
    ap.add_argument("--base-url", default=f"http://127.0.0.1:{dev_env.get('ELPYFI_PORT', '9002')}")
    ap.add_argument("--key", default=dev_env.get("ELPYFI_DEV_API_KEY", ""))
    ap.add_argument("--settle", type=float, default=45.0,
                    help="seconds of live events to collect first (the event-rate chart counts from page load)")
    ap.add_argument("--public", action="store_true", help="the public view (no key; ELPYFI_PUBLIC_PATHS set)")
    args = ap.parse_args()
    out = pathlib.Path(args.screenshot)
    out.parent.mkdir(parents=True, exist_ok=True)
    driver = make_driver(pathlib.Path(tempfile.gettempdir()))
    try:
        if args.public:
            open_public_page(driver, args.base_url)
            wait_until(driver, lambda d: d.find_element(By.ID, "dashboard").is_displayed(), what="the dashboard")
        else:
            open_dashboard(driver, args.base_url, args.key)
        wait_until(driver, lambda d: len(position_rows(d)) > 0, what="positions")
        time.sleep(args.settle)
        full_page_screenshot(driver, out)
        for p in problems(driver):
            print("page problem:", p, file=sys.stderr)
    finally:
        quit_driver(driver)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
