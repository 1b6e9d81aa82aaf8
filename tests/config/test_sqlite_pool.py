"""SQLite, the embedded default, keeps its connections between requests and checkpoints its WAL
in the background (config/sqlite/base.py)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from config.sqlite.base import Checkpointer, IdleConnections, checkpointer_for, idle_connections
from tests.helpers import until

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default")


def in_thread(work) -> object:
    """Run `work` in a new thread as a request does under ASGI, closing its connection after."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return out.get("value")


def raw_connection() -> int:
    Session.objects.count()
    return id(connection.connection)


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_the_next_request_thread_takes_the_connection_the_last_one_closed():
    # given a request thread that used the database and ended
    first = in_thread(raw_connection)

    # when another request thread uses it
    second = in_thread(raw_connection)

    # then it got the same open connection instead of opening the file again
    assert first is not None and first == second
    assert len(idle_connections(connection.settings_dict["NAME"])) >= 1


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_starts_the_next_request_outside_any_transaction():
    # given a thread whose transaction failed and rolled back
    def failing() -> None:
        with transaction.atomic():
            Session.objects.count()
            raise ValueError("refused")

    with pytest.raises(ValueError):
        failing()
    connection.close()

    # when the next thread takes the kept connection
    def state() -> tuple[bool, bool]:
        Session.objects.count()
        return connection.get_autocommit(), connection.connection.in_transaction

    # then it is in autocommit mode with no transaction open
    assert in_thread(state) == (True, False)


def test_a_connection_inside_a_transaction_is_not_kept(tmp_path: Path):
    # given a connection with an open transaction
    path = str(tmp_path / "db.sqlite3")
    idle = IdleConnections(path, size=4)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")

    # when it is given back, then it is refused (the caller closes it)
    assert idle.give(conn, idle.file_id()) is False
    assert len(idle) == 0
    conn.close()


def test_no_more_idle_connections_are_kept_than_the_pool_size(tmp_path: Path):
    # given a pool of two on a database file
    path = str(tmp_path / "db.sqlite3")
    idle = IdleConnections(path, size=2)
    conns = [sqlite3.connect(path, check_same_thread=False) for _ in range(3)]
    conns[0].execute("CREATE TABLE t (x)")

    # when three are given back
    kept = [idle.give(c, idle.file_id()) for c in conns]

    # then two are kept, the third is to be closed, and they come back newest first
    assert kept == [True, True, False]
    assert idle.take() is conns[1]
    assert idle.take() is conns[0]
    assert idle.take() is None
    for c in conns:
        c.close()


def test_a_connection_to_a_file_since_replaced_is_not_handed_out(tmp_path: Path):
    # given an idle connection to a database file
    path = tmp_path / "db.sqlite3"
    idle = IdleConnections(str(path), size=2)
    old = sqlite3.connect(path, check_same_thread=False)
    old.execute("CREATE TABLE old (x)")
    assert idle.give(old, idle.file_id())

    # when the file is deleted and a new database is made under the same name
    path.unlink()
    holder = sqlite3.connect(path)  # held open so that the old inode cannot be reused at once
    holder.execute("CREATE TABLE new (x)")
    holder.commit()

    # then no connection to the old file is handed out; it was closed
    assert idle.take() is None
    with pytest.raises(sqlite3.ProgrammingError):
        old.execute("SELECT 1")
    holder.close()


def wal_database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=100000")  # only the checkpointer moves pages
    conn.execute("CREATE TABLE t (x)")
    return conn


def test_the_checkpointer_copies_committed_pages_into_the_database_file(tmp_path: Path):
    # given commits that left 2 MB in the WAL and none in the database file
    path = tmp_path / "db.sqlite3"
    conn = wal_database(path)
    for _ in range(100):
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 20_000,))
    size_before = path.stat().st_size
    assert size_before < 100_000

    # when the writer nudges the checkpointer
    checkpointer = Checkpointer(str(path), delay=0.01)
    checkpointer.nudge()

    # then soon the pages are in the database file, without the writer doing it
    until(lambda: path.stat().st_size > 1_000_000)
    until(lambda: checkpointer.checkpoints >= 1)  # counted once the checkpoint has returned
    conn.close()


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_commit_of_the_app_wakes_its_checkpointer():
    # given the process's checkpointer of the app's database
    checkpointer = checkpointer_for(connection.settings_dict["NAME"])
    before = checkpointer.checkpoints

    # when a write transaction commits
    with transaction.atomic():
        Session.objects.create(session_key="k" * 32, session_data="", expire_date=timezone.now())

    # then a checkpoint follows
    until(lambda: checkpointer.checkpoints > before)


def test_the_checkpointer_follows_a_database_file_made_anew(tmp_path: Path):
    # given a checkpointer that has worked on a database file
    path = tmp_path / "db.sqlite3"
    conn = wal_database(path)
    conn.execute("INSERT INTO t VALUES (1)")
    checkpointer = Checkpointer(str(path), delay=0.01)
    checkpointer.nudge()
    until(lambda: checkpointer.checkpoints >= 1)
    conn.close()

    # when the file is replaced by a new database under the same name
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    new = wal_database(path)
    for _ in range(100):
        new.execute("INSERT INTO t VALUES (?)", ("x" * 20_000,))
    assert path.stat().st_size < 100_000

    # then its checkpoints move the new file's pages
    checkpointer.nudge()
    until(lambda: path.stat().st_size > 1_000_000)
    new.close()
