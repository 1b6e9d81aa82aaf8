"""Many users completing tasks of many plans at the same instant while others read those plans,
as a served process does in its request threads: every completion answers with the plan it moved
and none fails after taking effect (django-fsm's protected status must stay safe in threads)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from documents import services as documents
from documents.models import Plan
from tests.helpers import open_task
from workflows.services import plan_submit, task_complete

pytestmark = pytest.mark.django_db(transaction=True)

COMPLETING_THREADS = 6
READING_THREADS = 4
PLANS_PER_THREAD = 5


def submitted_plans(drafter, signer, make_content, count: int) -> list[Plan]:
    plans = []
    for _ in range(count):
        plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
        plans.append(plan_submit(plan=plan, actor=drafter))
    return plans


def test_completions_of_many_plans_at_once_all_answer_and_all_take_effect(
    drafter, agency_head, signer, make_content
):
    # given plans waiting for the agency head, one batch per request thread
    plans = submitted_plans(drafter, signer, make_content, COMPLETING_THREADS * PLANS_PER_THREAD)
    task_ids = [open_task(agency_head, plan, "agency_review").pk for plan in plans]
    batches = [task_ids[i::COMPLETING_THREADS] for i in range(COMPLETING_THREADS)]
    barrier = threading.Barrier(COMPLETING_THREADS + READING_THREADS)
    done = threading.Event()
    answers: list[Any] = []
    read_errors: list[Exception] = []

    def complete(batch: list[int]) -> None:
        barrier.wait()
        try:
            for task_id in batch:
                try:
                    answers.append(
                        task_complete(task_id=task_id, actor=agency_head, action="approve").plan
                    )
                except Exception as exc:  # what a request thread would turn into a 500
                    answers.append(exc)
        finally:
            connection.close()

    def read(offset: int) -> None:
        # Other requests meanwhile re-read the same plans (pages, API reads, services).
        mine = [Plan.objects.get(pk=p.pk) for p in plans[offset::READING_THREADS]]
        barrier.wait()
        try:
            while not done.is_set():
                for plan in mine:
                    try:
                        plan.refresh_from_db()
                    except Exception as exc:
                        read_errors.append(exc)
        finally:
            connection.close()

    # when the agency head's requests complete them all at once, in parallel threads
    completers = [threading.Thread(target=complete, args=(b,)) for b in batches]
    readers = [threading.Thread(target=read, args=(i,)) for i in range(READING_THREADS)]
    for thread in [*completers, *readers]:
        thread.start()
    for thread in completers:
        thread.join(timeout=120)
    done.set()
    for thread in readers:
        thread.join(timeout=30)

    # then every completion answered with its plan, approved, every plan moved once, and no
    # read failed meanwhile
    failures = [a for a in answers if isinstance(a, Exception)]
    assert failures == [], failures
    assert read_errors == [], read_errors[:3]
    assert len(answers) == len(plans)
    assert {a.status for a in answers} == {Plan.Status.APPROVED}
    assert sorted(a.pk for a in answers) == sorted(p.pk for p in plans)
    assert set(
        Plan.objects.filter(pk__in=[p.pk for p in plans]).values_list("status", flat=True)
    ) == {Plan.Status.APPROVED}


def test_a_reloaded_plan_takes_the_stored_status_and_still_refuses_direct_writes(
    drafter, signer, make_content
):
    # given a plan whose status changed in the database behind an instance's back
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.WITHDRAWN)
    deferred = Plan.objects.only("title").get(pk=plan.pk)

    # when both are reloaded (the whole row, and a deferred status on first access)
    plan.refresh_from_db()

    # then they read the stored status, and writing it directly is still refused
    assert plan.status == Plan.Status.WITHDRAWN
    assert deferred.status == Plan.Status.WITHDRAWN
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        plan.status = Plan.Status.DRAFT
    assert Plan._meta.get_field("status").protected is True
