-- elpyfi-api demo data: a small, realistic engine state for `deploy/dev-up` (never loaded by deploy/test).
--
-- Times are relative to now() so the dashboard always looks alive: proposals inside the last hour show in
-- `pending_ai_proposals`, metrics exist for CURRENT_DATE, PDT for the current week. Reload at any time with
--   psql -v ON_ERROR_STOP=1 "$ELPYFI_DEV_OWNER_DATABASE_URL" -f deploy/demo-data.sql
-- (it empties the tables first). Values are deterministic apart from the clock (setseed).
-- It deliberately covers the edge cases the API must render exactly: numeric scales (150.250, 0.00012345),
-- NULL / array / scalar / unicode metadata, whole and fractional-second timestamps, an inactive strategy,
-- a strategy without a metrics row today, NULL sharpe ratios.

BEGIN;

TRUNCATE strategies, positions, signals, strategy_metrics, pdt_tracking RESTART IDENTITY;

SELECT setseed(0.42);

-- Strategies: the three deploy/demo-events writes for (same names and descriptions), and a retired one. ---------
INSERT INTO strategies (name, active, description, created_at) VALUES
  ('momentum',       true,  'Buys strength: 20-day breakout with volume confirmation', now() - interval '120 days'),
  ('mean_reversion', true,  'Fades 2-sigma moves back toward the 10-day mean',         now() - interval '90 days'),
  ('ai_proposals',   true,  'Trades proposed by the AI service after human review',   now() - interval '30 days'),
  ('pairs-arb.v1',   false, NULL,                                                      now() - interval '200 days');

-- Instruments with a rough price level; crypto gets fractional quantities. ----------------------------------------
CREATE TEMP TABLE demo_symbols (symbol text, price numeric, crypto boolean) ON COMMIT DROP;
INSERT INTO demo_symbols VALUES
  ('AAPL', 189.50, false), ('MSFT', 415.20, false), ('NVDA', 875.30, false), ('AMZN', 178.10, false),
  ('GOOGL', 152.70, false), ('META', 492.00, false), ('TSLA', 171.40, false), ('AMD', 158.90, false),
  ('NFLX', 610.50, false), ('INTC', 30.85, false), ('BRK.B', 408.30, false), ('JPM', 198.40, false),
  ('V', 276.10, false), ('MA', 463.90, false), ('UNH', 492.60, false), ('XOM', 118.20, false),
  ('CVX', 155.70, false), ('KO', 60.12, false), ('PEP', 168.30, false), ('WMT', 60.45, false),
  ('DIS', 112.80, false), ('BA', 180.25, false), ('CRM', 298.40, false), ('ORCL', 125.60, false),
  ('SPY', 520.10, false), ('QQQ', 445.30, false), ('IWM', 205.75, false), ('XLF', 41.20, false),
  ('GLD', 215.40, false), ('TLT', 92.15, false), ('SOFI', 7.23, false), ('PLTR', 23.41, false),
  ('F', 12.08, false), ('T', 17.02, false), ('BTC-USD', 67250.00, true), ('ETH-USD', 3480.50, true),
  ('SOL-USD', 148.25, true), ('DOGE-USD', 0.16180, true);

-- 100 open positions: distinct (strategy, symbol) pairs, prices with 2 to 5 decimals. ------------------------------
INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, opened_at)
SELECT strategy, symbol, quantity, entry_price, current_price,
       round((current_price - entry_price) * quantity, 2), 'open', opened_at
FROM (
  SELECT p.strategy, p.symbol, p.quantity,
         round(p.price * (0.92 + random() * 0.16)::numeric, p.scale) AS entry_price,
         round(p.price * (0.95 + random() * 0.10)::numeric, p.scale) AS current_price,
         date_trunc('second', now() - random() * interval '20 days') AS opened_at
  FROM (
    SELECT st.name AS strategy, s.symbol, s.price,
           CASE WHEN s.crypto THEN round((random() * 2)::numeric, 8) + 0.00000001
                ELSE ((1 + floor(random() * 40)) * 5)::numeric END AS quantity,
           CASE WHEN s.price < 1 THEN 5 ELSE 2 + floor(random() * 3)::int END AS scale,
           row_number() OVER (ORDER BY md5(st.name || s.symbol)) AS n
    FROM strategies st CROSS JOIN demo_symbols s
    WHERE st.active AND (st.name, s.symbol) NOT IN (('momentum', 'AAPL'), ('ai_proposals', 'BTC-USD'))
  ) p
  WHERE p.n <= 98
) q;

-- Two hand-written rows whose exact text the API must keep (trailing zero; tiny crypto size).
INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, opened_at) VALUES
  ('momentum', 'AAPL', 100, 150.250, 151.500, 125.000, 'open', now() - interval '3 days 4 hours'),
  ('ai_proposals', 'BTC-USD', 0.00012345, 67001.12, 67250.00, 0.03, 'open', now() - interval '2 hours 15 minutes');

-- 30 closed positions (the retired strategy's among them): never shown by /positions. -----------------------------
INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, opened_at, closed_at)
SELECT (ARRAY['momentum', 'mean_reversion', 'ai_proposals', 'pairs-arb.v1'])[1 + i % 4],
       s.symbol, 10 * (1 + i % 7),
       round(s.price * 0.97, 2), round(s.price * (0.94 + (i % 10) * 0.012), 2), 0, 'closed',
       now() - (i + 5) * interval '1 day', now() - (i + 2) * interval '1 day' + i * interval '17 minutes'
FROM generate_series(1, 30) AS i
JOIN LATERAL (SELECT symbol, price FROM demo_symbols WHERE NOT crypto ORDER BY md5(symbol || i) LIMIT 1) s ON true;

-- Signals: ~400 over the last three days (buy/sell/hold and older proposals). ------------------------------------
INSERT INTO signals (strategy, symbol, action, confidence, timestamp, metadata)
SELECT strategy, symbol, action, confidence, ts,
       CASE
         WHEN k < 0.20 THEN NULL
         WHEN k < 0.25 THEN jsonb_build_array('breakout', 'volume_spike')
         WHEN k < 0.27 THEN to_jsonb('manual override'::text)
         WHEN k < 0.30 THEN jsonb_build_object('note', E'analyst said "wait"\nthen buy', 'größe', 'groß', 'emoji', '📈')
         ELSE jsonb_build_object('reason', (ARRAY['rsi_oversold', 'macd_cross', 'breakout', 'earnings_drift', 'mean_revert'])[1 + floor(random() * 5)::int],
                                 'rsi', round((20 + random() * 60)::numeric, 1),
                                 'timeframe', (ARRAY['5m', '15m', '1h', '1d'])[1 + floor(random() * 4)::int],
                                 'target_price', round((random() * 500)::numeric, 2))
       END
FROM (
  SELECT (ARRAY['momentum', 'mean_reversion', 'ai_proposals', 'momentum', 'pairs-arb.v1'])[1 + floor(random() * 5)::int] AS strategy,
         s.symbol,
         (ARRAY['buy', 'buy', 'sell', 'sell', 'hold', 'proposed'])[1 + floor(random() * 6)::int] AS action,
         round(random()::numeric, 4)::double precision AS confidence,
         CASE WHEN i % 3 = 0 THEN date_trunc('second', now() - interval '1 hour 5 minutes' - random() * interval '3 days')
              ELSE date_trunc('milliseconds', now() - interval '1 hour 5 minutes' - random() * interval '3 days') END AS ts,
         random() AS k
  FROM generate_series(1, 400) AS i
  JOIN LATERAL (SELECT symbol FROM demo_symbols ORDER BY md5(symbol || i) LIMIT 1) s ON true
) g;

-- Twelve proposals within the last hour, so pending_ai_proposals (and /signals/proposed) is never empty right after
-- dev-up. The view filters on timestamp > now() - 1 hour, so they age out: demo-events keeps adding new ones.
INSERT INTO signals (strategy, symbol, action, confidence, timestamp, metadata)
SELECT 'ai_proposals', (ARRAY['NVDA', 'AAPL', 'TSLA', 'BTC-USD', 'AMD', 'PLTR'])[1 + i % 6], 'proposed',
       (ARRAY[0.91, 0.87, 0.1, 0.7234, 0.65, 0.995])[1 + i % 6],
       now() - i * interval '4 minutes 30 seconds',
       CASE WHEN i % 4 = 0 THEN NULL
            ELSE jsonb_build_object('model', 'swing-gpt-2024-06', 'horizon_days', 3 + i % 5,
                                    'rationale', 'Higher lows on rising volume; sector strength',
                                    'stop_loss', round((100 + i * 7.5)::numeric, 3)) END
FROM generate_series(1, 12) AS i;

-- Strategy metrics: the last 30 days (the status page's P/L charts), each strategy with its own drift; the two
-- stock strategies have no rows on weekends (gaps in the charts) except today, the retired one none today (the
-- API answers {}). -------------------------------------------------------------------------------------------------
INSERT INTO strategy_metrics (strategy, date, total_trades, win_rate, profit_loss, sharpe_ratio, max_drawdown)
SELECT st.name, CURRENT_DATE - d,
       5 + floor(random() * 40)::int,
       round((0.35 + random() * 0.35)::numeric, 4)::double precision,
       round(((random() - CASE st.name WHEN 'momentum' THEN 0.38 WHEN 'mean_reversion' THEN 0.52 ELSE 0.45 END)
              * 5000)::numeric, (ARRAY[2, 3, 4])[1 + d % 3]),
       CASE WHEN d % 5 = 4 THEN NULL ELSE round((random() * 3 - 0.5)::numeric, 3)::double precision END,
       round((random() * 0.12)::numeric, 4)::double precision
FROM strategies st
CROSS JOIN generate_series(0, 29) AS d
WHERE (st.active OR d > 6)
  AND (d = 0 OR st.name IN ('ai_proposals', 'pairs-arb.v1') OR extract(isodow FROM CURRENT_DATE - d) < 6);

-- PDT: the current week (Monday-based, as the API computes it) and three earlier weeks. -----------------------------
INSERT INTO pdt_tracking (week_start, trades_used, trades_remaining)
SELECT date_trunc('week', CURRENT_DATE)::date - 7 * w, used, 3 - used
FROM (VALUES (0, 2), (1, 3), (2, 1), (3, 0)) AS v(w, used);

COMMIT;
