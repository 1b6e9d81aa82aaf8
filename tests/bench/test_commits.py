"""The bench sees a commit from outside (bench/commits.py): between the last poll that missed the
row and the first that saw it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from bench.commits import CommitWatch


def test_a_commit_is_seen_between_the_last_miss_and_the_first_hit(tmp_path: Path) -> None:
    # given a database in WAL mode, as the app's, and a watch for a row not yet there
    path = tmp_path / "db.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE plan (id INTEGER PRIMARY KEY, status TEXT)")
    writer.execute("INSERT INTO plan VALUES (1, 'signed')")
    commits = CommitWatch({"SQLITE_PATH": str(path)})
    watch = commits.start("SELECT 1 FROM plan WHERE id = %s AND status = 'issued'", (1,))
    moments: dict[str, float] = {}

    def issue() -> None:
        time.sleep(0.05)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE plan SET status = 'issued' WHERE id = 1")
        time.sleep(0.05)  # written, not committed: the watch must not see it yet
        moments["before"] = time.perf_counter()
        writer.execute("COMMIT")
        moments["after"] = time.perf_counter()

    # when another connection changes it and commits, later
    thread = threading.Thread(target=issue)
    thread.start()
    seen = watch.result(timeout=10)
    thread.join()
    commits.close()
    writer.close()

    # then the commit lies between the last poll that missed it and the first that saw it
    assert seen is not None
    assert seen.before <= moments["after"] and moments["before"] <= seen.after
    assert 0 < seen.resolution_ms < 50


def test_a_row_that_never_comes_is_not_seen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE plan (id INTEGER PRIMARY KEY, status TEXT)")
    commits = CommitWatch({"SQLITE_PATH": str(path)})
    commits.TIMEOUT = 0.2

    assert commits.start("SELECT 1 FROM plan WHERE id = %s", (1,)).result(timeout=5) is None
    commits.close()
    writer.close()


def test_a_watch_that_cannot_read_says_why(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    commits = CommitWatch({"SQLITE_PATH": str(path)})

    watch = commits.start("SELECT 1 FROM no_such_table WHERE id = %s", (1,))

    assert watch.result(timeout=5) is None
    assert isinstance(watch.error, sqlite3.OperationalError)
    commits.close()
    writer.close()
