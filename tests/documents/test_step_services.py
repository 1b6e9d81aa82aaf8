"""For every step: who is told when a plan arrives and who may then see it; and every lifecycle
service refuses the wrong person or the wrong moment, changing nothing (issue 9 §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from agencies.errors import DomainError, PermissionDenied, StateError
from agencies.models import User
from documents import services as documents
from documents import steps
from documents.models import ConsultationRequest, Plan
from documents.selectors import plan_is_visible
from notifications.models import Notification
from tests.helpers import complete, in_days, sign_as
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

#: How a plan gets from its submission to each step, as the demo users (agencies/directory.py).
WALK: list[tuple[str, str, str, dict[str, Any]]] = [
    ("agency_review", "giamdoc", "approve", {}),
    ("choose_agencies", "chuyenvien", "send", {"units": ["so-nv"]}),
    ("consult", "ngoaivu", "agree", {}),
    ("consolidate", "chuyenvien", "send", {}),
    ("budget_review", "taichinh", "approve", {}),
    ("legal_review", "tuphap", "approve", {}),
    ("vetting", "vanphong", "approve", {}),
    ("sign", "phochutich", "sign", {}),
]


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.all()}


def _walk_to(step: str, make_content: Any, directory: Any) -> Plan:
    users = _users()
    plan = documents.plan_create(
        actor=users["chuyenvien"], content=make_content(signer=users["phochutich"])
    )
    plan = documents.plan_legal_review_request(plan=plan, actor=users["chuyenvien"])
    plan = plan_submit(plan=plan, actor=users["chuyenvien"])
    for name, who, action, options in WALK:
        if name == step:
            break
        if name == "sign":
            plan = sign_as(users[who], plan)
            continue
        data = {}
        if "units" in options:
            data = {"unit_ids": [directory[c].pk for c in options["units"]], "deadline": in_days(5)}
        plan = complete(users[who], plan, name, action, data=data)
    return plan


def _who_acts(step: steps.Step, plan: Plan, directory: Any) -> set[str]:
    if step.actor.kind == "consulted_unit":
        return set(User.objects.filter(unit=directory["so-nv"]).values_list("username", flat=True))
    return set(
        User.objects.filter(pk__in=step.actor.user_ids(plan)).values_list("username", flat=True)
    )


@pytest.mark.parametrize("step", list(steps.STEPS), ids=lambda s: s.code)
def test_who_is_told_and_who_may_see_at_each_step(step, make_content, directory):
    # given a plan one action before `step`
    index = [name for name, *_ in WALK].index(step.code) if step.code != "issue" else len(WALK)
    before = WALK[index - 1][0] if index else None
    plan = _walk_to(before or "agency_review", make_content, directory) if before else None
    if plan is None:  # arriving at the first step is the submission
        users = _users()
        plan = documents.plan_create(
            actor=users["chuyenvien"], content=make_content(signer=users["phochutich"])
        )
    first_new = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # when the action that brings it to `step` is done
    if before is None:
        plan = plan_submit(plan=plan, actor=_users()["chuyenvien"])
    else:
        name, who, action, options = WALK[index - 1]
        if name == "sign":
            plan = sign_as(_users()[who], plan)
        else:
            data = {}
            if "units" in options:
                data = {
                    "unit_ids": [directory[c].pk for c in options["units"]],
                    "deadline": in_days(5),
                }
            plan = complete(_users()[who], plan, name, action, data=data)

    # then it waits at `step`, its actors were told, and they (only they, of outsiders) see it
    assert plan.status == step.status
    actors = _who_acts(step, plan, directory)
    told = set(
        Notification.objects.filter(id__gt=first_new).values_list("user__username", flat=True)
    )
    assert actors <= told, (step.code, actors, told)
    for username in actors:
        assert plan_is_visible(user=_users()[username], plan=plan), (step.code, username)
    outsider = _users()["congan"]  # Công an tỉnh: neither consulted nor a recipient yet
    assert not plan_is_visible(user=outsider, plan=plan)


# ---------------------------------------------------------------------------------------------
# Refusals: the wrong person, the wrong moment; nothing changes


def _state(plan: Plan) -> tuple[str, int, int]:
    fresh = Plan.objects.get(pk=plan.pk)
    return fresh.status, fresh.events_count, fresh.version_number


def _request(plan: Plan) -> ConsultationRequest:
    return ConsultationRequest.objects.filter(plan=plan).first() or ConsultationRequest(plan=plan)


REFUSALS: list[tuple[str, str, str, Callable[..., Any], type[DomainError]]] = [
    # (at step, who, what, call(plan, user, directory), error)
    (
        "agency_review",
        "chuyenvien",
        "approve own draft",
        lambda p, u, d: documents.plan_review_approve(plan=p, actor=u),
        PermissionDenied,
    ),
    (
        "agency_review",
        "ngoaivu",
        "head of another unit approves",
        lambda p, u, d: documents.plan_review_approve(plan=p, actor=u),
        PermissionDenied,
    ),
    (
        "agency_review",
        "giamdoc",
        "return without a reason",
        lambda p, u, d: documents.plan_return_to_drafter(plan=p, actor=u, comment=" "),
        DomainError,
    ),
    (
        "agency_review",
        "chuyenvien",
        "submit twice",
        lambda p, u, d: documents.plan_submit_draft(plan=p, actor=u),
        StateError,
    ),
    (
        "agency_review",
        "chuyenvien",
        "resubmit what was not returned",
        lambda p, u, d: documents.plan_resubmit(plan=p, actor=u),
        StateError,
    ),
    (
        "agency_review",
        "chuyenvien",
        "send for consultation too early",
        lambda p, u, d: documents.plan_send_for_consultation(
            plan=p, actor=u, unit_ids=[d["so-nv"].pk], deadline=in_days(3)
        ),
        StateError,
    ),
    (
        "choose_agencies",
        "giamdoc",
        "someone else chooses",
        lambda p, u, d: documents.plan_send_for_consultation(
            plan=p, actor=u, unit_ids=[d["so-nv"].pk], deadline=in_days(3)
        ),
        PermissionDenied,
    ),
    (
        "choose_agencies",
        "chuyenvien",
        "consult the drafting unit",
        lambda p, u, d: documents.plan_send_for_consultation(
            plan=p, actor=u, unit_ids=[d["so-tttt"].pk], deadline=in_days(3)
        ),
        DomainError,
    ),
    (
        "choose_agencies",
        "chuyenvien",
        "a deadline in the past",
        lambda p, u, d: documents.plan_send_for_consultation(
            plan=p, actor=u, unit_ids=[d["so-nv"].pk], deadline=in_days(-1)
        ),
        DomainError,
    ),
    (
        "choose_agencies",
        "chuyenvien",
        "skip without a reason",
        lambda p, u, d: documents.plan_consultation_skip(plan=p, actor=u, comment=""),
        DomainError,
    ),
    (
        "consult",
        "vanhoa",
        "a unit not asked answers",
        lambda p, u, d: documents.consultation_answer_record(
            request=_request(p), actor=u, verdict="agree"
        ),
        PermissionDenied,
    ),
    (
        "consult",
        "ngoaivu",
        "disagree without a comment",
        lambda p, u, d: documents.consultation_answer_record(
            request=_request(p), actor=u, verdict="disagree"
        ),
        DomainError,
    ),
    (
        "consult",
        "chuyenvien",
        "send on before the answers",
        lambda p, u, d: documents.plan_consolidation_send(plan=p, actor=u),
        StateError,
    ),
    (
        "consolidate",
        "giamdoc",
        "someone else consolidates",
        lambda p, u, d: documents.plan_consolidation_send(plan=p, actor=u),
        PermissionDenied,
    ),
    (
        "consolidate",
        "chuyenvien",
        "reopen without a reason",
        lambda p, u, d: documents.plan_consultation_reopen(plan=p, actor=u, comment=""),
        DomainError,
    ),
    (
        "budget_review",
        "vanphong",
        "the vetter approves the budget",
        lambda p, u, d: documents.plan_review_approve(plan=p, actor=u),
        PermissionDenied,
    ),
    (
        "budget_review",
        "chuyenvien",
        "edit while in review",
        lambda p, u, d: documents.plan_update_content(
            plan=p, actor=u, content={**p.content, "title": "Khác"}
        ),
        StateError,
    ),
    (
        "vetting",
        "taichinh",
        "finance vets",
        lambda p, u, d: documents.plan_review_approve(plan=p, actor=u),
        PermissionDenied,
    ),
    (
        "sign",
        "chutich",
        "another leader signs",
        lambda p, u, d: documents.plan_sign(plan=p, actor=u, session_id="x", signature=b"x"),
        PermissionDenied,
    ),
    (
        "sign",
        "phochutich",
        "sign without a session",
        lambda p, u, d: documents.plan_sign(plan=p, actor=u),
        DomainError,
    ),
    (
        "sign",
        "vanthu",
        "issue before the signature",
        lambda p, u, d: documents.plan_issue(plan=p, actor=u),
        StateError,
    ),
    (
        "sign",
        "ngoaivu",
        "acknowledge before issuance",
        lambda p, u, d: documents.receipt_acknowledge(plan=p, actor=u),
        StateError,
    ),
    (
        "sign",
        "phochutich",
        "a deputy hands the signature",
        lambda p, u, d: documents.plan_signer_change(plan=p, actor=u, signer_id=u.pk, reason="x"),
        PermissionDenied,
    ),
    (
        "vetting",
        "giamdoc",
        "someone else withdraws",
        lambda p, u, d: documents.plan_withdraw(plan=p, actor=u, comment="x"),
        PermissionDenied,
    ),
]


@pytest.mark.parametrize(
    ("step", "who", "what", "call", "error"), REFUSALS, ids=[r[2] for r in REFUSALS]
)
def test_a_lifecycle_service_refuses_and_changes_nothing(
    step, who, what, call, error, make_content, directory
):
    plan = _walk_to(step, make_content, directory)
    before = _state(plan)
    with pytest.raises(error), transaction.atomic():
        call(Plan.objects.get(pk=plan.pk), _users()[who], directory)
    assert _state(plan) == before
