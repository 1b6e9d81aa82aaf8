"""SQLite, the embedded default, serves concurrent writers in the order they came: no writer
starves and none is refused with "database is locked" (config/sqlite/base.py)."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
import uuid

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from tests.helpers import until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default's writers"),
]

WRITERS = 10
TRANSACTIONS_EACH = 12
HOLD_SECONDS = 0.008  # work done inside each write transaction


def write_row() -> None:
    Session.objects.create(
        session_key=uuid.uuid4().hex,
        session_data="",
        expire_date=timezone.now() + dt.timedelta(days=1),
    )


def test_writers_get_the_database_in_the_order_they_asked():
    # given a write transaction in progress
    started, finish = threading.Event(), threading.Event()
    order: list[int] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                write_row()
                started.set()
                finish.wait(10)
        finally:
            connection.close()

    def writer(number: int) -> None:
        try:
            with transaction.atomic():
                order.append(number)
                write_row()
        finally:
            connection.close()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert started.wait(10)
    lock = connection.write_lock

    # when five writers come one after the other while it runs
    for number in range(1, 6):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        threads.append(thread)
        until(lambda number=number: lock.waiting == number)
    finish.set()
    for thread in threads:
        thread.join(10)

    # then they wrote in the order they came
    assert order == [1, 2, 3, 4, 5]
    assert Session.objects.count() == 6


def test_ten_writers_at_once_are_served_evenly_and_none_is_refused():
    # given a short limit on how long SQLite lets a writer wait
    options = connection.settings_dict["OPTIONS"]
    timeout = options.get("timeout")
    options["timeout"] = 2
    barrier = threading.Barrier(WRITERS)
    waits: list[float] = []
    errors: list[Exception] = []

    def writer() -> None:
        barrier.wait()
        try:
            for _ in range(TRANSACTIONS_EACH):
                began = time.monotonic()
                try:
                    with transaction.atomic():
                        write_row()
                        time.sleep(HOLD_SECONDS)
                except Exception as exc:  # "database is locked"
                    errors.append(exc)
                waits.append(time.monotonic() - began)
        finally:
            connection.close()

    # when ten writers each write a dozen transactions at the same time
    try:
        threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        options["timeout"] = timeout

    # then every transaction went through, and none waited much longer than the typical one
    assert errors == [], errors[:3]
    assert Session.objects.count() == WRITERS * TRANSACTIONS_EACH
    median = statistics.median(waits)
    p95 = statistics.quantiles(waits, n=20)[-1]
    assert p95 / median <= 3, f"p50 {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
