"""Helpers for walking a plan through its process in tests."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from viewflow.workflow.models import Task

from agencies.models import User
from documents.models import Plan
from workflows.services import plan_sign_prepare, task_complete, task_list_open


def open_task(user: User, plan: Plan, step: str) -> Task:
    """The user's open task of `step` for `plan` (fails the test if there is none)."""
    tasks = [
        t
        for t in task_list_open(user=user)
        if t.flow_task.name == step and int(t.process.artifact_object_id) == plan.pk
    ]
    assert len(tasks) == 1, (
        f"{user.username} has {len(tasks)} open '{step}' tasks for plan {plan.pk}"
    )
    return tasks[0]


def has_task(user: User, plan: Plan, step: str) -> bool:
    return any(
        t.flow_task.name == step and int(t.process.artifact_object_id) == plan.pk
        for t in task_list_open(user=user)
    )


def complete(
    user: User,
    plan: Plan,
    step: str,
    action: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> Plan:
    """Complete `user`'s open `step` task with `action`.

    The "sign" action without data signs as the browser would: with the user's test key
    (`sign_as`), so walks need not know about devices and sessions.
    """
    if step == "sign" and action == "sign" and not data:
        return sign_as(user, plan, comment=comment)
    task = open_task(user, plan, step)
    return task_complete(
        task_id=task.pk, actor=user, action=action, comment=comment, data=data
    ).plan


def sign_data(user: User, plan: Plan) -> dict[str, str]:
    """Prepare `user`'s signature of `plan` with their test browser key; the task's data."""
    from tests.signing.browser_key import browser_key_for

    key = browser_key_for(user)
    pending = plan_sign_prepare(plan=plan, actor=user, device_id=key.device.pk)
    return {
        "session_id": str(pending.session.id),
        "signature": base64.b64encode(key.sign(pending.to_be_signed)).decode("ascii"),
    }


def sign_as(user: User, plan: Plan, comment: str = "") -> Plan:
    """What the signing page does: prepare, sign `to_be_signed` in the "browser", complete."""
    task = open_task(user, plan, "sign")
    return task_complete(
        task_id=task.pk, actor=user, action="sign", comment=comment, data=sign_data(user, plan)
    ).plan


def in_days(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def walk_to_signature(*, content: dict[str, Any]) -> Plan:
    """Create a plan with `content` and walk it, as the demo users, to the signer's open task."""
    from agencies.models import Unit
    from documents import services as documents
    from workflows.services import plan_submit

    users = {u.username: u for u in User.objects.all()}
    drafter = users["chuyenvien"]
    plan = documents.plan_create(actor=drafter, content=content)
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(users["giamdoc"], plan, "agency_review", "approve")
    consulted = Unit.objects.get(code="so-nv")
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [consulted.pk], "deadline": in_days(5)},
    )
    plan = complete(users["ngoaivu"], plan, "consult", "agree")
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(users["taichinh"], plan, "budget_review", "approve")
    plan = complete(users["vanphong"], plan, "vetting", "approve")
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    return plan


def until(condition: Callable[[], object], seconds: float = 10) -> None:
    """Wait, polling, until `condition()` is true; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)
