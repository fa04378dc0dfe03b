# shellcheck shell=bash
# packages.sh: install missing Debian packages (one apt-get update per run) and Python test dependencies.

APT_UPDATED=${APT_UPDATED:-0}

# ensure_apt PKG...: installs the packages that are not installed yet; says so in one line.
ensure_apt() {
    local missing=() pkg sudo=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step "apt packages present ($*)"
        return
    fi
    if ! is_root; then
        command -v sudo >/dev/null || die "missing packages ${missing[*]}: run as root or install them"
        sudo=(sudo)
    fi
    step "installing apt packages: ${missing[*]}"
    if [ "$APT_UPDATED" != 1 ]; then
        "${sudo[@]}" apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages the stack needs at run time and to build. pkg-config: the CLibPQ, CFastCGI and CLibCrypto
# system-library targets find their headers with it (libpq-fe.h lives in /usr/include/postgresql, not on the
# default path). libssl-dev (libcrypto, for SHA-256) comes with libpq-dev too; listed because we link it directly.
ensure_stack_packages() {
    ensure_apt libfcgi-dev libpq-dev libssl-dev pkg-config nginx postgresql-15 postgresql-client-15 openssl curl ca-certificates \
        gettext-base python3 util-linux
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN"
    command -v swift >/dev/null || die "the Swift 6 toolchain is not on PATH (swift.org/install)"
}

# ensure_pip MODULE=PACKAGE...: pip-installs the packages whose module does not import.
ensure_pip() {
    local missing=() pair
    for pair in "$@"; do
        python3 -c "import ${pair%%=*}" 2>/dev/null || missing+=("${pair#*=}")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step "python packages present"
        return
    fi
    step "installing python packages: ${missing[*]}"
    python3 -m pip --version >/dev/null 2>&1 || ensure_apt python3-pip
    local pip=(python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore)
    # Debian's own python3 is "externally managed" (PEP 668); a pyenv/venv python is not.
    "${pip[@]}" "${missing[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages "${missing[@]}"
}
