"""Row locks: an action on one plan never waits for an action on another (PostgreSQL; SQLite
serialises every write transaction by design)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from documents import services as documents
from documents.models import Plan
from documents.services.base import _lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_locking_one_plan_does_not_block_another_of_the_same_issuer(drafter, signer, make_content):
    # given two plans of the same issuer, one of them locked by a transaction that stays open
    first, second = (
        documents.plan_create(actor=drafter, content=make_content(signer=signer)) for _ in "ab"
    )
    locked, release = threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                _lock(first)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert locked.wait(10)
    try:
        # when another transaction locks the second plan, refusing to wait for any lock
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            again = _lock(second)
        # then it got it at once: the issuer's unit row was not locked with the first plan
        assert again.pk == second.pk
        assert again.issuer_id == first.issuer_id
    finally:
        release.set()
        holder.join(10)
    assert Plan.objects.count() == 2
