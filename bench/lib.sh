# shellcheck shell=bash disable=SC2034 # variables here are used by the scripts that source this file
# lib.sh: what every bench script shares (sourced): the running dev stack's settings, the bench run dir,
# throwaway nginx instances run as the stack's service user, and /proc readers (RSS, pids).
# Reads .run/dev.env (port, key, DSNs) and .run/stack.env (run dir, service user, workers, sidecar address),
# both written by deploy/dev-up. All traffic goes to 127.0.0.1.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=../deploy/lib/common.sh
source "$ROOT/deploy/lib/common.sh"
# shellcheck source=../deploy/lib/procs.sh
source "$ROOT/deploy/lib/procs.sh" # not_alive, for stop_nginx_pid

# bench_init NAME: loads the dev stack's settings and makes bench/out/NAME (owned by the service user).
bench_init() {
    local name=$1
    if [ ! -f "$ROOT/.run/dev.env" ] || [ ! -f "$ROOT/.run/stack.env" ]; then die "no dev stack: run deploy/dev-up first"; fi
    set -a
    # shellcheck source=/dev/null
    source "$ROOT/.run/dev.env"
    set +a
    # shellcheck source=/dev/null
    source "$ROOT/.run/stack.env"
    STACK_RUN=$RUN
    API_KEY=$ELPYFI_DEV_API_KEY
    OWNER_DSN=${ELPYFI_DEV_OWNER_DATABASE_URL}
    READER_DSN=${ELPYFI_DATABASE_URL}
    curl -fsS --max-time 3 "http://127.0.0.1:$ELPYFI_PORT/health" | grep -q '"healthy"' ||
        die "the dev stack on :$ELPYFI_PORT is not healthy: run deploy/dev-up"
    OUT=$BENCH_DIR/out/$name
    rm -rf "$OUT"
    mkdir -p "$OUT"
    chmod 755 "$BENCH_DIR/out"
    if is_root; then chown -R "$SVC_USER:" "$OUT"; fi
    # Every bench process may hold many sockets; 20,000 is this machine's cap.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    BENCH_NGINX_PIDS=()
    BENCH_CACHE_DIRS=()
    trap bench_cleanup EXIT
}

# The workers' sockets, the sidecar's address and the pids of the stack's processes.
worker_socks() {
    local i socks=""
    for ((i = 1; i <= WORKERS; i++)); do socks+="${socks:+,}$STACK_RUN/fcgi-$i.sock"; done
    echo "$socks"
}
stack_pid() { # stack_pid NAME (fcgi-1, stream, ...): the live pid from the stack's pid file
    local pid
    pid=$(cat "$STACK_RUN/$1.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}
worker_pids() { local i; for ((i = 1; i <= WORKERS; i++)); do stack_pid "fcgi-$i" || true; done; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# free_port: an unused TCP port (bindable on 0.0.0.0, as nginx binds), below Linux's ephemeral range (32768+) so that
# none of the bench's own tens of thousands of client connections can take it meanwhile, and never one this run
# handed out before (they are only bound later).
BENCH_PORTS_FILE=$(mktemp /tmp/bench-ports.XXXXXX)
free_port() {
    python3 - "$BENCH_PORTS_FILE" <<'PY'
import random, socket, sys
used = set(open(sys.argv[1]).read().split())
while True:
    port = random.randint(22000, 32000)
    if str(port) in used:
        continue
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            continue
    break
open(sys.argv[1], "a").write(f"{port}\n")
print(port)
PY
}

# render_stack_nginx DIR PORT [extra env...]: the shipped config (deploy/render-nginx) on PORT, in front of the
# dev stack's workers and sidecar, with the per-key request rate raised so wrk measures speed, not the limiter.
render_stack_nginx() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    # The extra settings ("$@") come last, so they win over these defaults; its own ops listener too (the dev
    # stack's nginx holds ELPYFI_OPS_LISTEN).
    env ELPYFI_OPS_LISTEN="127.0.0.1:$(free_port)" ELPYFI_TLS_PORT="$(free_port)" ELPYFI_PORT="$port" ELPYFI_RATE_LIMIT="${BENCH_RATE_LIMIT:-1000000r/s}" \
        ELPYFI_RATE_BURST="${BENCH_RATE_BURST:-1000000}" ELPYFI_FCGI_UPSTREAMS="$(worker_socks)" \
        ELPYFI_STREAM_LISTEN="$ELPYFI_STREAM_LISTEN" ELPYFI_STREAM_UPSTREAMS="$ELPYFI_STREAM_LISTEN" \
        ELPYFI_NGINX_RUN_DIR="$dir" ELPYFI_DOC_ROOT="$DOC_ROOT" \
        ELPYFI_TLS_CERT="$STACK_RUN/tls/cert.pem" ELPYFI_TLS_KEY="$STACK_RUN/tls/key.pem" "$@" \
        "$ROOT/deploy/render-nginx" "$dir/conf" >/dev/null
    # Every request limit in the rendered copy (per key, per address, whatever the snippet holds) goes up too:
    # all of wrk's connections come from one address with one key.
    sed -i -E 's/rate=[0-9]+r\/[sm]/rate=1000000r\/s/g; s/burst=[0-9]+/burst=1000000/g' "$dir/conf/snippets/rate-limit.conf"
    if is_root; then chown -R "$SVC_USER:" "$dir"; fi
}

# start_nginx DIR CONF: a throwaway nginx (prefix DIR) as the service user; its master pid goes in BENCH_NGINX_PIDS.
start_nginx() {
    local dir=$1 conf=$2 pid
    mkdir -p "$dir/nginx-tmp"
    if is_root; then chown -R "$SVC_USER:" "$dir"; fi
    # NGINX_AS=root: nchan's module insists on creating nginx's compiled-in temp dirs (/var/lib/nginx/*).
    local -a run=(as_svc)
    if [ "${NGINX_AS:-}" = root ] && is_root; then run=(env); fi
    "${run[@]}" nginx -t -q -p "$dir" -c "$conf" -e "$dir/nginx-error.log" || die "nginx -t failed for $conf"
    "${run[@]}" nginx -p "$dir" -c "$conf" -e "$dir/nginx-error.log" || die "nginx did not start: $dir/nginx-error.log"
    wait_for 5 test -s "$dir/nginx.pid" || die "nginx wrote no pid: $dir/nginx-error.log"
    pid=$(cat "$dir/nginx.pid")
    BENCH_NGINX_PIDS+=("$pid")
}

stop_nginx_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 10 not_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

# pause_demo_events: holds deploy/demo-events (SIGSTOP) for the rest of the run, so the bench's events and rows are the
# only ones (a demo event between a bench's would read as a gap); bench_cleanup lets it go on.
pause_demo_events() {
    BENCH_DEMO_PID=$(stack_pid demo-events || true)
    if [ -n "$BENCH_DEMO_PID" ]; then kill -STOP "$BENCH_DEMO_PID"; fi
}

# bench_demo_rows: the demo data afresh (deploy/demo-data.sql empties the tables first) with deploy/demo-events paused,
# so every run reads the same rows: the events and soaks add rows (a /positions body grew from 12.6 to 19.8 kB over a
# session) and a bigger body costs every part more per request. BENCH_KEEP_ROWS=1 measures the rows as they are.
bench_demo_rows() {
    pause_demo_events
    if [ "${BENCH_KEEP_ROWS:-0}" = 1 ]; then step "keeping the stack's rows as they are (BENCH_KEEP_ROWS=1)"; return; fi
    step "reloading the demo rows (deploy/demo-data.sql; BENCH_KEEP_ROWS=1 keeps the rows as they are)"
    psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/deploy/demo-data.sql" "$OWNER_DSN" >/dev/null || die "the demo rows did not load"
}

bench_cleanup() {
    local pid dir
    if [ -n "${BENCH_DEMO_PID:-}" ]; then kill -CONT "$BENCH_DEMO_PID" 2>/dev/null || true; fi
    rm -f "$BENCH_PORTS_FILE"
    for pid in "${BENCH_NGINX_PIDS[@]}"; do stop_nginx_pid "$pid"; done
    BENCH_NGINX_PIDS=()
    # The bench nginx's access logs reach hundreds of MB per run (one JSON line per request): not kept.
    if [ -n "${OUT:-}" ]; then find "$OUT" -name nginx-access.log -delete 2>/dev/null || true; fi
    for dir in "${BENCH_CACHE_DIRS[@]}"; do rm -rf "$dir"; done
    BENCH_CACHE_DIRS=()
}

# machine_line: nproc, CPU model, kernel, for the results header.
machine_line() {
    printf '%s cores, %s, %s, %s MB RAM' "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
        "$(uname -r)" "$(free -m | awk '/^Mem:/ {print $2}')"
}

# render_cache_nginx DIR PORT TTL: as render_stack_nginx, with the micro-cache on. Once deploy/render-nginx knows
# ELPYFI_MICROCACHE_TTL it does the work; until then the two snippets staged in bench/nginx/ are rendered here
# and included where render-nginx will include them (elpyfi.conf: zone at http level; elpyfi-server.conf).
render_cache_nginx() {
    local dir=$1 port=$2 ttl=$3 conf
    local cache_dir=/dev/shm/elpyfi-microcache-bench-$port
    BENCH_CACHE_DIRS+=("$cache_dir")
    if grep -q ELPYFI_MICROCACHE_TTL "$ROOT/deploy/render-nginx"; then
        render_stack_nginx "$dir" "$port" ELPYFI_MICROCACHE_TTL="$ttl" ELPYFI_MICROCACHE_DIR="$cache_dir"
        return
    fi
    render_stack_nginx "$dir" "$port"
    conf=$dir/conf
    # shellcheck disable=SC2016
    ELPYFI_MICROCACHE_DIR=$cache_dir envsubst '${ELPYFI_MICROCACHE_DIR}' \
        <"$BENCH_DIR/nginx/micro-cache-zone.conf" >"$conf/snippets/micro-cache-zone.conf"
    # shellcheck disable=SC2016
    ELPYFI_MICROCACHE_TTL=$ttl envsubst '${ELPYFI_MICROCACHE_TTL}' \
        <"$BENCH_DIR/nginx/micro-cache.conf" >"$conf/snippets/micro-cache.conf"
    sed -i "s|^include $conf/snippets/upstreams.conf;|&\ninclude $conf/snippets/micro-cache-zone.conf;|" "$conf/elpyfi.conf"
    sed -i "s|^include $conf/snippets/fastcgi.conf;|&\ninclude $conf/snippets/micro-cache.conf;|" "$conf/elpyfi-server.conf"
    if ! grep -q micro-cache-zone "$conf/elpyfi.conf" || ! grep -q micro-cache.conf "$conf/elpyfi-server.conf"; then
        die "could not place the micro-cache includes in $conf"
    fi
    if is_root; then chown -R "$SVC_USER:" "$dir"; fi
}
