"""The absences page: record an absence with a stand-in, see and end those I may manage.

Thin: parse, call one service (workflows.services.absence_create, agencies.services.absence_end),
answer with a Vietnamese message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies import services as agencies
from agencies.errors import DomainError
from agencies.selectors import absence_list_managed, absence_people_for
from workflows import services as workflows


@login_required
@require_http_methods(["GET", "POST"])
def absence_list(request: HttpRequest) -> HttpResponse:
    """GET: my absences and those I manage, and the form; POST: record one."""
    persons, stand_ins = absence_people_for(user=request.user)
    form = {"person_id": str(request.user.pk)}
    status = 200
    if request.method == "POST":
        form = {
            k: request.POST.get(k, "")
            for k in ("person_id", "stand_in_id", "start_date", "end_date", "reason")
        }
        try:
            absence = workflows.absence_create(
                actor=request.user,
                person_id=form["person_id"] or request.user.pk,
                stand_in_id=form["stand_in_id"],
                start_date=form["start_date"],
                end_date=form["end_date"],
                reason=form["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _("Đã ghi nhận: %(stand_in)s thay mặt %(person)s từ %(start)s đến %(end)s.")
                % {
                    "stand_in": absence.stand_in.display_name,
                    "person": absence.person.display_name,
                    "start": f"{absence.start_date:%d/%m/%Y}",
                    "end": f"{absence.end_date:%d/%m/%Y}",
                },
            )
            return redirect("absence-list")
    today = timezone.localdate()
    absences = [
        {
            "absence": a,
            "is_current": a.is_current(today),
            "is_over": a.ended_at is not None or a.end_date < today,
        }
        for a in absence_list_managed(user=request.user)[:100]
    ]
    return render(
        request,
        "pages/absences.html",
        {
            "absences": absences,
            "persons": persons,
            "stand_ins": stand_ins,
            "form": form,
            "today": today.isoformat(),
        },
        status=status,
    )


@login_required
@require_POST
def absence_end(request: HttpRequest, absence_id: int) -> HttpResponse:
    try:
        agencies.absence_end(actor=request.user, absence_id=absence_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã kết thúc vắng mặt: nhiệm vụ mới trở lại người vắng mặt."))
    return redirect("absence-list")
