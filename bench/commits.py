"""When an action committed, seen from outside: another connection polls the served process's
database until the action's row is there.

A commit is the moment the change becomes visible to every other connection; that is what a
recipient's notice must follow. The server's own clock cannot say it from the outside, and
the rows' timestamps are taken before the commit (inside the transaction), so a bench
connection of its own asks, every millisecond, whether the action's row is there yet: the
commit fell between the start of the last poll that did not see it and the start of the first
that did (a few milliseconds on these machines). Times are `time.perf_counter()`, the clock
the sockets' arrivals are read on.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Seen:
    #: perf_counter at the start of the last poll that did not see the row: the commit is after.
    before: float
    #: perf_counter at the start of the first poll that saw it: the commit is before.
    after: float

    @property
    def resolution_ms(self) -> float:
        return (self.after - self.before) * 1000


class CommitWatch:
    """A connection of the bench's own to a served database (`DATABASE_URL`, or the SQLite file
    `SQLITE_PATH`, read-only: WAL lets it read while the server writes)."""

    INTERVAL = 0.001  # s between polls
    TIMEOUT = 60.0  # s: give up

    def __init__(self, env: dict[str, str]) -> None:
        url = env.get("DATABASE_URL", "")
        self.connection: Any
        if url:
            import psycopg

            self.connection = psycopg.connect(url, autocommit=True)
            self.placeholder = "%s"
        else:
            self.connection = sqlite3.connect(
                f"file:{env['SQLITE_PATH']}?mode=ro",
                uri=True,
                isolation_level=None,  # autocommit: each poll reads the latest commit
                check_same_thread=False,
            )
            self.placeholder = "?"
        self.postgres = bool(url)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()

    def start(self, sql: str, params: tuple[Any, ...]) -> Watch:
        """Poll `sql` (a `%s` placeholder per parameter) from now until it returns a row."""
        return Watch(self, sql.replace("%s", self.placeholder), params)


class Watch:
    def __init__(self, owner: CommitWatch, sql: str, params: tuple[Any, ...]) -> None:
        self.owner, self.sql, self.params = owner, sql, params
        self.seen: Seen | None = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="commit-watch", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        deadline = time.perf_counter() + self.owner.TIMEOUT
        last_miss = time.perf_counter()
        try:
            while not self._stop.is_set() and time.perf_counter() < deadline:
                started = time.perf_counter()
                row = self.owner.connection.execute(self.sql, self.params).fetchone()
                if row is not None:
                    self.seen = Seen(before=last_miss, after=started)
                    return
                last_miss = started
                time.sleep(self.owner.INTERVAL)
        except Exception as error:  # kept for the caller: the figure is then missing
            self.error = error

    def result(self, timeout: float = 30) -> Seen | None:
        """When the row appeared, once it has; None if it never did or polling failed (`error`
        says why)."""
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join(5)
        return self.seen
