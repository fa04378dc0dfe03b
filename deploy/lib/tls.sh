# shellcheck shell=bash
# tls.sh: a self-signed certificate for localhost, made once and kept while it is valid for another day.

# make_cert DIR: DIR/cert.pem + DIR/key.pem (EC P-256, SAN localhost + 127.0.0.1), readable by the service user.
make_cert() {
    local dir=$1
    if [ -s "$dir/cert.pem" ] && openssl x509 -checkend 86400 -noout -in "$dir/cert.pem" >/dev/null 2>&1; then
        step "TLS certificate present ($dir)"
        return
    fi
    step "creating self-signed TLS certificate in $dir"
    svc_dir "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
        -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || die "openssl could not create a certificate"
    chmod 600 "$dir/key.pem"
    if is_root; then chown "$SVC_USER:" "$dir/key.pem" "$dir/cert.pem"; fi
}
