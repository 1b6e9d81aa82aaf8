"""What the clerk reads before issuing: the final PDF as it will print, marked as a preview.
The number and date to come are read by static/js/issue.js from the API
(/api/v1/documents/{id}/issue-preview/). The number is only read, never taken: plan_issue takes
it under the register's lock when the clerk confirms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from documents.selectors import (
    plan_get_to_issue,
    plan_issue_preview,
    plan_issue_preview_pdf,
)


@login_required
@require_GET
def plan_issue_preview_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The signed PDF with the number and date filled in as they will be, unsealed, marked
    "BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH"."""
    plan = plan_get_to_issue(user=request.user, plan_id=plan_id)
    texts = plan_issue_preview(plan=plan)
    response = HttpResponse(
        plan_issue_preview_pdf(plan=plan, texts=texts), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'inline; filename="ke-hoach-{plan.pk}-xem-truoc-so-{texts.number:02d}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
