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

Connections are kept open between requests (OPTIONS["pool"]: how many idle ones the process
keeps, 0 for none). Under ASGI every request runs in a thread of its own, so Django's per-thread
CONN_MAX_AGE never reuses a connection: each request opened the file, ran the set-up PRAGMAs and,
closing the last connection, made SQLite checkpoint the WAL and delete it — about a sixth of a
task completion's time. A closed connection that holds no transaction goes back to the process's
idle list instead, and the next thread takes it.

With connections kept open, SQLite's automatic checkpoint (at COMMIT, once the WAL holds 1,000
pages) fell on one request in about fifteen and made it several times slower than the others.
Kept connections checkpoint only as a backstop (CHECKPOINT_BACKSTOP_PAGES); a thread of the
process copies the WAL into the database file soon after commits instead (`Checkpointer`,
PASSIVE: it never waits for or blocks a reader or writer).
"""

from __future__ import annotations

import os
import sqlite3 as sqlite
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


def file_id(path: str) -> tuple[int, int] | None:
    """The file at `path` (device, inode), or None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class IdleConnections:
    """The open, unused connections to one database file, newest last.

    Each remembers the file it was opened on (device and inode): a connection to a file that
    has since been deleted or replaced (a test database made anew) is closed, not handed out.
    """

    def __init__(self, path: str, size: int) -> None:
        self.path, self.size = path, size
        self._mutex = threading.Lock()
        self._idle: list[tuple[sqlite.Connection, tuple[int, int] | None]] = []

    def file_id(self) -> tuple[int, int] | None:
        return file_id(self.path)

    def take(self) -> sqlite.Connection | None:
        current = self.file_id()
        while True:
            with self._mutex:
                if not self._idle:
                    return None
                conn, file = self._idle.pop()
            if file is not None and file == current:
                return conn
            conn.close()

    def give(self, conn: sqlite.Connection, file: tuple[int, int] | None) -> bool:
        """Keep `conn` for the next taker; False if it cannot be kept (close it then)."""
        if file is None or conn.in_transaction:
            return False
        with self._mutex:
            if len(self._idle) >= self.size:
                return False
            self._idle.append((conn, file))
        return True

    def __len__(self) -> int:
        with self._mutex:
            return len(self._idle)


_idle: dict[str, IdleConnections] = {}

#: The WAL size (pages) at which a kept connection checkpoints at COMMIT, should the process's
#: checkpointer fall behind; SQLite's default is 1,000.
CHECKPOINT_BACKSTOP_PAGES = 8000


class Checkpointer:
    """A daemon thread that checkpoints the WAL of one database file after commits.

    `nudge()` (after each commit) wakes it; it waits `delay` seconds for more commits to gather,
    then runs one PASSIVE checkpoint on a connection of its own. SQLite releases the GIL while
    it copies pages, so the requests go on meanwhile.
    """

    def __init__(self, path: str, delay: float = 0.1) -> None:
        self.path, self.delay = path, delay
        self.checkpoints = 0
        self._wake = threading.Event()
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        if self._thread is None:
            with self._mutex:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpointer", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        conn: sqlite.Connection | None = None
        opened_on: tuple[int, int] | None = None
        while True:
            self._wake.wait()
            time.sleep(self.delay)
            self._wake.clear()
            try:
                current = file_id(self.path)
                if conn is not None and opened_on != current:
                    # The file was replaced (a test database made anew): follow the new one.
                    conn.close()
                    conn = None
                if conn is None:
                    conn = sqlite.connect(self.path, timeout=5, check_same_thread=False)
                    opened_on = file_id(self.path)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.checkpoints += 1
            except sqlite.Error:
                # The file went away or is busy: the next commit wakes the thread again, and
                # the connections' own checkpoint stays a backstop.
                if conn is not None:
                    conn.close()
                conn = None


_checkpointers: dict[str, Checkpointer] = {}


def checkpointer_for(name: str) -> Checkpointer:
    """The process's checkpointer of the database file `name`."""
    with _locks_mutex:
        return _checkpointers.setdefault(str(name), Checkpointer(str(name)))


def idle_connections(name: str, size: int = 0) -> IdleConnections:
    """The process's idle connections to the database file `name`."""
    with _locks_mutex:
        return _idle.setdefault(str(name), IdleConnections(str(name), size))


class DatabaseWrapper(sqlite3.DatabaseWrapper):
    _write_lock_held = False
    _cursor_class: type | None = None
    _pool_size = 0
    _opened_on: tuple[int, int] | None = None

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        self._pool_size = int(params.pop("pool", 0) or 0)
        return params

    @property
    def _idle(self) -> IdleConnections | None:
        if self._pool_size <= 0 or self.is_in_memory_db():
            return None
        return idle_connections(self.settings_dict["NAME"], self._pool_size)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        idle = self._idle
        conn = idle.take() if idle is not None else None
        if conn is None:
            conn = super().get_new_connection(conn_params)
            if idle is not None:
                conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_BACKSTOP_PAGES}")
        self._opened_on = idle.file_id() if idle is not None else None
        return conn

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
            if self._pool_size > 0 and not self.is_in_memory_db():
                checkpointer_for(self.settings_dict["NAME"]).nudge()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._write_lock_release()

    def _close(self) -> Any:
        try:
            idle = self._idle
            if (
                idle is not None
                and self.connection is not None
                and not self.in_atomic_block
                and idle.give(self.connection, self._opened_on)
            ):
                return None
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
