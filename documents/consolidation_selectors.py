"""Reads that make a plan's consolidation document (bảng tổng hợp, tiếp thu, giải trình ý kiến).

`consolidation_build(plan=…)` turns the plan's ConsultationRequest rows (every round) into the typed
data of documents/consolidation.py in three queries; `consolidation_docx` and `consolidation_pdf`
render it (the PDF through documents.conversion, cached by content hash).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.utils import timezone

from . import conversion
from .consolidation import (
    AgencyAnswer,
    Consolidation,
    ConsultationRound,
    Resolution,
    Verdict,
    consolidation_from_dict,
    render_consolidation_docx,
)
from .models import ConsultationRequest, Plan, PlanEvent, PlanVersion


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _verdict(request: ConsultationRequest) -> str:
    if request.by_silence:
        return Verdict.SILENT
    return request.verdict or Verdict.PENDING


def consolidation_build(
    *, plan: Plan, prepared_on: dt.date | None = None, version: int | None = None
) -> Consolidation:
    """The consolidation of every round of `plan`'s consultation, as it stands now: each agency's
    verdict and comment, the drafter's answer (tiếp thu / giải trình) and note. `version` is the
    version made by the consolidation, once the plan was sent on (reason "consolidated")."""
    requests = list(
        ConsultationRequest.objects.filter(plan=plan)
        .select_related("unit", "version")
        .order_by("round", "unit__name", "pk")
    )
    sent = {
        (event.data or {}).get("round"): event.created_at
        for event in PlanEvent.objects.filter(
            plan=plan, kind=PlanEvent.Kind.SENT_FOR_CONSULTATION
        ).only("data", "created_at")
    }
    rounds = []
    for number, grouped in groupby(requests, key=lambda r: r.round):
        rows = list(grouped)
        rounds.append(
            ConsultationRound(
                number=number,
                sent_on=_local_date(sent.get(number)),
                deadline=_local_date(max(r.deadline for r in rows)),
                version=rows[0].version.number,
                answers=[
                    AgencyAnswer(
                        agency=r.unit.name,
                        verdict=_verdict(r),
                        comment=r.comment,
                        resolution=r.resolution or Resolution.NONE,
                        resolution_note=r.resolution_note,
                        answered_on=_local_date(r.answered_at),
                    )
                    for r in rows
                ],
            )
        )
    if version is None:
        consulted = max((r.version.number for r in requests), default=0)
        version = (
            plan.versions.filter(reason="consolidated", number__gt=consulted)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
    drafting_unit = plan.drafting_unit
    parent = plan.issuer.name if plan.issuer_id != plan.drafting_unit_id else ""
    return Consolidation(
        plan_title=plan.title,
        doc_type=plan.doc_type,
        drafting_unit=drafting_unit.name,
        parent_body=parent,
        place=(plan.content or {}).get("place") or settings.PROVINCE_NAME,
        prepared_on=prepared_on or timezone.localdate(),
        version=version,
        rounds=rounds,
    )


def consolidation_docx(*, plan: Plan, prepared_on: dt.date | None = None) -> bytes:
    return render_consolidation_docx(consolidation_build(plan=plan, prepared_on=prepared_on))


def consolidation_pdf(*, plan: Plan, prepared_on: dt.date | None = None) -> bytes:
    """The PDF of the consolidation (LibreOffice; the same content is converted once)."""
    return conversion.docx_to_pdf(consolidation_docx(plan=plan, prepared_on=prepared_on))


def version_consolidation_docx(*, version: PlanVersion) -> bytes:
    """The .docx of the consolidation kept on `version` (it must have one)."""
    if version.consolidation is None:
        raise ValueError(f"version {version.pk} has no consolidation")
    return render_consolidation_docx(consolidation_from_dict(version.consolidation))


def version_consolidation_pdf(*, version: PlanVersion) -> bytes:
    """The PDF of the consolidation kept on `version` (converted once: cached by content hash)."""
    return conversion.docx_to_pdf(version_consolidation_docx(version=version))
