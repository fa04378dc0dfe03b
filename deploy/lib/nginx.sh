# shellcheck shell=bash
# nginx.sh: render, check, start, reload and stop an unprivileged nginx whose prefix, pid and logs are in $RUN.

NGINX_DIR_NAME=nginx

nginx_args() { printf '%s\n' -p "$RUN/$NGINX_DIR_NAME" -c "$RUN/$NGINX_DIR_NAME/nginx.conf" -e "$RUN/nginx-error.log"; }

# nginx_render: deploy/render-nginx into $RUN/nginx for this stack's workers, sidecar, ports and certificate.
nginx_render() {
    local socks="" i
    for ((i = 1; i <= WORKERS; i++)); do socks+="${socks:+,}$RUN/fcgi-$i.sock"; done
    ELPYFI_FCGI_UPSTREAMS=$socks ELPYFI_NGINX_RUN_DIR=$RUN ELPYFI_DOC_ROOT=$DOC_ROOT \
        ELPYFI_TLS_CERT=$RUN/tls/cert.pem ELPYFI_TLS_KEY=$RUN/tls/key.pem \
        "$ELPYFI_DEPLOY/render-nginx" "$RUN/$NGINX_DIR_NAME"
    svc_dir "$RUN/nginx-tmp"
}

# nginx_check: `nginx -t` as the service user (as root it would create root-owned log files nginx cannot reopen).
nginx_check() {
    local out
    mapfile -t args < <(nginx_args)
    if ! out=$(as_svc nginx -t "${args[@]}" 2>&1); then
        printf '%s\n' "$out" >&2
        die "nginx -t failed on $RUN/$NGINX_DIR_NAME/nginx.conf"
    fi
    step "nginx -t: configuration OK"
}

nginx_pid() {
    local pid
    [ -s "$RUN/nginx.pid" ] || return 1
    pid=$(cat "$RUN/nginx.pid")
    kill -0 "$pid" 2>/dev/null && grep -q nginx "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

nginx_start() {
    mapfile -t args < <(nginx_args)
    need_port "nginx HTTP" "$ELPYFI_PORT"
    need_port "nginx TLS" "$ELPYFI_TLS_PORT"
    need_port "nginx ops" "${ELPYFI_OPS_LISTEN##*:}" "${ELPYFI_OPS_LISTEN%:*}"
    step "starting nginx on :$ELPYFI_PORT (HTTP), :$ELPYFI_TLS_PORT (TLS) and $ELPYFI_OPS_LISTEN (ops, Prometheus)"
    (cd "$RUN" && as_svc nginx "${args[@]}") || die "nginx did not start: see $RUN/nginx-error.log"
    wait_for 5 nginx_pid || die "nginx did not start: see $RUN/nginx-error.log"
}

nginx_reload() {
    local pid
    pid=$(nginx_pid) || die "nginx is not running"
    kill -HUP "$pid"
    step "nginx reloaded"
}

nginx_stop() {
    local pid
    pid=$(nginx_pid) || return 0
    step "stopping nginx"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 10 not_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
}
