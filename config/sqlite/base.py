"""SQLite, the embedded default, with fair write transactions.

SQLite lets one connection write at a time. Waiting writers poll in SQLite's busy handler, which
sleeps in growing steps and is not fair: a newcomer often gets the lock before a writer that has
waited long, so under load some requests wait many times longer than others and finally fail
with "database is locked".

Here every write transaction of the process queues in one first-come, first-served lock, taken
before BEGIN IMMEDIATE and released at COMMIT or ROLLBACK (or when the connection closes); a
write statement outside a transaction (autocommit) takes it for the statement. Waiting is in
arrival order and SQLite's busy handler is left to arbitrate between processes only (the timer
dispatcher beside the server). Settings: ENGINE "config.sqlite", OPTIONS as for Django's sqlite3
backend; OPTIONS["timeout"] also bounds the wait in the queue.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base as sqlite3

#: Statements that never write: they need no place in the queue.
_READING = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


class FairLock:
    """A first-come, first-served lock: `release()` hands it to the longest waiter.

    Not reentrant. `acquire(timeout)` returns False if the lock was not handed over in time.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait timed out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # stays held: ownership passes to the next one
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        """How many are queued (for tests and diagnostics)."""
        with self._mutex:
            return len(self._waiters)


_locks: dict[str, FairLock] = {}
_locks_mutex = threading.Lock()


def write_lock_for(name: str) -> FairLock:
    """The process's one queue of writers of the database file `name`."""
    with _locks_mutex:
        return _locks.setdefault(str(name), FairLock())


class DatabaseWrapper(sqlite3.DatabaseWrapper):
    _write_lock_held = False
    _cursor_class: type | None = None

    @property
    def write_lock(self) -> FairLock:
        return write_lock_for(self.settings_dict["NAME"])

    def _write_lock_acquire(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 30))
        started = time.monotonic()
        if not self.write_lock.acquire(timeout):
            waited = time.monotonic() - started
            raise OperationalError(
                f"database is locked (waited {waited:.1f} s behind other writers)"
            )
        self._write_lock_held = True

    def _write_lock_release(self) -> None:
        if self._write_lock_held:
            self._write_lock_held = False
            self.write_lock.release()

    # Transactions: every one is a write transaction (BEGIN IMMEDIATE, settings).

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._write_lock_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._write_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._write_lock_release()

    # Writes in autocommit mode, outside any transaction: one statement in the queue.

    def create_cursor(self, name: str | None = None) -> Any:
        if self._cursor_class is None:
            self._cursor_class = _cursor_class_for(self)
        return self.connection.cursor(factory=self._cursor_class)

    def _autocommit_write(self, query: str) -> bool:
        return (
            not self._write_lock_held
            and not self.in_atomic_block
            and not query.lstrip()[:9].upper().startswith(_READING)
        )


def _cursor_class_for(wrapper: DatabaseWrapper) -> type:
    owner = weakref.ref(wrapper)

    class FairCursor(sqlite3.SQLiteCursorWrapper):
        def execute(self, query: str, params: Any = None) -> Any:
            return self._in_turn(query, super().execute, query, params)

        def executemany(self, query: str, param_list: Any) -> Any:
            return self._in_turn(query, super().executemany, query, param_list)

        def _in_turn(self, query: str, run: Any, *args: Any) -> Any:
            database = owner()
            if database is None or not database._autocommit_write(query):
                return run(*args)
            database._write_lock_acquire()
            try:
                return run(*args)
            finally:
                database._write_lock_release()

    return FairCursor
