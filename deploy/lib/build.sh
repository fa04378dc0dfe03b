# shellcheck shell=bash
# build.sh: release build of both executables; the full compiler output goes to a log, one line to the screen.

BIN_DIR=${BIN_DIR:-$ELPYFI_ROOT/.build/release}

# build_release LOG: `swift build -c release` unless ELPYFI_SKIP_BUILD=1 (reuse the binaries already built).
build_release() {
    local log=$1
    if [ "${ELPYFI_SKIP_BUILD:-0}" = 1 ]; then
        step "build skipped (ELPYFI_SKIP_BUILD=1), using $BIN_DIR"
    else
        step "building release binaries (swift build -c release, log: $log)"
        local t0=$SECONDS
        if ! (cd "$ELPYFI_ROOT" && swift build -c release) >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            die "swift build failed (full log: $log)"
        fi
        step "built in $((SECONDS - t0)) s"
    fi
    [ -x "$BIN_DIR/elpyfi-fcgi" ] || die "$BIN_DIR/elpyfi-fcgi is missing"
}
