"""The audit trail: verify every plan's hash chain."""

from __future__ import annotations

from ..models import (
    Plan,
    PlanEvent,
)
from .base import (
    GENESIS_HASH,
)

# ---------------------------------------------------------------------------------------------
# Audit


def audit_verify(*, plan: Plan | None = None) -> list[str]:
    """Check every plan's event chain; return the problems found (empty when intact).

    The head kept on the plan row (count, last hash) must match the chain: it also catches the
    removal of the newest events, which leaves a shorter chain that is intact in itself.
    """
    problems: list[str] = []
    plans = Plan.objects.order_by("pk").only("pk", "events_count", "events_head")
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    for p in plans.iterator():
        previous = GENESIS_HASH
        expected_sequence = 1
        for event in PlanEvent.objects.filter(plan=p).order_by("sequence"):
            if event.sequence != expected_sequence:
                problems.append(f"plan {p.pk}: event {expected_sequence} missing")
            if event.previous_hash != previous or event.compute_hash() != event.hash:
                problems.append(f"plan {p.pk}: event {event.sequence} altered")
            previous, expected_sequence = event.hash, event.sequence + 1
        if (p.events_count, p.events_head or GENESIS_HASH) != (expected_sequence - 1, previous):
            problems.append(f"plan {p.pk}: the newest events are missing or altered")
    return problems
