# shellcheck shell=bash
# stack.sh: the whole local stack (PostgreSQL, N workers, sidecar, demo events, nginx) in one run dir.
# Callers set the variables listed in STACK_VARS and the ELPYFI_* environment of the processes, then call
# stack_up; stack_save writes them to $RUN/stack.env so dev-down and test-ctl can act on the same stack later.

STACK_VARS=(RUN SVC_USER BIN_DIR DOC_ROOT PGDATA_DIR PG_PORT PG_SOCK_DIR PG_LOG PG_EXTRA_OPTS WORKERS THREADS
    LOAD_DEMO DEMO_EVENTS OWNER_DSN SIDECARS)
STACK_ENV=(ELPYFI_PORT ELPYFI_TLS_PORT ELPYFI_STREAM_LISTEN ELPYFI_DATABASE_URL ELPYFI_LISTEN_DATABASE_URL
    ELPYFI_API_KEYS ELPYFI_API_KEY_HASHES ELPYFI_CORS_ORIGINS ELPYFI_RATE_LIMIT ELPYFI_RATE_BURST
    ELPYFI_RATE_LIMIT_PER_ADDRESS ELPYFI_RATE_BURST_PER_ADDRESS
    ELPYFI_WS_CONN_LIMIT ELPYFI_TIMEZONE ELPYFI_STREAM_PING_SECONDS ELPYFI_STREAM_PING_TIMEOUT_SECONDS
    ELPYFI_STREAM_CLIENT_QUEUE_BYTES ELPYFI_STREAM_RING_EVENTS ELPYFI_STREAM_RING_SECONDS ELPYFI_STREAM_THREADS
    ELPYFI_STATEMENT_TIMEOUT_MS ELPYFI_DB_CONNECT_TIMEOUT ELPYFI_OPS_LISTEN ELPYFI_METRICS ELPYFI_MICROCACHE_TTL
    ELPYFI_PUBLIC_PATHS ELPYFI_PUBLIC_CACHE_TTL ELPYFI_PUBLIC_RATE_LIMIT ELPYFI_PUBLIC_RATE_BURST ELPYFI_PUBLIC_WS_PER_ADDRESS
    ELPYFI_TRUSTED_PROXIES ELPYFI_REAL_IP_HEADER ELPYFI_HSTS_MAX_AGE ELPYFI_UPSTREAM_TIMEOUT)

# stack_save: $RUN/stack.env (mode 600: it holds the keys), sourced by stack_load.
stack_save() {
    local v
    {
        for v in "${STACK_VARS[@]}"; do printf '%s=%q\n' "$v" "${!v-}"; done
        for v in "${STACK_ENV[@]}"; do
            if [ -n "${!v+set}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
        done
    } >"$RUN/stack.env"
    chmod 600 "$RUN/stack.env"
}

# stack_load DIR: the variables of a stack saved by stack_save.
stack_load() {
    [ -f "$1/stack.env" ] || die "no stack in $1 (no stack.env)"
    # shellcheck source=/dev/null
    source "$1/stack.env"
}

# stage_for_svc: the service user must be able to run the binaries and read openapi.yaml/asyncapi.yaml/web/; when the
# project lives where it cannot (e.g. under /root), copy them into the run dir.
stage_for_svc() {
    if ! as_svc test -x "$BIN_DIR/elpyfi-fcgi"; then
        step "staging binaries into $RUN/bin ($SVC_USER cannot reach $BIN_DIR)"
        svc_dir "$RUN/bin"
        cp "$BIN_DIR"/elpyfi-fcgi "$RUN/bin/"
        if [ -x "$BIN_DIR/elpyfi-stream" ]; then cp "$BIN_DIR/elpyfi-stream" "$RUN/bin/"; fi
        BIN_DIR=$RUN/bin
    fi
    if ! as_svc test -r "$DOC_ROOT/openapi.yaml" && [ -r "$DOC_ROOT/openapi.yaml" ]; then
        step "staging openapi.yaml, asyncapi.yaml and web/ into $RUN/docroot"
        svc_dir "$RUN/docroot"
        cp "$DOC_ROOT/openapi.yaml" "$RUN/docroot/"
        if [ -r "$DOC_ROOT/asyncapi.yaml" ]; then cp "$DOC_ROOT/asyncapi.yaml" "$RUN/docroot/"; fi
        if [ -d "$DOC_ROOT/web" ]; then cp -r "$DOC_ROOT/web" "$RUN/docroot/"; fi
        chmod -R a+rX "$RUN/docroot"
        DOC_ROOT=$RUN/docroot
    fi
}

# Each worker: its own Unix socket in $RUN, a log file, a pid file.
workers_start() {
    local i names=()
    step "starting $WORKERS elpyfi-fcgi workers x $THREADS threads"
    for ((i = 1; i <= WORKERS; i++)); do
        worker_spawn "$i"
        names+=("fcgi-$i")
    done
    for ((i = 1; i <= WORKERS; i++)); do worker_wait "$i"; done
    daemon_confirm "${names[@]}"
}

# worker_start N: (re)starts worker N alone (test-ctl worker-start); returns once its socket is open.
worker_start() {
    step "starting elpyfi-fcgi worker $1"
    worker_spawn "$1"
    worker_wait "$1"
    daemon_confirm "fcgi-$1"
}

worker_spawn() {
    rm -f "$RUN/fcgi-$1.sock"
    start_daemon "fcgi-$1" "$RUN/fcgi-$1.log" \
        "$BIN_DIR/elpyfi-fcgi" serve --listen "$RUN/fcgi-$1.sock" --threads "$THREADS"
}

worker_wait() {
    if ! wait_for 15 test -S "$RUN/fcgi-$1.sock"; then
        tail -n 20 "$RUN/fcgi-$1.log" >&2
        die "worker $1 did not open $RUN/fcgi-$1.sock (log: $RUN/fcgi-$1.log)"
    fi
}

# worker_stop N: SIGTERM worker N and wait (its socket file stays; nginx gets connection refused).
worker_stop() {
    step "stopping worker fcgi-$1"
    stop_daemon "fcgi-$1" 15
}

workers_stop() {
    local f name
    for f in "$RUN"/fcgi-*.pid; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .pid)
        step "stopping worker $name"
        stop_daemon "$name" 15
    done
}

# Sidecar N (1..SIDECARS, default 1) listens on ELPYFI_STREAM_LISTEN's port + N - 1 with ELPYFI_STREAM_ID=N, so that
# its epochs are `N-...` and nginx (ELPYFI_STREAM_UPSTREAMS, rendered by nginx_render) routes resumes back to it.
# Its daemon name is `stream` for N = 1 (as before several existed) and `stream-N` after.
sidecar_name() { if [ "$1" = 1 ]; then echo stream; else echo "stream-$1"; fi; }
sidecar_listen() { echo "${ELPYFI_STREAM_LISTEN%:*}:$((${ELPYFI_STREAM_LISTEN##*:} + $1 - 1))"; }
sidecar_upstreams() {
    local i list=""
    for ((i = 1; i <= ${SIDECARS:-1}; i++)); do list+="${list:+,}$(sidecar_listen "$i")"; done
    echo "$list"
}
port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# The sidecars are optional until built.
stream_start() {
    local i
    if [ ! -x "$BIN_DIR/elpyfi-stream" ]; then
        warn "$BIN_DIR/elpyfi-stream not built: WebSocket streams and /stream/health will answer 502"
        return 0
    fi
    for ((i = 1; i <= ${SIDECARS:-1}; i++)); do sidecar_start "$i"; done
}

# sidecar_start N: starts sidecar N (test-ctl stream-start N); returns once it listens.
sidecar_start() {
    local name listen
    name=$(sidecar_name "$1")
    listen=$(sidecar_listen "$1")
    need_port "elpyfi-stream $1" "${listen##*:}" "${listen%:*}"
    step "starting elpyfi-stream $1 on $listen"
    ELPYFI_STREAM_ID=$1 start_daemon "$name" "$RUN/$name.log" "$BIN_DIR/elpyfi-stream" --listen "$listen"
    if ! wait_for 15 port_open "$listen"; then
        tail -n 20 "$RUN/$name.log" >&2
        die "elpyfi-stream $1 is not listening on $listen (log: $RUN/$name.log)"
    fi
    daemon_confirm "$name"
}

stream_stop() {
    local i name
    for ((i = 1; i <= ${SIDECARS:-1}; i++)); do
        name=$(sidecar_name "$i")
        if daemon_pid "$name" >/dev/null; then step "stopping elpyfi-stream $i"; fi
        stop_daemon "$name" 15
    done
}

# deploy/demo-events (owned by the stream helper) writes rows and NOTIFYs with the owner role. It is a client,
# not a server, so it runs as the invoking user (it may need that user's python).
# Dev only (DEMO_EVENTS=1): the test stack's tables must hold nothing but what each test inserts.
demo_events_start() {
    local script=$ELPYFI_DEPLOY/demo-events
    if [ "${DEMO_EVENTS:-0}" != 1 ] || [ ! -x "$script" ]; then return 0; fi
    step "starting deploy/demo-events"
    DAEMON_AS_SELF=1 start_daemon demo-events "$RUN/demo-events.log" "$script" "$OWNER_DSN"
    daemon_confirm demo-events
}

wait_healthy() {
    step "waiting for http://127.0.0.1:$ELPYFI_PORT/health"
    wait_for 30 health_ok || die "/health is not healthy: $(curl -sS "http://127.0.0.1:$ELPYFI_PORT/health" 2>&1 || true)"
    step "healthy: $(curl -sS "http://127.0.0.1:$ELPYFI_PORT/health")"
}
health_ok() { curl -fsS --max-time 2 "http://127.0.0.1:$ELPYFI_PORT/health" | grep -q '"healthy"'; }

stack_up() {
    svc_dir "$RUN"
    stage_for_svc
    stack_save
    # nginx's config first: a malformed ELPYFI_* value (public paths, trusted proxies, ...) stops here, naming the
    # variable, before anything has started.
    make_cert "$RUN/tls"
    nginx_render
    nginx_check
    pg_init
    pg_start
    pg_create_db
    pg_load_schema
    # Demo rows only into empty tables: rerunning dev-up keeps what is there, unless ELPYFI_DEMO_RELOAD=1 asks
    # for the demo data afresh (demo-data.sql truncates first), e.g. before a benchmark: 100 open positions.
    if [ "$LOAD_DEMO" = 1 ]; then
        if pg_tables_empty || [ "${ELPYFI_DEMO_RELOAD:-0}" = 1 ]; then
            pg_load_demo
        else
            step "keeping the existing rows (no demo reload; ELPYFI_DEMO_RELOAD=1 reloads)"
        fi
    fi
    workers_start
    stream_start
    demo_events_start
    nginx_start
    wait_healthy
    # Nothing reports success over a process that has died since it started.
    daemons_confirm_all
}

# stack_down: everything stops; the cluster's data stays.
stack_down() {
    nginx_stop
    if daemon_pid demo-events >/dev/null; then step "stopping deploy/demo-events"; fi
    stop_daemon demo-events 5
    stream_stop
    workers_stop
    pg_stop
}
