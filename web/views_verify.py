"""Public verification pages (no login): check any PDF, and the page of each issued plan.

Thin edges: parse the upload, call one service of `documents.verification`, render. Errors of the
domain family (a forged token: `NotFound`) become the error page through the middleware.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from agencies.errors import NotFound
from documents.verification import (
    document_verify,
    plan_get_by_verify_token,
    plan_verification_get,
    verification_guard,
    verify_max_bytes,
    verify_too_large_message,
)


def _form_context(**extra: object) -> dict[str, object]:
    return {"max_mb": verify_max_bytes() // (1024 * 1024), **extra}


@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST (multipart `file`): the verdict on each signature, the matches."""
    if request.method == "GET":
        return render(request, "pages/verify.html", _form_context())
    upload = request.FILES.get("file")
    if upload is None:
        error = "Vui lòng chọn tệp PDF cần kiểm tra."
    elif upload.size > verify_max_bytes():  # before reading it
        error = verify_too_large_message()
    else:
        with verification_guard(client=request.META.get("REMOTE_ADDR") or "?"):
            verification = document_verify(pdf=upload.read())
        return render(
            request,
            "pages/verify_result.html",
            _form_context(verification=verification, file_name=upload.name),
        )
    return render(request, "pages/verify.html", _form_context(error=error), status=400)


@require_GET
def verify_plan(request: HttpRequest, token: str) -> HttpResponse:
    """The verification of an issued plan, reached from the link and QR code printed in it."""
    with verification_guard(client=request.META.get("REMOTE_ADDR") or "?"):
        plan, verification = plan_verification_get(token=token)
    return render(
        request,
        "pages/verify_plan.html",
        _form_context(plan=plan, token=token, verification=verification),
    )


@require_GET
def verify_plan_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """Download the issued PDF of the plan of `token`."""
    plan = plan_get_by_verify_token(token=token)
    if plan is None or not plan.issued_pdf:
        raise NotFound("Không tìm thấy văn bản cần kiểm tra.", code="not_found")
    response = HttpResponse(bytes(plan.issued_pdf), content_type="application/pdf")
    name = f"KH-{plan.number:02d}-{plan.register_year}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
