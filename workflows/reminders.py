"""Reminders and escalations, swept by the timer dispatcher (`manage.py run_timers`).

- Before a consultation's deadline (settings.CONSULTATION_REMINDERS working days before it, "1,0"
  by default: the working day before, and on the day) the consulted unit is reminded.
- When the deadline has passed, the drafter is told which units did not answer (they count as
  agreeing: the silence timer recorded it).
- A task open longer than its step allows (documents/steps.py, `escalate_after_working_days`,
  settings.TASK_ESCALATION) is escalated to the heads of the unit holding it.

Each notice has a key and goes once (notifications.services.notify_once): several dispatchers
may sweep at once, on one machine or several. Notices go live and by e-mail (each person's
choice, notifications.models.NotificationPreference).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from viewflow.workflow.models import Task

from agencies.models import User
from agencies.selectors import user_list_heads_of, user_list_of_units, user_list_with_permission
from agencies.working_days import add_working_days, working_days_between
from documents import steps
from documents.models import ConsultationRequest, Plan
from notifications.links import link
from notifications.models import NoticeOnce, Notification
from notifications.services import notify_once

from .flows import PlanFlow

logger = logging.getLogger(__name__)

OPEN = ("NEW", "ASSIGNED")
#: How far back a passed deadline is still reported (a dispatcher stopped for a while).
OVERDUE_LOOKBACK = dt.timedelta(days=14)


def _sent(keys: list[str]) -> set[str]:
    """The keys of `keys` whose notice already went: not tried again (notify_once would refuse
    them anyway, at the price of a failed insert every sweep)."""
    return set(NoticeOnce.objects.filter(key__in=keys).values_list("key", flat=True))


def _when(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%H:%M %d/%m/%Y}"


def consultation_reminders_send(*, now: dt.datetime) -> int:
    """Remind each consulted unit that has not answered, on the working days before the
    deadline that CONSULTATION_REMINDERS names; returns how many reminders went."""
    offsets = sorted({n for n in settings.CONSULTATION_REMINDERS if n >= 0})
    if not offsets:
        return 0
    today = timezone.localdate(now)
    waiting = (
        ConsultationRequest.objects.filter(
            verdict="",
            deadline__gt=now,
            plan__status=Plan.Status.IN_CONSULTATION,
            round=F("plan__consultation_round"),
        )
        .select_related("plan", "unit")
        .order_by("deadline", "pk")
    )
    due: list[tuple[ConsultationRequest, int]] = []
    for request in waiting:
        last_day = timezone.localdate(request.deadline)
        days = [n for n in offsets if add_working_days(last_day, -n) <= today]
        if days:  # the latest reminder due; earlier ones missed are not sent late
            due.append((request, min(days)))
    done = _sent([f"consultation.reminder:{r.pk}:{n}" for r, n in due])
    sent = 0
    for request, n in due:
        if f"consultation.reminder:{request.pk}:{n}" in done:
            continue
        plan = request.plan
        when = "hôm nay" if n == 0 else f"còn {n} ngày làm việc"
        with transaction.atomic():
            sent += bool(
                notify_once(
                    key=f"consultation.reminder:{request.pk}:{n}",
                    user_ids=user_list_of_units([request.unit_id]).values_list("pk", flat=True),
                    kind=Notification.Kind.DEADLINE_REMINDER,
                    title=f"Nhắc hạn góp ý ({when}): {plan.title}"[:255],
                    body=f"{request.unit.name} chưa gửi ý kiến. Hạn góp ý: {_when(request.deadline)}. "
                    "Quá hạn không có ý kiến thì xem như thống nhất.",
                    url=link("plan", plan.pk),
                    data={"plan_id": plan.pk, "request_id": request.pk, "working_days_left": n},
                )
            )
    return sent


def consultation_overdue_send(*, now: dt.datetime) -> int:
    """Tell each drafter, once per round, which units let the deadline pass without an answer."""
    silent = (
        ConsultationRequest.objects.filter(
            by_silence=True, deadline__lte=now, deadline__gt=now - OVERDUE_LOOKBACK
        )
        .select_related("plan", "unit")
        .order_by("plan_id", "round", "unit__name")
    )
    rounds: dict[tuple[int, int], list[ConsultationRequest]] = {}
    for request in silent:
        rounds.setdefault((request.plan_id, request.round), []).append(request)
    done = _sent([f"consultation.overdue:{p}:{r}" for p, r in rounds])
    sent = 0
    for (plan_id, round_), requests in rounds.items():
        if f"consultation.overdue:{plan_id}:{round_}" in done:
            continue
        plan = requests[0].plan
        names = ", ".join(r.unit.name for r in requests)
        with transaction.atomic():
            sent += bool(
                notify_once(
                    key=f"consultation.overdue:{plan_id}:{round_}",
                    user_ids=[plan.drafter_id],
                    kind=Notification.Kind.DEADLINE_PASSED,
                    title=f"Hết hạn góp ý: {len(requests)} đơn vị không trả lời"[:255],
                    body=f"{plan.title}\nKhông trả lời (xem như thống nhất): {names}.",
                    url=link("plan", plan_id),
                    data={
                        "plan_id": plan_id,
                        "round": round_,
                        "units": [r.unit.name for r in requests],
                    },
                )
            )
    return sent


def _holding_units(task: Task) -> set[int]:
    """The units of the people holding `task`: its owner's, or of everyone it is offered to."""
    if task.owner_id:
        unit_id = User.objects.filter(pk=task.owner_id).values_list("unit_id", flat=True).first()
        return {unit_id} if unit_id else set()
    if task.owner_permission:
        return set(
            user_list_with_permission(task.owner_permission)
            .filter(unit_id__isnull=False)
            .values_list("unit_id", flat=True)
        )
    return set()


def tasks_escalate(*, now: dt.datetime) -> int:
    """Tell the heads of the unit holding each task open too long (once per task)."""
    thresholds = steps.escalation_thresholds()
    nodes = [(code, getattr(PlanFlow, code, None)) for code in thresholds]
    match = Q()
    for _code, node in nodes:
        if node is not None:
            match |= Q(flow_task=node)
    if not match:
        return 0
    today = timezone.localdate(now)
    sent = 0
    open_tasks = Task.objects.filter(match, flow_task_type="HUMAN", status__in=OPEN).order_by("pk")
    late = []
    for task in open_tasks.select_related("process"):
        days = thresholds.get(task.flow_task.name)
        if days and working_days_between(task.created, today) >= days:
            late.append(task)
    done = _sent([f"task.escalated:{task.pk}" for task in late])
    for task in late:
        if f"task.escalated:{task.pk}" in done:
            continue
        code = task.flow_task.name
        days = thresholds[code]
        plan = Plan.objects.filter(pk=task.process.artifact_object_id).first()
        if plan is None:
            continue
        units = _holding_units(task)
        heads = User.objects.none()
        for unit_id in units:
            heads = heads | user_list_heads_of(unit_id)
        step = steps.STEPS_BY_CODE[code]
        with transaction.atomic():
            sent += bool(
                notify_once(
                    key=f"task.escalated:{task.pk}",
                    user_ids=heads.values_list("pk", flat=True),
                    kind=Notification.Kind.TASK_ESCALATED,
                    title=f"Việc chưa xử lý quá {days} ngày làm việc: {step.title}"[:255],
                    body=f"{plan.title}\nGiao lúc {_when(task.created)}.",
                    url=link("plan", plan.pk),
                    data={"plan_id": plan.pk, "task_id": task.pk, "step": code, "days": days},
                )
            )
    return sent


def reminders_send_due(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """One sweep of reminders, overdue notices and escalations; how many of each went."""
    now = now or timezone.now()
    return {
        "reminders": consultation_reminders_send(now=now),
        "overdue": consultation_overdue_send(now=now),
        "escalations": tasks_escalate(now=now),
    }
