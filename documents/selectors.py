"""Reads of plans: what a user may see, and the pieces of one plan's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from agencies.errors import NotFound
from agencies.models import User

from .comparison import Comparison, compare_contents
from .models import (
    ConsultationRequest,
    IncomingDocument,
    Plan,
    PlanAccess,
    PlanEvent,
    PlanVersion,
    PlanVersionSeen,
    Receipt,
)


def _access_filter(user: User) -> Q:
    grants = PlanAccess.objects.filter(plan=OuterRef("pk")).filter(
        Q(user=user)
        | Q(user__isnull=True, unit_id=user.unit_id, role="")
        | Q(user__isnull=True, unit_id=user.unit_id, role=user.role)
        | Q(user__isnull=True, unit__isnull=True, role=user.role)
    )
    return Q(drafter=user) | Q(Exists(grants))


def plan_list_visible(*, user: User) -> QuerySet[Plan]:
    """Plans the user drafts, was asked to act on, or received (DESIGN.md invariant)."""
    if not user.is_authenticated:
        return Plan.objects.none()
    return (
        Plan.objects.filter(_access_filter(user))
        .select_related("drafter", "drafting_unit", "issuer", "signer")
        .order_by("-updated_at", "-id")
    )


def plan_get_visible(*, user: User, plan_id: int) -> Plan:
    plan = plan_list_visible(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này.")
    return plan


def plan_is_visible(*, user: User, plan: Plan) -> bool:
    return plan_list_visible(user=user).filter(pk=plan.pk).exists()


def plan_version_list(*, plan: Plan) -> QuerySet[PlanVersion]:
    return plan.versions.select_related("created_by").order_by("number")


def plan_version_get(*, plan: Plan, number: int) -> PlanVersion:
    version = plan.versions.filter(number=number).first()
    if version is None:
        raise NotFound("Không tìm thấy phiên bản này.")
    return version


def plan_event_list(*, plan: Plan) -> QuerySet[PlanEvent]:
    return plan.events.select_related("actor").order_by("sequence")


def consultation_list(*, plan: Plan, round: int | None = None) -> QuerySet[ConsultationRequest]:
    qs = plan.consultations.select_related("unit", "answered_by", "resolved_by")
    if round is not None:
        qs = qs.filter(round=round)
    return qs.order_by("-round", "unit__name")


def receipt_list(*, plan: Plan) -> QuerySet[Receipt]:
    return plan.receipts.select_related("unit", "acknowledged_by").order_by("unit__name")


def plan_list_received(*, user: User) -> QuerySet[Plan]:
    """Issued plans delivered to the user's unit."""
    if not user.unit_id:
        return Plan.objects.none()
    return Plan.objects.filter(status=Plan.Status.ISSUED, receipts__unit_id=user.unit_id).distinct()


# ---------------------------------------------------------------------------------------------
# Versions: comparison, and what a user has seen


def version_numbers(*, plan: Plan) -> list[int]:
    return list(plan.versions.order_by("number").values_list("number", flat=True))


def version_compare(*, plan: Plan, old_number: int, new_number: int) -> Comparison:
    """What changed from version `old_number` to version `new_number` of `plan`."""
    old = plan_version_get(plan=plan, number=old_number)
    new = plan_version_get(plan=plan, number=new_number)
    return compare_contents(old.content, new.content)


def version_pair(
    *, plan: Plan, old_number: int | None = None, new_number: int | None = None
) -> tuple[int, int] | None:
    """The two versions to compare, defaulting to the previous version → the latest.

    A missing `new_number` is the latest version, a missing `old_number` the one before
    `new_number`. Raises NotFound for a version the plan does not have; None when neither is
    given and the plan has fewer than two versions.
    """
    numbers = version_numbers(plan=plan)
    for number in (old_number, new_number):
        if number is not None and number not in numbers:
            raise NotFound(f"Văn bản không có phiên bản số {number}.")
    if old_number is None and new_number is None:
        if len(numbers) < 2:
            return None
        return numbers[-2], numbers[-1]
    if new_number is None:
        new_number = numbers[-1]
    if old_number is None:
        earlier = [n for n in numbers if n < new_number]
        old_number = earlier[-1] if earlier else new_number
    return old_number, new_number


def version_last_seen(*, plan: Plan, user: User) -> PlanVersionSeen | None:
    if not user.is_authenticated:
        return None
    return PlanVersionSeen.objects.filter(plan=plan, user=user).first()


@dataclass(frozen=True)
class ChangesSinceSeen:
    """What changed since the user last opened the plan: versions `old_number` → `new_number`,
    or `first_time` when there is no earlier version they have seen."""

    new_number: int
    old_number: int | None = None
    comparison: Comparison | None = None

    @property
    def first_time(self) -> bool:
        return self.old_number is None


def version_changes_since_seen(*, plan: Plan, user: User) -> ChangesSinceSeen | None:
    """Changes from the version the user saw last (before the latest) to the latest version;
    None before the first submission. Read before `plan_version_seen_record` is called."""
    numbers = version_numbers(plan=plan)
    if not numbers:
        return None
    latest = numbers[-1]
    seen = version_last_seen(plan=plan, user=user)
    baseline = None
    if seen is not None and seen.version_number < latest:
        baseline = seen.version_number
    elif seen is not None and seen.previous_version_number is not None:
        baseline = seen.previous_version_number
    if baseline is None or baseline not in numbers or baseline >= latest:
        return ChangesSinceSeen(new_number=latest)
    return ChangesSinceSeen(
        new_number=latest,
        old_number=baseline,
        comparison=version_compare(plan=plan, old_number=baseline, new_number=latest),
    )


# ---------------------------------------------------------------------------------------------
# Incoming documents (văn bản đến)


def _incoming_filter(user: User) -> Q:
    """The registering user's unit and the assigned unit see an incoming document."""
    return Q(registering_unit_id=user.unit_id) | Q(assigned_unit_id=user.unit_id)


def incoming_list_visible(*, user: User) -> QuerySet[IncomingDocument]:
    """Incoming documents registered by, or assigned to, the user's unit; newest first."""
    if not user.is_authenticated or not user.unit_id:
        return IncomingDocument.objects.none()
    return (
        IncomingDocument.objects.filter(_incoming_filter(user))
        .select_related("registered_by", "registering_unit", "assigned_unit")
        .prefetch_related("plans")
        .order_by("-registered_at", "-id")
    )


def incoming_get_visible(*, user: User, incoming_id: int) -> IncomingDocument:
    incoming = incoming_list_visible(user=user).filter(pk=incoming_id).first()
    if incoming is None:
        raise NotFound("Không tìm thấy văn bản đến, hoặc bạn không có quyền xem văn bản này.")
    return incoming


def incoming_is_visible(*, user: User, incoming: IncomingDocument) -> bool:
    return incoming_list_visible(user=user).filter(pk=incoming.pk).exists()


def incoming_list_assigned(*, unit_id: int) -> QuerySet[IncomingDocument]:
    """Incoming documents assigned to a unit for handling, the nearest deadline first."""
    return (
        IncomingDocument.objects.filter(assigned_unit_id=unit_id)
        .select_related("registering_unit", "assigned_unit")
        .order_by(F("deadline").asc(nulls_last=True), "-registered_at")
    )


def plan_import_notes(*, plan: Plan) -> dict[str, Any]:
    """What the Word import of `plan` left for the drafter: the paragraphs it could not place
    ("unplaced"), its issues and whether the draft needs review; empty if it was not imported.
    Read from the plan's IMPORTED audit event (documents.services.plan_import_docx)."""
    event = (
        plan.events.filter(kind=PlanEvent.Kind.IMPORTED).order_by("-sequence").only("data").first()
    )
    data = event.data if event is not None else {}
    issues = data.get("issues") or [
        {"code": "note", "message": message, "text": ""} for message in data.get("warnings", [])
    ]
    return {
        "unplaced": list(data.get("unplaced", [])),
        "issues": list(issues),
        "needs_review": bool(data.get("needs_review", data.get("unplaced") or issues)),
    }
