"""The running test stack, as deploy/test describes it in ELPYFI_TEST_* variables (coord.md "Test harness").

Plain Python, no pytest: conftest.py turns it into fixtures, and a script can use it too.

- `Stack.from_env()`: URLs, keys, owner DSN, run dir, control script.
- `Stack.ctl(cmd)`: runs `$ELPYFI_TEST_CTL cmd` (pg-stop, pg-start, stream-stop, stream-start, stream-kill-term,
  nginx-reload, nginx-test) and returns its stdout; raises `CtlError` with the script's output if it fails.
- `Stack.connect()`: a psycopg connection (autocommit, owner role) with row helpers (`Db`).
- `Logs`: the run dir's log files, whole or only what was written after a `mark()`.
- `saved(run_dir, name)`: a variable deploy/ saved in the run dir's stack.env (BIN_DIR, DOC_ROOT, ...).
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import subprocess
import time
from dataclasses import dataclass

import psycopg

_REQUIRED = ("ELPYFI_TEST_BASE_URL", "ELPYFI_TEST_API_KEY", "ELPYFI_TEST_DSN", "ELPYFI_TEST_RUN_DIR", "ELPYFI_TEST_CTL")


def saved(run_dir, name: str) -> str | None:
    """A variable of the stack as deploy/lib/stack.sh saved it (`NAME=value`, shell-quoted), or None.

    Extra nginx instances a test starts must serve what the stack serves: when the checkout is closed to the
    service user (a clone under /root or in a 0700 temp dir), deploy/ stages readable copies (BIN_DIR=$RUN/bin,
    DOC_ROOT=$RUN/docroot), and the checkout's own files would be 404 to nginx's workers."""
    text = (pathlib.Path(run_dir) / "stack.env").read_text()
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key == name:
            words = shlex.split(value)
            return words[0] if words else ""
    return None


class CtlError(RuntimeError):
    """The control script failed; the message carries its exit status and output."""


def missing_env() -> list[str]:
    """The harness variables that are not set (empty list inside deploy/test)."""
    return [name for name in _REQUIRED if not os.environ.get(name)]


@dataclass(frozen=True)
class Stack:
    """Where the stack is and how to reach it (all from the environment deploy/test exports)."""

    base_url: str
    tls_url: str
    ws_url: str
    api_key: str
    hashed_key: str
    rate_key: str
    dsn: str
    run_dir: pathlib.Path
    ctl_path: str

    @classmethod
    def from_env(cls, env=os.environ) -> "Stack":
        return cls(
            base_url=env["ELPYFI_TEST_BASE_URL"].rstrip("/"),
            tls_url=env.get("ELPYFI_TEST_TLS_URL", "https://127.0.0.1:19443").rstrip("/"),
            ws_url=env.get("ELPYFI_TEST_WS_URL", "ws://127.0.0.1:19002").rstrip("/"),
            api_key=env["ELPYFI_TEST_API_KEY"],
            hashed_key=env.get("ELPYFI_TEST_HASHED_KEY", ""),
            rate_key=env.get("ELPYFI_TEST_RATE_KEY", ""),
            dsn=env["ELPYFI_TEST_DSN"],
            run_dir=pathlib.Path(env["ELPYFI_TEST_RUN_DIR"]),
            ctl_path=env["ELPYFI_TEST_CTL"],
        )

    # -- control ------------------------------------------------------------------------------------------------

    def ctl(self, cmd: str, *args: str, timeout: float = 90.0) -> str:
        """Run the control script; return its stdout (stripped). Raises CtlError on a non-zero exit."""
        proc = subprocess.run([self.ctl_path, cmd, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise CtlError(f"{self.ctl_path} {cmd} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc.stdout.strip()

    def stream_kill_term(self) -> int:
        """SIGTERM the sidecar, wait until it has exited, and return its exit status."""
        return int(self.ctl("stream-kill-term").splitlines()[-1])

    # -- database -----------------------------------------------------------------------------------------------

    def connect(self, retry_seconds: float = 10.0) -> "Db":
        """An autocommit connection as the owner role (writes allowed); retries while PostgreSQL starts."""
        deadline = time.monotonic() + retry_seconds
        while True:
            try:
                return Db.connect(self.dsn, autocommit=True, connect_timeout=3)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    # -- logs ---------------------------------------------------------------------------------------------------

    def logs(self) -> "Logs":
        return Logs(self.run_dir)


class Db(psycopg.Connection):
    """psycopg connection with small helpers for the rows tests insert. Every helper returns the new id (if any)."""

    def insert_strategy(self, name: str, active: bool = True, description: str | None = None) -> None:
        self.execute("INSERT INTO strategies (name, active, description) VALUES (%s, %s, %s)",
                     (name, active, description))

    def insert_signal(self, strategy: str, symbol: str = "SYM", action: str = "buy", confidence: float = 0.5,
                      timestamp: str | None = None, metadata: object = None) -> int:
        """`timestamp` is SQL text for timestamptz (None = now()); `metadata` a JSON-able value or None (NULL)."""
        meta = None if metadata is None else json.dumps(metadata)
        row = self.execute(
            "INSERT INTO signals (strategy, symbol, action, confidence, timestamp, metadata) "
            "VALUES (%s, %s, %s, %s, COALESCE(%s::timestamptz, now()), %s::jsonb) RETURNING id",
            (strategy, symbol, action, confidence, timestamp, meta)).fetchone()
        return row[0]

    def insert_position(self, strategy: str, symbol: str = "SYM", quantity: str = "1", entry_price: str = "1",
                        current_price: str = "1", unrealized_pl: str = "0", status: str = "open") -> int:
        """Numeric columns as SQL text, so their digits are stored exactly as written."""
        row = self.execute(
            "INSERT INTO positions (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, "
            "closed_at) VALUES (%s, %s, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s, "
            "CASE WHEN %s = 'closed' THEN now() END) RETURNING id",
            (strategy, symbol, quantity, entry_price, current_price, unrealized_pl, status, status)).fetchone()
        return row[0]

    def delete_strategy_rows(self, strategy: str) -> None:
        """Remove every row a test inserted under its own strategy name."""
        for table, column in (("signals", "strategy"), ("positions", "strategy"),
                              ("strategy_metrics", "strategy"), ("strategies", "name")):
            self.execute(f"DELETE FROM {table} WHERE {column} = %s", (strategy,))  # noqa: S608 (constant names)

    def notify(self, payload: object, channel: str = "trading_events") -> None:
        """pg_notify on the engine's channel; a dict/list is sent as JSON, a str as it is."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.execute("SELECT pg_notify(%s, %s)", (channel, text))


class Logs:
    """The log files of a run dir: nginx access/error, worker and sidecar stderr, PostgreSQL."""

    def __init__(self, run_dir: pathlib.Path):
        self.run_dir = pathlib.Path(run_dir)

    def files(self) -> list[pathlib.Path]:
        return sorted(p for p in self.run_dir.glob("*.log") if p.is_file())

    def read(self, pattern: str = "*.log") -> dict[str, str]:
        """{file name: content} for the run dir's files matching `pattern`."""
        return {p.name: p.read_text(errors="replace") for p in sorted(self.run_dir.glob(pattern)) if p.is_file()}

    def mark(self) -> dict[str, int]:
        """Current sizes, to read only what is written afterwards (`since`)."""
        return {p.name: p.stat().st_size for p in self.files()}

    def since(self, mark: dict[str, int], pattern: str = "*.log") -> dict[str, str]:
        out = {}
        for p in sorted(self.run_dir.glob(pattern)):
            if p.is_file():
                with p.open("rb") as f:
                    f.seek(mark.get(p.name, 0))
                    out[p.name] = f.read().decode("utf-8", "replace")
        return out

    def access_entries(self, mark: dict[str, int] | None = None) -> list[dict]:
        """The nginx access log lines (JSON, see nginx/snippets/logging.conf), all or since `mark`."""
        text = (self.since(mark, "nginx-access.log") if mark else self.read("nginx-access.log")).get(
            "nginx-access.log", "")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def logged(self, mark: dict[str, int] | None, responses, timeout: float = 30.0) -> list[dict]:
        """The access log entries since `mark`, once every response in `responses` (anything with `.headers`, or
        request ids) has its line: nginx writes a request's line after it sent the answer, so the client may hold
        the answer before the line exists. Waits for that state; never for a fixed time."""
        return wait_for_entries(lambda: self.access_entries(mark), request_ids(responses), timeout)


def request_ids(responses) -> set[str]:
    """X-Request-Id of each response (or the ids themselves)."""
    ids = set()
    for r in responses:
        rid = r if isinstance(r, str) else (r.headers.get("X-Request-Id") or r.headers.get("x-request-id"))
        assert rid, f"an answer without X-Request-Id: {r}"
        ids.add(rid)
    return ids


def wait_for_entries(read, ids: set[str], timeout: float = 30.0, what: str = "") -> list[dict]:
    """read() (access log entries) once it holds an entry for every request id in `ids`; AssertionError naming the
    missing ones after `timeout` (a bound that only a lost line reaches, not a slow machine)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = read()
        missing = ids - {e.get("request_id") for e in entries}
        if not missing:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"no access log line for {sorted(missing)} {what}".strip())
        time.sleep(0.05)

