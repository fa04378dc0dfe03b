"""Shared fixtures of the end-to-end suite (deploy/test starts the stack and exports ELPYFI_TEST_*).

Fixtures: stack, base_url, tls_url, ws_url, api_key, hashed_key, rate_key, dsn, run_dir, ctl, db, read_logs, logs,
fast_ping_url.
`db` is a fresh autocommit owner connection per test (a test may stop PostgreSQL, so none is shared).
Run the suite through deploy/test; run one file with `deploy/test Tests/EndToEnd/test_deploy.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from stack import Logs, Stack, missing_env  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "run_last: runs after every other test (e.g. checks over the whole run's logs)")
    missing = missing_env()
    if missing:
        raise pytest.UsageError(
            f"{', '.join(missing)} not set: run the end-to-end tests through deploy/test (it starts the stack)")


def pytest_collection_modifyitems(session, config, items):
    """Tests marked run_last go to the end, in their order (the log checks must see every other test's lines)."""
    items.sort(key=lambda item: item.get_closest_marker("run_last") is not None)


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack.from_env()


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    """http://127.0.0.1:19002: nginx, plain HTTP."""
    return stack.base_url


@pytest.fixture(scope="session")
def tls_url(stack) -> str:
    """https://127.0.0.1:19443: nginx, TLS (self-signed certificate)."""
    return stack.tls_url


@pytest.fixture(scope="session")
def ws_url(stack) -> str:
    """ws://127.0.0.1:19002: WebSockets through nginx."""
    return stack.ws_url


@pytest.fixture(scope="session")
def api_key(stack) -> str:
    """A valid key, configured in plaintext (ELPYFI_API_KEYS)."""
    return stack.api_key


@pytest.fixture(scope="session")
def hashed_key(stack) -> str:
    """A valid key, configured only by its SHA-256 (ELPYFI_API_KEY_HASHES)."""
    return stack.hashed_key


@pytest.fixture(scope="session")
def rate_key(stack) -> str:
    """A valid key reserved for the 429 test (nobody else may spend its budget)."""
    return stack.rate_key


@pytest.fixture(scope="session")
def dsn(stack) -> str:
    """Owner DSN (writes allowed)."""
    return stack.dsn


@pytest.fixture(scope="session")
def run_dir(stack) -> str:
    """The stack's run dir: logs (nginx-access.log, nginx-error.log, fcgi-N.log, stream.log, postgres.log)."""
    return str(stack.run_dir)


@pytest.fixture(scope="session")
def ctl(stack):
    """ctl("pg-stop") etc.: runs $ELPYFI_TEST_CTL, returns its stdout, raises CtlError if it fails.
    ctl.stream_kill_term() returns the sidecar's exit status."""

    def run(cmd: str, *args: str, timeout: float = 90.0) -> str:
        return stack.ctl(cmd, *args, timeout=timeout)

    run.stream_kill_term = stack.stream_kill_term
    return run


@pytest.fixture
def db(stack):
    """Autocommit psycopg connection as the owner, with insert_* / notify helpers (stack.Db)."""
    conn = stack.connect()
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def logs(stack) -> Logs:
    """The run dir's logs: read(), mark() / since(mark), access_entries()."""
    return stack.logs()


@pytest.fixture(scope="session")
def read_logs(logs):
    """read_logs(pattern="*.log") -> {file name: content}."""
    return logs.read


@pytest.fixture(scope="module")
def fast_ping_url(tmp_path_factory, run_dir) -> str:
    """http:// of an nginx (deploy/render-nginx) in front of a sidecar of its own that pings every 2 s and drops a
    client silent for 5 s, for the keep-alive tests. The suite's sidecar keeps the defaults (30 s / 75 s): a tight
    ping would drop the clients other tests keep from reading on purpose before the bound they test is reached."""
    from stack import saved
    from extra_processes import extra_nginx, free_port, wait_port

    out = tmp_path_factory.mktemp("fast-ping")
    os.chmod(out, 0o755)
    port = free_port()
    env = {**os.environ, "ELPYFI_STREAM_LISTEN": f"127.0.0.1:{port}", "ELPYFI_STREAM_PING_SECONDS": "2",
           "ELPYFI_STREAM_PING_TIMEOUT_SECONDS": "5"}
    log = out / "stream.log"
    binary = os.path.join(saved(run_dir, "BIN_DIR") or "", "elpyfi-stream")
    sidecar = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}"], env=env, cwd=out, stdin=subprocess.DEVNULL,
                               stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        wait_port(port, sidecar, log)
        (out / "nginx").mkdir()
        os.chmod(out / "nginx", 0o755)
        nginx = extra_nginx(out / "nginx", run_dir, {"ELPYFI_STREAM_LISTEN": f"127.0.0.1:{port}",
                                                        "ELPYFI_STREAM_UPSTREAMS": f"127.0.0.1:{port}"})
        try:
            yield f"http://127.0.0.1:{next(nginx)}"
        finally:
            nginx.close()
    finally:
        sidecar.terminate()
        sidecar.wait(15)
