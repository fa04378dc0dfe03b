"""Ports and processes a test starts beside the suite's stack: a free port, an extra nginx rendered from the
project's own templates (deploy/render-nginx) with settings of the test's choosing, and a wait for a port to open.

No tests here."""

from __future__ import annotations

import os
import pathlib
import random
import shutil
import socket
import subprocess
import time

from stack import saved

REPO = pathlib.Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nothing holds, below Linux's ephemeral range (32768+), so no outgoing connection takes it meanwhile."""
    for _ in range(500):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 20000..32000")


def start_extra_nginx(out: pathlib.Path, run_dir: str, settings: dict) -> tuple[subprocess.Popen, int] | None:
    """Renders and starts an extra nginx with `settings`; (process, HTTP port) once it runs, None if it could not bind."""
    port = free_port()
    env = {**os.environ, "ELPYFI_PORT": str(port), "ELPYFI_TLS_PORT": str(free_port()),
           "ELPYFI_OPS_LISTEN": f"127.0.0.1:{free_port()}",
           "ELPYFI_FCGI_UPSTREAMS": f"{run_dir}/fcgi-1.sock", "ELPYFI_NGINX_RUN_DIR": str(out),
           "ELPYFI_TLS_CERT": f"{run_dir}/tls/cert.pem", "ELPYFI_TLS_KEY": f"{run_dir}/tls/key.pem",
           "ELPYFI_DOC_ROOT": saved(run_dir, "DOC_ROOT") or str(REPO), **settings}
    conf = out / "conf"
    subprocess.run([str(REPO / "deploy" / "render-nginx"), str(conf)], env=env, check=True, capture_output=True)
    (out / "nginx.pid").unlink(missing_ok=True)
    # As root, nginx's workers need a user to switch to (the rendered nginx.conf names none);
    # elpyfi-dev (the stack's service user, made by deploy/) owns the workers' 0660 sockets.
    globals_ = "daemon off;" + (" user elpyfi-dev;" if os.geteuid() == 0 else "")
    proc = subprocess.Popen(["nginx", "-p", str(conf), "-c", str(conf / "nginx.conf"), "-e", str(out / "error.log"),
                             "-g", globals_], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    # The pid file is written once every listening socket is bound (one port may be open while nginx still
    # retries another, then gives up).
    deadline = time.monotonic() + 15
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "nginx.pid").exists():
            return proc, port
        time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    return None


def extra_nginx(out: pathlib.Path, run_dir: str, settings: dict):
    """Yields the port of an extra nginx rendered with `settings` (which may override its upstreams, e.g.
    ELPYFI_FCGI_UPSTREAMS / ELPYFI_STREAM_LISTEN); stops it (and drops its RAM caches) afterwards."""
    for _ in range(3):  # a port taken between the check and nginx's bind: try others
        started = start_extra_nginx(out, run_dir, settings)
        if started:
            break
    else:
        raise RuntimeError(f"the extra nginx did not start: {(out / 'nginx-error.log').read_text()[-2000:]}")
    proc, port = started
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(f"/dev/shm/elpyfi-microcache-{port}", ignore_errors=True)
        shutil.rmtree(f"/dev/shm/elpyfi-public-cache-{port}", ignore_errors=True)


def wait_port(port: int, proc: subprocess.Popen, log: pathlib.Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} never opened: {log.read_text()[-2000:]}")
