# shellcheck shell=bash
# keys.sh: API keys the way `elpyfi-fcgi keygen` makes them (with an openssl fallback while it is not built).

# gen_key: sets GEN_KEY (elpyfi_<43 url-safe chars>) and GEN_KEY_SHA256 (hex SHA-256 of the key).
gen_key() {
    local out=""
    if [ -x "$BIN_DIR/elpyfi-fcgi" ]; then out=$("$BIN_DIR/elpyfi-fcgi" keygen 2>/dev/null) || out=""; fi
    GEN_KEY=$(sed -n 's/^key: //p' <<<"$out")
    GEN_KEY_SHA256=$(sed -n 's/^sha256: //p' <<<"$out")
    if [ -z "$GEN_KEY" ] || [ -z "$GEN_KEY_SHA256" ]; then
        GEN_KEY="elpyfi_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')"
        GEN_KEY_SHA256=$(printf '%s' "$GEN_KEY" | sha256sum | cut -d' ' -f1)
    fi
}
