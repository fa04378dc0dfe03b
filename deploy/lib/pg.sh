# shellcheck shell=bash
# pg.sh: a private PostgreSQL 15 cluster under the run dir, run by the service user (postgres refuses root).
# Expects PGDATA_DIR, PG_PORT, PG_SOCK_DIR, PG_LOG, and optionally PG_EXTRA_OPTS (e.g. fsync=off for tests).

# Superuser connection over loopback (trust auth, see pg_init).
pg_psql() {
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" "$@"
}

# pg_reader_url: the API processes' DSN for this cluster: the SELECT-only elpyfi_reader, through the cluster's Unix
# socket rather than loopback TCP (the database is on this host; a round trip over the socket costs the worker and
# PostgreSQL less kernel time: bench/RESULTS.md, issue 19, worker 56 -> 45 µs per /positions request).
pg_reader_url() {
    echo "postgresql://elpyfi_reader@/elpyfi?host=$PG_SOCK_DIR&port=$PG_PORT"
}

pg_running() {
    as_svc "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

# pg_init: initdb once (keeps an existing cluster and its data); trust for local socket and loopback only.
pg_init() {
    if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
        step "postgres cluster exists ($PGDATA_DIR)"
        return
    fi
    step "creating postgres cluster in $PGDATA_DIR"
    svc_dir "$PGDATA_DIR"
    chmod 700 "$PGDATA_DIR"
    as_svc "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --no-locale >"$PG_LOG.initdb" 2>&1 ||
        die "initdb failed: see $PG_LOG.initdb"
}

# pg_start: listens on 127.0.0.1:$PG_PORT and a Unix socket in $PG_SOCK_DIR; waits until it accepts connections.
pg_start() {
    if pg_running; then
        step "postgres already running (port $PG_PORT)"
        return
    fi
    need_port postgres "$PG_PORT"
    step "starting postgres on 127.0.0.1:$PG_PORT"
    svc_dir "$PG_SOCK_DIR"
    touch "$PG_LOG"
    if is_root; then chown "$SVC_USER:" "$PG_LOG"; fi
    as_svc "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -s -w -t 60 \
        -o "-p $PG_PORT -k $PG_SOCK_DIR -c listen_addresses=127.0.0.1 ${PG_EXTRA_OPTS:-}" start >/dev/null ||
        die "postgres did not start: see $PG_LOG"
}

pg_stop() {
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ] || ! pg_running; then
        step "postgres not running"
        return
    fi
    step "stopping postgres"
    as_svc "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -s -w -t 60 stop >/dev/null
}

# pg_create_db: the `elpyfi` database, unless it exists.
pg_create_db() {
    if [ "$(pg_psql -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'elpyfi'")" = 1 ]; then
        step "database elpyfi exists"
        return 0
    fi
    step "creating database elpyfi"
    pg_psql -U postgres -d postgres -c 'CREATE DATABASE elpyfi'
}

# pg_tables_empty: no engine rows at all (a new database, or one whose demo load was interrupted).
pg_tables_empty() {
    [ "$(pg_psql -U postgres -d elpyfi -tAc 'SELECT (SELECT count(*) FROM strategies) + (SELECT count(*) FROM positions)
        + (SELECT count(*) FROM signals) + (SELECT count(*) FROM strategy_metrics)')" = 0 ]
}

# pg_load_schema: roles, tables, view, grants (idempotent).
pg_load_schema() {
    step "loading deploy/schema.sql"
    pg_psql -U postgres -d elpyfi -f "$ELPYFI_DEPLOY/schema.sql" >/dev/null
}

# pg_load_demo: demo rows, written by the owner role like the engine would.
pg_load_demo() {
    step "loading deploy/demo-data.sql"
    pg_psql -U elpyfi -d elpyfi -f "$ELPYFI_DEPLOY/demo-data.sql" >/dev/null
}
