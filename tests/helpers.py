"""Helpers for walking a plan through its process in tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from viewflow.workflow.models import Task

from agencies.models import User
from documents.models import Plan
from workflows.services import task_complete, task_list_open


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
    task = open_task(user, plan, step)
    return task_complete(task_id=task.pk, actor=user, action=action, comment=comment, data=data)


def in_days(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()
