-- elpyfi-api: the trading engine's tables as docs/CONTRACT.md describes them, plus the two roles the API needs.
--
-- The engine owns these tables in production; this file recreates them for dev-up, deploy/test and new installs.
-- Run it as a superuser (or a role with CREATEROLE) connected to the `elpyfi` database:
--   psql -v ON_ERROR_STOP=1 -U postgres -d elpyfi -f deploy/schema.sql
-- It is idempotent: rerunning it creates what is missing and re-applies the grants.
-- Roles get no password here; production sets one (`ALTER ROLE elpyfi_reader PASSWORD '…'`) or uses peer/cert auth.

-- Roles -----------------------------------------------------------------------------------------------------------
-- elpyfi:        owner of the tables; the engine (and demo data, tests) writes with it.
-- elpyfi_reader: what the API processes use: SELECT only. LISTEN needs no grant.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'elpyfi') THEN
    CREATE ROLE elpyfi LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'elpyfi_reader') THEN
    CREATE ROLE elpyfi_reader LOGIN;
  END IF;
END
$$;

-- Belt and braces: every API session also sets this itself (coord.md), so a bug can never write.
ALTER ROLE elpyfi_reader SET default_transaction_read_only = on;

-- Tables, created as the owner so that elpyfi owns them --------------------------------------------------------
-- PostgreSQL 15 no longer lets every role create in `public`.
GRANT USAGE, CREATE ON SCHEMA public TO elpyfi;
SET ROLE elpyfi;

CREATE TABLE IF NOT EXISTS strategies (
  name        text PRIMARY KEY,
  active      boolean NOT NULL DEFAULT true,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS positions (
  id            bigserial PRIMARY KEY,
  strategy      text NOT NULL,
  symbol        text NOT NULL,
  quantity      numeric NOT NULL,
  entry_price   numeric NOT NULL,
  current_price numeric NOT NULL,
  unrealized_pl numeric NOT NULL,
  status        text NOT NULL CHECK (status IN ('open', 'closed')),
  opened_at     timestamptz NOT NULL DEFAULT now(),
  closed_at     timestamptz
);

CREATE TABLE IF NOT EXISTS signals (
  id         bigserial PRIMARY KEY,
  strategy   text NOT NULL,
  symbol     text NOT NULL,
  action     text NOT NULL CONSTRAINT check_valid_action
             CHECK (action IN ('buy', 'sell', 'hold', 'proposed')),
  confidence double precision NOT NULL,
  timestamp  timestamptz NOT NULL DEFAULT now(),
  metadata   jsonb
);
CREATE INDEX IF NOT EXISTS idx_signals_timestamp ON signals (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_signals_proposed ON signals (action, timestamp) WHERE action = 'proposed';

CREATE OR REPLACE VIEW pending_ai_proposals AS
  SELECT * FROM signals WHERE action = 'proposed' AND timestamp > NOW() - INTERVAL '1 hour';

CREATE TABLE IF NOT EXISTS strategy_metrics (
  strategy     text NOT NULL,
  date         date NOT NULL,
  total_trades integer NOT NULL,
  win_rate     double precision NOT NULL,
  profit_loss  numeric NOT NULL,
  sharpe_ratio double precision,
  max_drawdown double precision,
  PRIMARY KEY (strategy, date)
);

CREATE TABLE IF NOT EXISTS pdt_tracking (
  week_start       date PRIMARY KEY,
  trades_used      integer NOT NULL,
  trades_remaining integer NOT NULL
);

-- Tables the engine adds later are readable by the API without another grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO elpyfi_reader;

RESET ROLE;

-- Grants for the reader: the schema, every table and the view; nothing else ----------------------------------------
GRANT CONNECT ON DATABASE elpyfi TO elpyfi_reader;
GRANT USAGE ON SCHEMA public TO elpyfi_reader;
GRANT SELECT ON strategies, positions, signals, pending_ai_proposals, strategy_metrics, pdt_tracking
  TO elpyfi_reader;
