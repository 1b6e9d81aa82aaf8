"""Reminders before a consultation's deadline, the drafter told who did not answer, tasks open
too long escalated to the head of the unit — each once, however many dispatchers sweep."""

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
from notifications.models import EmailMessage, NoticeOnce, Notification
from tests.helpers import complete
from workflows.reminders import reminders_send_due
from workflows.services import plan_submit, timers_fire_due

pytestmark = pytest.mark.django_db(transaction=True)

REMINDER, PASSED, ESCALATED = "deadline.reminder", "deadline.passed", "task.escalated"


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=timezone.get_current_timezone())  # type: ignore[misc]


@pytest.fixture
def clock(monkeypatch: Any) -> Any:
    class Clock:
        def set(self, when: dt.datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: when)

    return Clock()


def notices(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind).order_by("id"))


def opened_on(plan: Plan, when: dt.datetime) -> None:
    """viewflow stamps a task with the real time (its default is bound when it loads)."""
    Task.objects.filter(process__artifact_object_id=plan.pk, status__in=("NEW", "ASSIGNED")).update(
        created=when
    )


def sweep(clock: Any, when: dt.datetime) -> dict[str, Any]:
    clock.set(when)
    timers_fire_due()
    return reminders_send_due()


@pytest.fixture
def consulted(clock, drafter, agency_head, foreign_affairs, signer, directory, make_content):
    """Set on Friday 29 January 2027 for 7 working days: ends Tuesday 16 February (after Tết);
    Sở Ngoại vụ answered, Sở VHTTDL did not."""
    clock.set(local(2027, 1, 29, 10, 0))
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline_working_days": 7,
        },
    )
    complete(foreign_affairs, plan, "consult", "agree")
    return plan


def test_the_silent_unit_is_reminded_the_working_day_before_and_on_the_day_once_each(
    clock, consulted, culture, foreign_affairs, drafter
):
    # before the working day before the deadline: nothing
    assert sweep(clock, local(2027, 2, 12, 17, 0))["reminders"] == 0
    assert notices(culture, REMINDER) == []

    # Monday 15 February, the working day before: one reminder, however often it sweeps
    assert sweep(clock, local(2027, 2, 15, 8, 0))["reminders"] == 1
    assert sweep(clock, local(2027, 2, 15, 16, 0))["reminders"] == 0
    [first] = notices(culture, REMINDER)
    assert "còn 1 ngày làm việc" in first.title and "16/02/2027" in first.body
    assert first.data["plan_id"] == consulted.pk

    # Tuesday 16 February, the last day: the second one
    assert sweep(clock, local(2027, 2, 16, 8, 0))["reminders"] == 1
    assert sweep(clock, local(2027, 2, 16, 20, 0))["reminders"] == 0
    assert len(notices(culture, REMINDER)) == 2
    assert "hôm nay" in notices(culture, REMINDER)[1].title

    # the unit that answered is not reminded; the reminders went by e-mail too
    assert notices(foreign_affairs, REMINDER) == []
    mailed = EmailMessage.objects.filter(to=culture.email, kind=REMINDER)
    assert mailed.count() == 2
    assert set(mailed.values_list("status", flat=True)) == {EmailMessage.Status.SENT}


def test_when_the_deadline_passes_the_drafter_is_told_who_did_not_answer_once(
    clock, consulted, drafter
):
    # on the last day nothing is overdue yet
    assert sweep(clock, local(2027, 2, 16, 23, 0))["overdue"] == 0

    # just after it ends, the silence is recorded and the drafter is told, once
    assert sweep(clock, local(2027, 2, 17, 0, 1))["overdue"] == 1
    assert sweep(clock, local(2027, 2, 17, 9, 0))["overdue"] == 0
    [told] = notices(drafter, PASSED)
    assert "1 đơn vị" in told.title
    assert told.data["units"] == ["Sở Văn hóa, Thể thao và Du lịch"]
    consulted.refresh_from_db()
    assert consulted.status == Plan.Status.CONSOLIDATING


def test_a_task_open_too_long_is_escalated_to_the_head_of_its_unit_once(
    clock, drafter, agency_head, signer, make_content
):
    # given the drafter's choice of agencies opened on Monday 1 February 2027 (3 working days
    # allowed: 2, 3 and, after Tết, 11 February)
    clock.set(local(2027, 2, 1, 9, 0))
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    complete(agency_head, plan, "agency_review", "approve")
    opened_on(plan, local(2027, 2, 1, 9, 0))

    # during Tết nothing; on 11 February the head of the drafter's unit is told, once
    assert sweep(clock, local(2027, 2, 10, 9, 0))["escalations"] == 0
    assert sweep(clock, local(2027, 2, 11, 9, 0))["escalations"] == 1
    assert sweep(clock, local(2027, 2, 12, 9, 0))["escalations"] == 0
    [told] = notices(agency_head, ESCALATED)
    assert told.data["step"] == "choose_agencies" and told.data["days"] == 3
    assert notices(drafter, ESCALATED) == []


def test_a_setting_overrides_a_steps_escalation(
    clock, settings, drafter, agency_head, signer, make_content
):
    settings.TASK_ESCALATION = {"choose_agencies": 0}
    clock.set(local(2027, 2, 1, 9, 0))
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    complete(agency_head, plan, "agency_review", "approve")
    opened_on(plan, local(2027, 2, 1, 9, 0))
    assert sweep(clock, local(2027, 3, 1, 9, 0))["escalations"] == 0

    settings.TASK_ESCALATION = {"choose_agencies": 20}
    # 20 working days after 1 February 2027 (Tết between) is Monday 8 March
    assert sweep(clock, local(2027, 3, 5, 9, 0))["escalations"] == 0
    assert sweep(clock, local(2027, 3, 8, 9, 0))["escalations"] == 1


def run_together(*calls: Callable[[], Any]) -> list[Any]:
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


def test_two_dispatchers_sweeping_at_once_send_each_reminder_once(
    clock, consulted, culture, drafter, agency_head
):
    # given the working day before the deadline, when two dispatchers sweep at the same instant
    clock.set(local(2027, 2, 15, 8, 0))
    results = run_together(reminders_send_due, reminders_send_due, reminders_send_due)

    # then neither failed, and the reminder went once (one notice, one e-mail, one key)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["reminders"] for r in results) == 1
    assert len(notices(culture, REMINDER)) == 1
    assert EmailMessage.objects.filter(to=culture.email, kind=REMINDER).count() == 1
    assert NoticeOnce.objects.filter(key__startswith="consultation.reminder:").count() == 1


def test_the_timer_dispatcher_command_sends_what_is_due(clock, consulted, culture):
    from io import StringIO

    from django.core.management import call_command

    # given the working day before the deadline, when `manage.py run_timers --once` runs
    clock.set(local(2027, 2, 15, 8, 0))
    out = StringIO()
    call_command("run_timers", "--once", stdout=out)

    # then the reminder went (live and by e-mail), and the command said so
    assert len(notices(culture, REMINDER)) == 1
    assert EmailMessage.objects.filter(to=culture.email, status="sent").count() == 1
    assert "'reminders': 1" in out.getvalue()
