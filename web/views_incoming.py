"""Pages of incoming documents (văn bản đến): the list with an upload form (Word or PDF, a scan
read by OCR with a progress bar), one document with its arrival number, its file as it arrived
and the verification of its signatures, and "Tạo kế hoạch từ văn bản này". Thin edges: parse,
call one service, answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.errors import DomainError
from agencies.models import User
from agencies.selectors import unit_list_active
from documents import services as documents
from documents.importing import max_import_bytes, too_large_message
from documents.selectors import incoming_get_visible, incoming_list_visible
from exchange import services as exchange
from exchange.selectors import incoming_exchange

from .import_progress import progress_reporter


class IncomingImportForm(forms.Form):
    """A received document's Word file or PDF, and optionally the unit to handle it and by
    when."""

    file = forms.FileField(
        label=_("Tệp của văn bản đến (Word .docx hoặc PDF, kể cả bản quét)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.pdf"}),
    )
    assigned_unit = forms.ModelChoiceField(
        label=_("Đơn vị được giao xử lý"),
        queryset=unit_list_active(),
        required=False,
        empty_label=_("— Chưa giao —"),
    )
    deadline = forms.DateField(
        label=_("Hạn xử lý"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".docx", ".pdf")):
            raise forms.ValidationError(gettext("Chỉ nhận tệp Word (.docx) hoặc PDF."))
        if upload.size > max_import_bytes():  # settings.IMPORT_MAX_BYTES
            raise forms.ValidationError(too_large_message())
        return upload


def _rows(user: User) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "incoming": incoming,
            "plans": list(incoming.plans.all()),
            "is_overdue": bool(incoming.deadline and incoming.deadline < today),
        }
        for incoming in incoming_list_visible(user=user)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def incoming_list(request: HttpRequest) -> HttpResponse:
    """The unit's incoming documents; POST registers one from its Word file."""
    form = IncomingImportForm(prefix="incoming")
    status = 200
    if request.method == "POST":
        form = IncomingImportForm(request.POST, request.FILES, prefix="incoming")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            unit = form.cleaned_data["assigned_unit"]
            try:
                incoming = documents.incoming_import_file(
                    actor=request.user,
                    data=upload.read(),
                    file_name=upload.name,
                    assigned_unit_id=unit.pk if unit else None,
                    deadline=form.cleaned_data["deadline"],
                    progress=progress_reporter(request),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    gettext("Đã vào sổ văn bản đến %(number)s, số đến %(arrival)s.")
                    % {
                        "number": incoming.number or incoming.subject,
                        "arrival": incoming.arrival_text,
                    },
                )
                for warning in incoming.warnings[:5]:
                    messages.warning(request, str(warning))
                return redirect("incoming-detail", incoming_id=incoming.pk)
        else:
            status = 400
    return render(
        request,
        "pages/incoming_list.html",
        {
            "form": form,
            "rows": _rows(request.user),
            "can_start_plan": request.user.role == User.Role.DRAFTER,
        },
        status=status,
    )


@login_required
@require_GET
def incoming_detail(request: HttpRequest, incoming_id: int) -> HttpResponse:
    """One incoming document as received, with the plans started from it; `?kiem-tra-chu-ky`
    verifies the signatures of the file as it arrived, now."""
    incoming = incoming_get_visible(user=request.user, incoming_id=incoming_id)
    verification = None
    if "kiem-tra-chu-ky" in request.GET:
        try:
            verification = documents.incoming_verify_signatures(incoming=incoming).as_dict()
        except DomainError as exc:
            messages.error(request, exc.message)
    exchanged = incoming_exchange(incoming=incoming)
    return render(
        request,
        "pages/incoming_detail.html",
        {
            "incoming": incoming,
            "verification": verification,
            "plans": list(incoming.plans.select_related("drafting_unit")),
            "can_start_plan": request.user.role == User.Role.DRAFTER,
            "is_overdue": bool(incoming.deadline and incoming.deadline < timezone.localdate()),
            "exchange": exchanged,
            "exchange_choices": list(exchange.STATUS_CHOICES_FOR_USERS.items()),
            "can_report_exchange": bool(
                exchanged and request.user.unit_id == exchanged["log"].unit_id  # type: ignore[attr-defined]
            ),
        },
    )


@login_required
@require_GET
def incoming_file(request: HttpRequest, incoming_id: int) -> HttpResponse:
    """The file as it arrived (a signed PDF stays verifiable: its bytes are not changed)."""
    incoming = incoming_get_visible(user=request.user, incoming_id=incoming_id)
    name, content_type, data = documents.incoming_original(incoming=incoming)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def incoming_exchange_status(request: HttpRequest, incoming_id: int) -> HttpResponse:
    """ "Báo trạng thái cho cơ quan gửi": 04 phân công, 05 đang xử lý or 06 hoàn thành, sent
    back through the exchange (edXML) for a document received that way."""
    incoming = incoming_get_visible(user=request.user, incoming_id=incoming_id)
    try:
        exchange.incoming_status_send(
            actor=request.user,
            incoming=incoming,
            code=request.POST.get("code", ""),
            description=request.POST.get("description", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Đã gửi trạng thái xử lý cho cơ quan gửi văn bản."))
    return redirect("incoming-detail", incoming_id=incoming.pk)


@login_required
@require_POST
def incoming_start_plan(request: HttpRequest, incoming_id: int) -> HttpResponse:
    """ "Tạo kế hoạch từ văn bản này": a new draft citing the document; the editor opens."""
    incoming = incoming_get_visible(user=request.user, incoming_id=incoming_id)
    try:
        plan = documents.plan_start_from_incoming(actor=request.user, incoming=incoming)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("incoming-detail", incoming_id=incoming.pk)
    messages.success(request, gettext("Đã tạo dự thảo kế hoạch từ văn bản đến. Hãy soạn nội dung."))
    return redirect("plan-edit", plan_id=plan.pk)
