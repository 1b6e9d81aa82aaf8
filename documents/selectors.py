"""Reads of plans: what a user may see, the pieces of one plan's page, the document as it reads
and its PDFs."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.errors import NotFound, PermissionDenied, StateError
from agencies.keyset import keyset_page
from agencies.models import User
from signing import services as signing

from . import conversion, rendering
from .budget import ReviewedLine, budget_lines, reviewed_figures
from .comparison import Comparison, compare_contents
from .content import DocumentHeader, PlanContent
from .models import (
    ConsultationRequest,
    IncomingDocument,
    NumberReservation,
    OutgoingRegister,
    Plan,
    PlanAccess,
    PlanEvent,
    PlanVersion,
    PlanVersionSeen,
    Receipt,
    RenderedPdf,
    sha256_hex,
)

logger = logging.getLogger(__name__)


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


def _visible_branches(user: User) -> list[tuple[QuerySet[Any], str]]:
    """`_access_filter` as branches that an index answers in plan order (`keyset_page`):
    drafted by the user; granted to them, to their unit, to their role in their unit, to
    their role."""
    grants = PlanAccess.objects.filter(user__isnull=True)
    branches: list[tuple[QuerySet[Any], str]] = [
        (Plan.objects.filter(drafter=user), "id"),
        (PlanAccess.objects.filter(user=user), "plan_id"),
    ]
    if user.unit_id:
        branches.append((grants.filter(unit_id=user.unit_id, role=""), "plan_id"))
        if user.role:
            branches.append((grants.filter(unit_id=user.unit_id, role=user.role), "plan_id"))
    if user.role:
        branches.append((grants.filter(unit__isnull=True, role=user.role), "plan_id"))
    return branches


#: Columns a list never shows: the content and the stored PDFs (hundreds of KB per plan).
LIST_DEFERRED = ("content", "signed_pdf", "issued_pdf")


def _plans_in_order(ids: list[int]) -> list[Plan]:
    plans = (
        Plan.objects.select_related("drafter", "drafting_unit")
        .defer(*LIST_DEFERRED)
        .order_by()
        .in_bulk(ids)
    )
    return [plans[i] for i in ids if i in plans]


def plan_page_visible(*, user: User, before: int | None, limit: int) -> list[Plan]:
    """A page of the plans the user may see (`plan_list_visible`), newest first (by id), below
    `before`. Read through the grants' indexes: the work depends on the page, not on how many
    plans the province has or how few of them the user sees."""
    if not user.is_authenticated:
        return []
    return _plans_in_order(keyset_page(_visible_branches(user), before=before, limit=limit))


def plan_page_drafted(*, user: User, before: int | None, limit: int) -> list[Plan]:
    """A page of the plans the user drafts, newest first."""
    if not user.is_authenticated:
        return []
    drafted = [(Plan.objects.filter(drafter=user), "id")]
    return _plans_in_order(keyset_page(drafted, before=before, limit=limit))


def receipt_page_of_unit(*, unit_id: int | None, before: int | None, limit: int) -> list[Receipt]:
    """A page of the issued plans delivered to a unit, the latest delivery first (keyed by the
    receipt's id)."""
    if not unit_id:
        return []
    ids = keyset_page([(Receipt.objects.filter(unit_id=unit_id), "id")], before=before, limit=limit)
    receipts = (
        Receipt.objects.select_related("plan__issuer")
        .defer("plan__signed_pdf", "plan__issued_pdf")
        .order_by()
        .in_bulk(ids)
    )
    return [receipts[i] for i in ids if i in receipts]


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
    qs = plan.consultations.select_related("unit", "answered_by", "resolved_by", "version")
    if round is not None:
        qs = qs.filter(round=round)
    return qs.order_by("-round", "unit__name")


def consultation_rounds(*, plan: Plan) -> dict[str, Any]:
    """Every round's answers side by side: one row per consulted unit, one cell per round (None
    where the unit was not asked in that round), the rounds oldest first with their version."""
    requests = list(consultation_list(plan=plan).order_by("round", "unit__name"))
    rounds = sorted({r.round for r in requests})
    versions: dict[int, int | None] = {}
    rows: dict[int, dict[str, Any]] = {}
    for request in requests:
        versions.setdefault(request.round, request.version.number if request.version_id else None)
        row = rows.setdefault(
            request.unit_id, {"unit": request.unit, "cells": dict.fromkeys(rounds)}
        )
        row["cells"][request.round] = request
    ordered = sorted(rows.values(), key=lambda row: row["unit"].name)
    for row in ordered:
        row["cells"] = [row["cells"][n] for n in rounds]
    return {
        "rounds": [{"number": n, "version": versions.get(n)} for n in rounds],
        "rows": ordered,
    }


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


def incoming_page_visible(*, user: User, before: int | None, limit: int) -> list[IncomingDocument]:
    """A page of `incoming_list_visible`, newest first, read through the two units' indexes."""
    if not user.is_authenticated or not user.unit_id:
        return []
    branches: list[tuple[QuerySet[Any], str]] = [
        (IncomingDocument.objects.filter(registering_unit_id=user.unit_id), "id"),
        (IncomingDocument.objects.filter(assigned_unit_id=user.unit_id), "id"),
    ]
    ids = keyset_page(branches, before=before, limit=limit)
    documents = (
        IncomingDocument.objects.select_related(
            "registered_by", "registering_unit", "assigned_unit"
        )
        .prefetch_related("plans")
        .in_bulk(ids)
    )
    return [documents[i] for i in ids if i in documents]


def incoming_list_assigned(*, unit_id: int) -> QuerySet[IncomingDocument]:
    """Incoming documents assigned to a unit for handling, the nearest deadline first."""
    return (
        IncomingDocument.objects.filter(assigned_unit_id=unit_id)
        .select_related("registering_unit", "assigned_unit")
        .order_by(F("deadline").asc(nulls_last=True), "-registered_at")
    )


# ---------------------------------------------------------------------------------------------
# The outgoing register (sổ văn bản đi)

#: Who reads the outgoing registers: the văn thư who keeps them, the Văn phòng, the leaders.
REGISTER_READERS = (User.Role.CLERK, User.Role.OFFICE_VETTER, User.Role.SIGNER)


def register_readable_by(user: User) -> bool:
    return bool(user.is_authenticated and user.role in REGISTER_READERS)


def register_list() -> QuerySet[OutgoingRegister]:
    """Every outgoing register: one per issuing body and year, the latest year first."""
    return OutgoingRegister.objects.select_related("issuer").order_by("-year", "issuer__name")


def register_entry_page(*, issuer_id: int, year: int, before: int | None, limit: int) -> list[Plan]:
    """A page of the register of `issuer_id` for `year`: the plans issued under it, the highest
    number first, below the number `before` (the register's unique index answers it)."""
    entries = Plan.objects.filter(issuer_id=issuer_id, register_year=year, number__isnull=False)
    if before is not None:
        entries = entries.filter(number__lt=before)
    recipients = (
        Receipt.objects.filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(count=Count("id"))
        .values("count")
    )
    # A correlated count, evaluated for the page's rows only (a join and GROUP BY would count
    # every entry of the year before the LIMIT).
    return list(
        entries.select_related("issuer", "signer", "drafting_unit")
        .defer("signed_pdf", "issued_pdf")
        .annotate(recipients_count=Coalesce(Subquery(recipients), 0))
        .order_by("-number")[:limit]
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


# ---------------------------------------------------------------------------------------------
# Rendering: the document as it reads, its PDFs (a rendered version is kept: a read-through cache)


def header_for(plan: Plan) -> DocumentHeader:
    content = plan.content or {}
    return DocumentHeader(
        issuer_name=plan.issuer.name.upper(),
        issuer_abbreviation=plan.issuer.abbreviation or "UBND",
        number=plan.number,
        issued_on=plan.issued_on,
        place=content.get("place") or settings.PROVINCE_NAME,
        budget_review=plan_budget_review_lines(plan=plan),
    )


def plan_budget_review_lines(*, plan: Plan) -> tuple[ReviewedLine, ...]:
    """The lines of Sở Tài chính's approved review of the plan's budget (its latest approval,
    kept in the audit event); () before it."""
    event = (
        PlanEvent.objects.filter(plan=plan, kind=PlanEvent.Kind.BUDGET_APPROVED)
        .order_by("-sequence")
        .only("data")
        .first()
    )
    lines = (event.data or {}).get("lines") if event is not None else None
    if not isinstance(lines, list):
        return ()
    return tuple(ReviewedLine.from_dict(line) for line in lines)


@dataclass(frozen=True)
class BudgetRow:
    """One budget line of the plan's content, with Sở Tài chính's verdict once approved."""

    index: int
    title: str
    lead_units: str
    amount_vnd: int
    source: str = ""
    verdict: str = ""
    adjusted_vnd: int | None = None
    reviewed_vnd: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class BudgetSummary:
    """The plan's budget lines and totals, before and after Sở Tài chính's approved review."""

    lines: list[BudgetRow]
    total_vnd: int
    reviewed_total_vnd: int | None
    is_reviewed: bool


def plan_budget_summary(*, plan: Plan, content: PlanContent | None = None) -> BudgetSummary:
    """Every budget line of `content` (default: the plan's) with the reviewed figures."""
    content = content or PlanContent.from_dict(plan.content)
    review = plan_budget_review_lines(plan=plan)
    figures = reviewed_figures(content, list(review)) if review else None
    rows = []
    for line in budget_lines(content):
        reviewed = figures.lines.get(line.index) if figures else None
        rows.append(
            BudgetRow(
                index=line.index,
                title=line.title,
                lead_units=line.lead_units,
                amount_vnd=line.amount_vnd,
                source=line.source,
                verdict=reviewed.verdict if reviewed else "",
                adjusted_vnd=reviewed.adjusted_vnd if reviewed else None,
                reviewed_vnd=reviewed.reviewed_vnd if reviewed else None,
                reason=reviewed.reason if reviewed else "",
            )
        )
    return BudgetSummary(
        lines=rows,
        total_vnd=content.budget_total_vnd(),
        reviewed_total_vnd=figures.reviewed_total_vnd if figures else None,
        is_reviewed=figures is not None,
    )


def version_with_consolidation(*, plan: Plan) -> PlanVersion | None:
    """The latest version sent on with a consolidation (bảng tổng hợp ý kiến), if any."""
    return (
        plan.versions.filter(consolidation__isnull=False)
        .order_by("-number")
        .defer("content", "consolidation")
        .first()
    )


def plan_number_text(plan: Plan, *, number: int | None = None) -> str:
    """ "Số: 05/KH-UBND" (or "Số: 12/UBND-VX" for a công văn); "" while the plan has no number."""
    number = plan.number if number is None else number
    if number is None:
        return ""
    return rendering.format_number(
        number,
        plan.doc_type,
        plan.issuer.abbreviation or "UBND",
        (plan.content or {}).get("drafting_unit_abbreviation", ""),
    )


@dataclass(frozen=True)
class IssueTexts:
    """The number and date of an issuance, as the page shows them and as the PDF prints them."""

    number: int
    year: int
    issued_on: dt.date
    number_text: str  # "Số: 12/KH-UBND"
    date_text: str  # "Đồng Nai, ngày 05 tháng 01 năm 2027"
    #: held: the plan already holds this number (an earlier attempt); else the register's next
    is_held: bool = False

    @property
    def number_field(self) -> str:
        """What fills the blank before "/KH-…" in the signed PDF: "12"."""
        return f"{self.number:02d}"

    @property
    def date_field(self) -> str:
        """What fills the date's blank: the words from "ngày" on."""
        return self.date_text.split(", ", 1)[-1]


def issue_texts(
    plan: Plan, *, number: int, issued_on: dt.date, is_held: bool = False
) -> IssueTexts:
    """The texts issuing `plan` with `number` on `issued_on` prints."""
    return IssueTexts(
        number=number,
        year=issued_on.year,
        issued_on=issued_on,
        number_text=plan_number_text(plan, number=number),
        date_text=rendering.format_place_date(header_for(plan).place, issued_on),
        is_held=is_held,
    )


def plan_issue_preview(*, plan: Plan, on: dt.date | None = None) -> IssueTexts:
    """The number and date issuing `plan` now would give, without taking the number.

    The number the plan holds from an earlier attempt, else the next of its issuer's register for
    the year of `on` (today). Not a promise: another clerk may take it first, and the issuance
    then gives the next one (plan_issue takes it under the register's lock).
    """
    on = on or timezone.localdate()
    held = NumberReservation.objects.filter(plan=plan).select_related("register").first()
    if held is not None:
        return issue_texts(plan, number=held.number, issued_on=held.issued_on, is_held=True)
    last = (
        OutgoingRegister.objects.filter(issuer_id=plan.issuer_id, year=on.year)
        .values_list("last_number", flat=True)
        .first()
    )
    return issue_texts(plan, number=(last or 0) + 1, issued_on=on)


def plan_get_to_issue(*, user: User, plan_id: int) -> Plan:
    """The signed plan `plan_id`, for a clerk who may see it and preview its issuance.

    Raises NotFound (not visible), PermissionDenied (not a clerk) or StateError (not waiting for
    issuance: not signed yet, or issued already).
    """
    plan = plan_get_visible(user=user, plan_id=plan_id)
    if user.role != User.Role.CLERK:
        raise PermissionDenied(
            "Chỉ văn thư mới được xem trước số và bản phát hành.", code="not_a_clerk"
        )
    if plan.status != Plan.Status.SIGNED or not plan.signed_pdf:
        raise StateError("Văn bản không ở bước chờ phát hành.", code="not_awaiting_issue")
    return plan


def plan_issue_preview_pdf(*, plan: Plan, texts: IssueTexts) -> bytes:
    """The signed PDF with `texts` filled in as issuing will, unsealed and marked as a preview."""
    return signing.pdf_issue_preview(
        pdf=bytes(plan.signed_pdf or b""),
        number_text=texts.number_field,
        date_text=texts.date_field,
    )


def render_docx(*, plan: Plan, content: dict[str, Any] | None = None) -> bytes:
    """The .docx of `content` (default: the plan's current content) with the plan's header."""
    return rendering.render_plan_docx(
        PlanContent.from_dict(content or plan.content), header_for(plan)
    )


def version_pdf(*, version: PlanVersion) -> bytes:
    """The PDF of a submitted version, rendered once and cached (LibreOffice takes a second)."""
    return bytes(version_rendered(version).pdf)


def version_position_line(version: PlanVersion) -> str:
    """The signer's position line of the version's signature block: the signature box's anchor."""
    return PlanContent.from_dict(version.content).signature.position or "CHỦ TỊCH"


def _anchors_find(pdf: bytes, version: PlanVersion) -> dict[str, Any] | None:
    try:
        return signing.pdf_anchors_find(pdf=pdf, position_line=version_position_line(version))
    except Exception:  # the signature then reads the PDF itself, and says what is missing
        logger.exception("Could not find the anchors of version %s", version.pk)
        return None


def version_rendered(version: PlanVersion) -> RenderedPdf:
    """The version's rendered PDF row: rendered now if needed, with its anchors (where the
    number and date blanks, the signature box and the verification link go), found once."""
    cached = RenderedPdf.objects.filter(version=version).first()
    if cached is not None:
        return cached
    plan = version.plan
    pdf = conversion.docx_to_pdf(render_docx(plan=plan, content=version.content))
    anchors = _anchors_find(pdf, version)
    try:
        with transaction.atomic():
            return RenderedPdf.objects.create(
                version=version, pdf=pdf, sha256=sha256_hex(pdf), anchors=anchors
            )
    except IntegrityError:  # rendered in parallel by another request: same content, same text
        return RenderedPdf.objects.get(version=version)


def version_pdf_anchors(
    *, version: PlanVersion, rendered: RenderedPdf | None = None
) -> dict[str, Any] | None:
    """The anchors of the version's PDF (`signing.pdf_anchors_find`), found now and kept if the
    PDF was rendered before they were kept, or for another position line."""
    rendered = rendered or version_rendered(version)
    anchors = rendered.anchors
    if not anchors or anchors.get("position_line") != version_position_line(version):
        anchors = _anchors_find(bytes(rendered.pdf), version)
        RenderedPdf.objects.filter(pk=rendered.pk).update(anchors=anchors)
    return anchors


def plan_pdf(*, plan: Plan) -> tuple[bytes, str]:
    """The PDF a reader gets now: issued, else signed, else the current content. Returns
    (pdf, kind) with kind "issued" | "signed" | "draft"."""
    if plan.status == Plan.Status.ISSUED and plan.issued_pdf:
        return bytes(plan.issued_pdf), "issued"
    if plan.signed_pdf:
        return bytes(plan.signed_pdf), "signed"
    version = latest_version(plan)
    if version is not None and not plan.is_editable:
        return version_pdf(version=version), "draft"
    return conversion.docx_to_pdf(render_docx(plan=plan)), "draft"


def latest_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()
