"""Reads of plans: what a user may see, and the pieces of one plan's page."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from agencies.errors import NotFound
from agencies.models import User

from .models import ConsultationRequest, Plan, PlanAccess, PlanEvent, PlanVersion, Receipt


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
