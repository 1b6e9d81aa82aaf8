"""Every review step, from its declaration (documents/steps.py): approve, return, resubmit.

Agency approval, budget review, vetting — and any review a province adds — are the same three
actions: the step's actor approves (the plan goes to the next stage of its path, skipping those it
does not need), or returns it with a reason to the drafter, who revises and resubmits it as a new
version to the step that returned it.
"""

from __future__ import annotations

from typing import Any

from agencies.errors import PermissionDenied, StateError
from agencies.models import User
from agencies.validation import clean_comment

from ..models import Plan
from ..permissions import may_choose_legal_review
from ..steps import DRAFTER, STEP_OF_STATUS, STEPS_BY_CODE, NextStep, Step, next_step
from .base import (
    CHAIN_HEAD,
    Kind,
    Status,
    _arrive,
    _comment_required,
    _ensure_drafter,
    _ensure_step_actor,
    _lock,
    _notify,
    _record,
    _require,
    _require_signer,
    _snapshot,
    _step_open,
    _task_people,
    _unit_of_work,
)


@_unit_of_work
def plan_review_approve(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The actor of the review step the plan waits at approves it: on to the next stage."""
    plan = _lock(plan)
    step = _ensure_step_actor(plan, actor)
    if not step.is_review or step.action("approve") is None:
        raise StateError("Bước này không duyệt bằng thao tác “Duyệt”.", code="not_a_review")
    return _review_pass(plan, step, actor=actor, comment=comment)


def _review_pass(
    plan: Plan, step: Step, *, actor: User, comment: str, data: dict[str, Any] | None = None
) -> Plan:
    """Pass the locked `plan` on from review `step` to the next stage of its path; the passed
    event records the step's `passed_data` and `data`."""
    if step.requires_signer:
        _require_signer(plan)
    recorded = {**(step.passed_data(plan) if step.passed_data else {}), **(data or {})}
    _arrive(
        plan,
        next_step(plan, after=step.stage),
        actor=actor,
        kind=step.passed_event,
        from_status=step.status,
        comment=clean_comment(comment),
        data=recorded or None,
    )
    return plan


@_unit_of_work
def plan_return_to_drafter(*, plan: Plan, actor: User, comment: str) -> Plan:
    """A reviewer returns the plan to the drafter with a reason; it comes back to that step."""
    plan = _lock(plan)
    _require(plan, plan.return_to_drafter)
    step = _ensure_step_actor(plan, actor)
    if not step.is_review:
        raise PermissionDenied("Bạn không có thẩm quyền xử lý văn bản ở bước này.")
    return _review_return(plan, step, actor=actor, comment=_comment_required(comment))


def _review_return(
    plan: Plan,
    step: Step,
    *,
    actor: User,
    comment: str,
    data: dict[str, Any] | None = None,
    body: str = "",
) -> Plan:
    """Return the locked `plan` from review `step` to the drafter with `comment` (checked)."""
    plan.return_to_drafter()
    _record(
        plan,
        actor=actor,
        kind=Kind.RETURNED,
        from_status=step.status,
        comment=comment,
        data=data,
        save=False,
    )
    plan.save(update_fields=["status", "returned_from", "updated_at", *CHAIN_HEAD])
    _notify(
        plan,
        _task_people(plan, DRAFTER, reason="revise"),
        kind="plan.returned",
        title=f"Kế hoạch bị trả lại bởi {actor.display_name}",
        body=body or comment,
    )
    return plan


@_unit_of_work
def plan_resubmit(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The drafter sends a returned plan back to the step that returned it, as a new version."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.resubmit)
    _require_signer(plan)
    plan.resubmit()
    version = _snapshot(plan, actor=actor, reason="resubmitted")
    _record(
        plan,
        actor=actor,
        kind=Kind.RESUBMITTED,
        from_status=Status.RETURNED,
        comment=clean_comment(comment),
        data={"version": version.number},
        save=False,
    )
    plan.save(
        update_fields=["status", "returned_from", "version_number", "updated_at", *CHAIN_HEAD]
    )
    _step_open(
        plan, STEP_OF_STATUS[plan.status], notice="Kế hoạch được trình lại sau khi chỉnh sửa"
    )
    return plan


@_unit_of_work
def plan_legal_review_request(
    *, plan: Plan, actor: User, comment: str = "", requested: bool = True
) -> Plan:
    """Ask Sở Tư pháp to review the plan (thẩm định), between budget review and vetting.

    The drafter chooses it (or drops it) until the plan reaches vetting; the vetter asks for it
    during vetting, saying why: the plan then goes to the legal review at once and comes back to
    vetting once approved.
    """
    plan = _lock(plan)
    step = STEP_OF_STATUS.get(plan.status)
    if step is not None and step.code == "vetting" and step.actor.may_act(plan, actor):
        _ensure_step_actor(plan, actor)  # a stand-in: the history says for whom
        comment = clean_comment(comment, label="lý do đề nghị thẩm định", required=True)
        plan.legal_review_requested = True
        _arrive(
            plan,
            NextStep(STEPS_BY_CODE["legal_review"]),
            actor=actor,
            kind=Kind.LEGAL_REVIEW_REQUESTED,
            from_status=Status.VETTING,
            comment=comment,
            fields=["legal_review_requested"],
        )
        return plan
    _ensure_drafter(plan, actor, stand_in=False)
    if not may_choose_legal_review(plan, actor):
        raise StateError("Chỉ đề nghị thẩm định pháp lý trước bước thẩm tra.")
    if plan.legal_review_requested == requested:
        return plan
    plan.legal_review_requested = requested
    _record(
        plan,
        actor=actor,
        kind=Kind.LEGAL_REVIEW_REQUESTED,
        from_status=plan.status,
        comment=clean_comment(comment),
        data={"requested": requested},
        save=False,
    )
    plan.save(update_fields=["legal_review_requested", "updated_at", *CHAIN_HEAD])
    return plan
