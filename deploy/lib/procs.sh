# shellcheck shell=bash
# procs.sh: start/stop long-running processes as the service user, with pid files and exit-status files.
# Expects RUN (the run dir).

# start_daemon NAME LOG CMD...: runs CMD in its own session as the service user (DAEMON_AS_SELF=1: as the caller), cwd $RUN (so no stray ./.env is
# read), stdout+stderr appended to LOG. Writes $RUN/NAME.pid now and $RUN/NAME.rc (exit status) when it ends:
# a small watcher subshell waits for it, so `stream-kill-term` can report the exit code of a process it did not start.
start_daemon() {
    local name=$1 log=$2
    shift 2
    local -a pre=()
    if is_root && [ "${DAEMON_AS_SELF:-0}" != 1 ]; then pre=(setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups --); fi
    rm -f "$RUN/$name.pid" "$RUN/$name.rc"
    (
        cd "$RUN" || exit
        "${pre[@]}" setsid "$@" >>"$log" 2>&1 </dev/null &
        echo $! >"$RUN/$name.pid.tmp"
        mv "$RUN/$name.pid.tmp" "$RUN/$name.pid"
        rc=0
        wait $! || rc=$?
        echo "$rc" >"$RUN/$name.rc"
    ) </dev/null >/dev/null 2>&1 &
    wait_for 5 test -s "$RUN/$name.pid" || die "$name did not start"
    DAEMON_T0[$name]=${EPOCHREALTIME/./}
    DAEMON_LOG[$name]=$log
}

# daemon_confirm NAME...: once at least a second has passed since each was started, each must still be running;
# otherwise its log's tail goes to stderr and the script stops (a daemon that dies at once, e.g. a missing
# module or a bad config, must not be reported as started).
daemon_confirm() {
    local name wait_us rc
    for name in "$@"; do
        wait_us=$((${DAEMON_T0[$name]:-0} + 1000000 - ${EPOCHREALTIME/./}))
        if ((wait_us > 0)); then sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))"; fi
        daemon_pid "$name" >/dev/null && continue
        wait_for 1 test -s "$RUN/$name.rc" || true
        rc=$(cat "$RUN/$name.rc" 2>/dev/null || echo unknown)
        tail -n 20 "${DAEMON_LOG[$name]:-/dev/null}" >&2
        die "$name exited right after it started (exit status $rc, log: ${DAEMON_LOG[$name]:-?})"
    done
}

# daemons_confirm_all: every worker, sidecar and demo-events with a pid file in $RUN is still running.
daemons_confirm_all() {
    local f name names=()
    for f in "$RUN"/*.pid; do
        name=$(basename "$f" .pid)
        case $name in fcgi-* | stream | stream-* | demo-events) names+=("$name") ;; esac
    done
    daemon_confirm "${names[@]}"
}

# daemon_pid NAME: prints the pid if the process of NAME.pid is alive and still runs the expected program.
daemon_pid() {
    local name=$1 pid
    [ -s "$RUN/$name.pid" ] || return 1
    pid=$(cat "$RUN/$name.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # Guards against a recycled pid: the command line must name the program this pid file is for.
    local match=${DAEMON_MATCH[$name]:-$name}
    case $name in fcgi-*) match=elpyfi-fcgi ;; stream-*) match=elpyfi-stream ;; esac
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$match" || return 1
    echo "$pid"
}

# stop_daemon NAME [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then SIGKILL. Quiet if not running.
stop_daemon() {
    local name=$1 seconds=${2:-10} pid
    if ! pid=$(daemon_pid "$name"); then
        rm -f "$RUN/$name.pid"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$seconds" not_alive "$pid"; then
        warn "$name (pid $pid) ignored SIGTERM for ${seconds}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_for 5 not_alive "$pid" || true
    fi
    rm -f "$RUN/$name.pid"
}

not_alive() { ! kill -0 "$1" 2>/dev/null; }

# What each pid file's process command line must contain (see daemon_pid).
declare -gA DAEMON_MATCH=([stream]=elpyfi-stream [demo-events]=demo-events)
# Start time (microseconds) and log of each daemon this script started (daemon_confirm).
declare -gA DAEMON_T0=() DAEMON_LOG=()
