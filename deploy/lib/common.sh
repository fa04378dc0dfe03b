# shellcheck shell=bash disable=SC2034 # variables here are used by the scripts that source this file
# common.sh: paths, one-line step output and the service user, shared by every deploy script (sourced).

ELPYFI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ELPYFI_DEPLOY=$ELPYFI_ROOT/deploy
PG_BIN=${ELPYFI_PG_BIN:-/usr/lib/postgresql/15/bin}

# One line per step on stdout; warnings and errors on stderr.
step() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# PostgreSQL refuses to run as root, so when the scripts run as root every daemon (postgres, workers, sidecar,
# nginx) runs as one unprivileged system user that owns the run dir and its sockets; nginx then needs no
# `user` directive (its master is not root) and can always reach the workers' Unix sockets.
# Not root: everything runs as the invoking user.
svc_user_init() {
    if ! is_root; then
        SVC_USER=$(id -un)
        return
    fi
    SVC_USER=${ELPYFI_SVC_USER:-elpyfi-dev}
    if ! id -u "$SVC_USER" >/dev/null 2>&1; then
        step "creating system user $SVC_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SVC_USER"
    fi
}

# svc_grant_traverse DIR: lets the service user reach DIR (its .run/ holds the cluster, sockets and logs that
# postgres, nginx and the workers use as that user) when DIR or an ancestor is closed to it, e.g. a clone under
# /root (mode 0700). Each such directory gets a traverse-only ACL entry, u:SVC_USER:x: narrower than chmod o+x
# (no other user gains anything) and without r the service user can pass through but never list. Needs ensure_apt
# (packages.sh). Undo: setfacl -x u:elpyfi-dev DIR (or setfacl -b DIR: no ACL at all, as before).
svc_grant_traverse() {
    is_root || return 0
    local dir=$1 granted=()
    local -a chain=()
    while :; do
        chain=("$dir" "${chain[@]}")
        [ "$dir" = / ] && break
        dir=$(dirname "$dir")
    done
    # Top down: whether the service user may enter a directory depends on every directory above it.
    for dir in "${chain[@]}"; do
        as_svc test -x "$dir" && continue
        if [ ${#granted[@]} -eq 0 ]; then ensure_apt acl; fi
        setfacl -m "u:$SVC_USER:x" "$dir" ||
            die "cannot set an ACL on $dir (no ACL support there?): chmod o+x $dir, or move the project"
        granted+=("$dir")
    done
    if [ ${#granted[@]} -gt 0 ]; then
        step "granted $SVC_USER traverse-only access (ACL u:$SVC_USER:x, no listing) to ${granted[*]}"
    fi
}

# Runs a command as the service user (setpriv execs, so a backgrounded call's $! is the daemon's pid).
as_svc() {
    if is_root; then
        setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- "$@"
    else
        "$@"
    fi
}

# A directory owned by the service user.
svc_dir() {
    mkdir -p "$@"
    if is_root; then chown "$SVC_USER:" "$@"; fi
}

# Polls a command for up to $1 seconds (0.2 s steps); returns its last status.
wait_for() {
    local seconds=$1 i
    shift
    for ((i = 0; i < seconds * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    "$@" >/dev/null 2>&1
}

# port_free PORT [HOST]: nothing accepts connections there (checked before starting a server on it).
port_free() { ! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# need_port NAME PORT: stops with a clear message when another process holds PORT.
need_port() { port_free "$2" || die "port $2 ($1) is already in use by another process"; }
