"""Who may do what to a plan: one predicate per action, asked by the services before they act
and shown by the pages as the `can_*` flags of their buttons (`plan_permissions`).

The transitions of Plan carry them (django-fsm's `permission=`), so `has_transition_perm` answers
for a transition; a step's review actions are its actor's (documents/steps.py).
"""

from __future__ import annotations

from typing import Any

from agencies.models import User
from agencies.models import is_chairman as agencies_is_chairman
from agencies.selectors import stands_in_for


def _drafter_or_stand_in(plan: Any, user: User) -> bool:
    return user.pk == plan.drafter_id or stands_in_for(user, plan.drafter_id)


def may_edit(plan: Any, user: User) -> bool:
    """The drafter edits while the plan is a draft, returned, or being consolidated; while they
    are away, their stand-in does (agencies.Absence)."""
    return plan.is_editable and _drafter_or_stand_in(plan, user)


def may_submit(plan: Any, user: User) -> bool:
    return user.pk == plan.drafter_id and plan.status == plan.Status.DRAFT


def may_resubmit(plan: Any, user: User) -> bool:
    return plan.status == plan.Status.RETURNED and _drafter_or_stand_in(plan, user)


def may_reopen_consultation(plan: Any, user: User) -> bool:
    return plan.status == plan.Status.CONSOLIDATING and _drafter_or_stand_in(plan, user)


def may_withdraw(plan: Any, user: User) -> bool:
    """The drafter may withdraw the plan until it is signed."""
    return user.pk == plan.drafter_id and plan.status in plan.WITHDRAWABLE


def is_chairman(user: User) -> bool:
    """The Chủ tịch: a signer whose position is not a deputy's (Phó Chủ tịch)."""
    return agencies_is_chairman(user)


def may_change_signer(plan: Any, user: User) -> bool:
    """The Chủ tịch hands the signature of a plan to a Phó Chủ tịch, or takes it back, until it
    is signed."""
    return (
        is_chairman(user)
        and user.is_active
        and plan.status not in (plan.Status.SIGNED, plan.Status.ISSUED, plan.Status.WITHDRAWN)
    )


def may_choose_legal_review(plan: Any, user: User) -> bool:
    """The drafter asks for (or drops) Sở Tư pháp's review until the plan reaches vetting."""
    return user.pk == plan.drafter_id and plan.status in (
        plan.Status.DRAFT,
        plan.Status.RETURNED,
        plan.Status.AGENCY_REVIEW,
        plan.Status.APPROVED,
        plan.Status.IN_CONSULTATION,
        plan.Status.CONSOLIDATING,
        plan.Status.BUDGET_REVIEW,
    )


def plan_permissions(plan: Any, user: User) -> dict[str, bool]:
    """The flags the plan's page shows its buttons by."""
    return {
        "can_edit": may_edit(plan, user),
        "can_submit": may_submit(plan, user),
        "can_withdraw": may_withdraw(plan, user),
        "can_change_signer": may_change_signer(plan, user),
        "can_choose_legal_review": may_choose_legal_review(plan, user),
    }
