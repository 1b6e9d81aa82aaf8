"""Consultation deadlines counted in working days: Tết, weekends, a date on a day off."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from documents import services as documents
from documents.models import Plan, PlanEvent
from tests.helpers import complete
from workflows.services import plan_submit, timers_fire_due

pytestmark = pytest.mark.django_db(transaction=True)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=timezone.get_current_timezone())  # type: ignore[misc]


@pytest.fixture
def clock(monkeypatch: Any) -> Any:
    """Sets what `timezone.now()` answers (Django's clock, read by the services and viewflow)."""

    class Clock:
        def set(self, when: dt.datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: when)

    return Clock()


def approved_plan(drafter, agency_head, signer, make_content) -> Plan:
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    return complete(agency_head, plan, "agency_review", "approve")


def test_seven_working_days_set_on_the_friday_before_tet_2027_end_after_the_holiday(
    clock, drafter, agency_head, foreign_affairs, signer, directory, make_content
):
    # given Friday 29 January 2027, the last Friday worked before Tết (6 February 2027; the
    # holidays library gives 4-10 February off)
    clock.set(local(2027, 1, 29, 10, 0))
    plan = approved_plan(drafter, agency_head, signer, make_content)

    # when the drafter gives the agency 7 working days
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk], "deadline_working_days": 7},
    )

    # then the period is 1, 2, 3 February, then 11, 12, 15, 16 February: it ends on Tuesday 16
    # February 2027 at the end of the day (not on 5 February, seven calendar days later)
    request = plan.consultations.get()
    assert timezone.localtime(request.deadline) == local(2027, 2, 16, 23, 59, 59)
    sent = plan.events.get(kind=PlanEvent.Kind.SENT_FOR_CONSULTATION)
    assert sent.data["working_days"] == 7

    # and the silence timer does not fire on the calendar-day date, nor on the last day itself
    for when in (local(2027, 2, 5, 9), local(2027, 2, 12, 17), local(2027, 2, 16, 23, 59)):
        clock.set(when)
        assert timers_fire_due() == 0
        plan.refresh_from_db()
        assert plan.status == Plan.Status.IN_CONSULTATION

    # but fires once the last working day has ended: the silent agency agrees
    clock.set(local(2027, 2, 17, 0, 0, 1))
    assert timers_fire_due() == 1
    plan.refresh_from_db()
    request.refresh_from_db()
    assert plan.status == Plan.Status.CONSOLIDATING
    assert request.by_silence is True
    assert Task.objects.filter(flow_task_type="TIMER", status="SCHEDULED").count() == 0


def test_a_deadline_date_on_a_day_off_moves_to_the_end_of_the_next_working_day(
    clock, drafter, agency_head, signer, directory, make_content
):
    # given a plan ready for consultation in January 2027
    clock.set(local(2027, 1, 20, 9, 0))
    plan = approved_plan(drafter, agency_head, signer, make_content)

    # when the drafter types Lunar New Year's Day (Saturday 6 February 2027) at 17:00
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk], "deadline": "2027-02-06T17:00"},
    )

    # then the deadline is the end of Thursday 11 February, the first working day after Tết, and
    # the history keeps what was asked
    request = plan.consultations.get()
    assert timezone.localtime(request.deadline) == local(2027, 2, 11, 23, 59, 59)
    sent = plan.events.get(kind=PlanEvent.Kind.SENT_FOR_CONSULTATION)
    assert sent.data["deadline_asked"].startswith("2027-02-06T17:00")


def test_a_deadline_on_a_working_day_stays_as_typed(
    clock, drafter, agency_head, signer, directory, make_content
):
    clock.set(local(2027, 1, 20, 9, 0))
    plan = approved_plan(drafter, agency_head, signer, make_content)
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk], "deadline": "2027-01-27T17:00"},
    )
    request = plan.consultations.get()
    assert timezone.localtime(request.deadline) == local(2027, 1, 27, 17, 0)
    assert "deadline_asked" not in plan.events.get(kind=PlanEvent.Kind.SENT_FOR_CONSULTATION).data


@pytest.mark.parametrize(
    "data",
    [
        {"deadline_working_days": 0},
        {"deadline_working_days": 251},
        {"deadline_working_days": "bảy"},
        {"deadline_working_days": True},
        {"deadline_working_days": 7, "deadline": "2027-02-01"},
        {},
    ],
)
def test_a_bad_period_is_refused_and_changes_nothing(
    clock, data, drafter, agency_head, signer, directory, make_content
):
    from agencies.errors import InvalidInput

    clock.set(local(2027, 1, 20, 9, 0))
    plan = approved_plan(drafter, agency_head, signer, make_content)
    with pytest.raises(InvalidInput):
        complete(
            drafter,
            plan,
            "choose_agencies",
            "send",
            data={"unit_ids": [directory["so-nv"].pk], **data},
        )
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED
    assert not plan.consultations.exists()


def test_a_past_day_off_is_refused_though_it_would_move_ahead(
    clock, drafter, agency_head, signer, directory, make_content
):
    from agencies.errors import InvalidInput

    # given Tuesday 9 February 2027, in the middle of Tết
    clock.set(local(2027, 2, 1, 9, 0))
    plan = approved_plan(drafter, agency_head, signer, make_content)
    clock.set(local(2027, 2, 9, 9, 0))

    # when the drafter types Monday 8 February (past; it would move to Thursday 11 February)
    with pytest.raises(InvalidInput, match="sau thời điểm hiện tại"):
        complete(
            drafter,
            plan,
            "choose_agencies",
            "send",
            data={"unit_ids": [directory["so-nv"].pk], "deadline": "2027-02-08"},
        )

    # then it is refused and nothing changed
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED and not plan.consultations.exists()
