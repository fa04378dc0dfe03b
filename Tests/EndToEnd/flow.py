"""A paced writer to the test database, on a thread of its own (the engine's changes, as tests need them).

No tests here."""

from __future__ import annotations

import threading
import time

from stack import Db
from test_stream_support import wait_for


class Flow(threading.Thread):
    """Calls step(db) `rate` times a second, from a connection of its own, until `stopping` is set; then end(db).
    `count` counts the steps done; a failure is kept in `error` for the test thread to report."""

    def __init__(self, dsn: str, rate: float):
        super().__init__(daemon=True)
        self.dsn, self.rate = dsn, rate
        self.count = 0
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def step(self, db: Db) -> None:
        raise NotImplementedError

    def end(self, db: Db) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            with Db.connect(self.dsn, autocommit=True, connect_timeout=10) as db:
                due = time.monotonic()
                while not self.stopping.is_set():
                    self.step(db)
                    self.count += 1
                    due += 1 / self.rate  # a pace, not a bound: a slow machine only sends later
                    self.stopping.wait(max(0.0, due - time.monotonic()))
                self.end(db)
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            self.error = error

    def wait_for_more(self, count: int) -> None:
        """Until `count` more steps than now are done (so that they land in the window being tested)."""
        target = self.count + count
        wait_for(lambda: self.count >= target or self.error, 30, what=f"{count} more steps of {type(self).__name__}")
        assert self.error is None, self.error
