"""What the clerk sees before issuing: the number and date the issuance will give (from the
register, refreshed by static/js/issue.js) and the final PDF as it will print, marked as a
preview. The number is only read here, never taken: plan_issue takes it under the register's
lock when the clerk confirms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.errors import PermissionDenied, StateError
from agencies.models import User
from documents.models import Plan
from documents.selectors import (
    IssueTexts,
    plan_get_visible,
    plan_issue_preview,
    plan_issue_preview_pdf,
)


def _plan_to_issue(request: HttpRequest, plan_id: int) -> Plan:
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    if request.user.role != User.Role.CLERK:
        raise PermissionDenied(_("Chỉ văn thư mới được xem trước số và bản phát hành."))
    if plan.status != Plan.Status.SIGNED or not plan.signed_pdf:
        raise StateError(_("Văn bản không ở bước chờ phát hành."))
    return plan


def issue_texts_json(texts: IssueTexts) -> dict[str, object]:
    return {
        "number": texts.number,
        "number_text": texts.number_text,
        "issued_on": texts.issued_on.isoformat(),
        "date_text": texts.date_text,
        "is_held": texts.is_held,
    }


@login_required
@require_GET
def plan_issue_number(request: HttpRequest, plan_id: int) -> JsonResponse:
    """The number and date issuing the plan now would give (JSON; issue.js polls it)."""
    plan = _plan_to_issue(request, plan_id)
    response = JsonResponse(issue_texts_json(plan_issue_preview(plan=plan)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def plan_issue_preview_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The signed PDF with the number and date filled in as they will be, unsealed, marked
    "BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH"."""
    plan = _plan_to_issue(request, plan_id)
    texts = plan_issue_preview(plan=plan)
    response = HttpResponse(
        plan_issue_preview_pdf(plan=plan, texts=texts), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'inline; filename="ke-hoach-{plan.pk}-xem-truoc-so-{texts.number:02d}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
