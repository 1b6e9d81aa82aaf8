"""Concurrency: two agencies answering at the same instant; a timer firing while a user answers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task

from documents import services as documents
from documents.models import Plan
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit, task_complete, timers_fire_due

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def plan_in_consultation(
    drafter, agency_head, signer, directory, make_content, deadline: str
) -> Plan:
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    return complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk], "deadline": deadline},
    )


def test_two_agencies_answering_at_once_make_one_join_and_lose_no_answer(
    drafter,
    agency_head,
    foreign_affairs,
    culture,
    signer,
    directory,
    make_content,
):
    # given both consultation tasks open
    plan = plan_in_consultation(drafter, agency_head, signer, directory, make_content, in_days(5))
    first = open_task(foreign_affairs, plan, "consult")
    second = open_task(culture, plan, "consult")

    # when both agencies answer at the same instant
    results = run_together(
        lambda: task_complete(task_id=first.pk, actor=foreign_affairs, action="agree"),
        lambda: task_complete(
            task_id=second.pk, actor=culture, action="disagree", comment="Không thống nhất mục II."
        ),
    )

    # then both answers are stored, one join ran, and the drafter has one consolidation task
    assert not [r for r in results if isinstance(r, Exception)], results
    plan.refresh_from_db()
    assert plan.status == Plan.Status.CONSOLIDATING
    assert sorted(plan.consultations.values_list("verdict", flat=True)) == ["agree", "disagree"]
    tasks = Task.objects.filter(process__artifact_object_id=plan.pk)
    assert tasks.filter(flow_task__endswith=".join_answers").count() == 1
    assert tasks.filter(flow_task__endswith=".consolidate").count() == 1


def test_a_timer_firing_while_an_agency_answers_gives_exactly_one_outcome(
    drafter,
    agency_head,
    foreign_affairs,
    culture,
    signer,
    directory,
    make_content,
):
    # given one agency answered and the other's deadline is due
    plan = plan_in_consultation(drafter, agency_head, signer, directory, make_content, in_days(5))
    complete(foreign_affairs, plan, "consult", "agree")
    late = open_task(culture, plan, "consult")
    Task.objects.filter(flow_task_type="TIMER", status="SCHEDULED").update(
        scheduled=timezone.now() - dt.timedelta(seconds=1)
    )

    # when the dispatcher sweeps while the agency answers
    results = run_together(
        timers_fire_due,
        lambda: task_complete(task_id=late.pk, actor=culture, action="agree"),
    )

    # then either the answer or the silence was recorded, never both, and one join ran
    plan.refresh_from_db()
    request = plan.consultations.get(unit=directory["so-vhttdl"])
    answered = not isinstance(results[1], Exception)
    assert request.by_silence is (not answered)
    assert plan.status == Plan.Status.CONSOLIDATING
    tasks = Task.objects.filter(process__artifact_object_id=plan.pk)
    assert tasks.filter(flow_task__endswith=".join_answers").count() == 1
    assert tasks.filter(flow_task__endswith=".consolidate").count() == 1
