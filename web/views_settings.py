"""Pages of one's notices by e-mail, and of the working-day calendar (edited by staff)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agencies.errors import DomainError, InvalidInput
from agencies.working_days import (
    MAX_YEAR,
    MIN_YEAR,
    WEEKDAY_NAMES,
    calendar_day_delete,
    calendar_day_list,
    calendar_day_set,
)
from notifications.selectors import notification_preference_of
from notifications.services import email_kind_choices, notification_preference_set


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Which kinds of notices come by e-mail, and whether in one e-mail a day."""
    if request.method == "POST":
        try:
            notification_preference_set(
                user=request.user,
                email_kinds=request.POST.getlist("email_kinds"),
                digest=request.POST.get("digest") == "1",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lưu tùy chọn nhận thông báo qua e-mail."))
        return redirect("notification-preferences")
    email_kinds, digest = notification_preference_of(user=request.user)
    return render(
        request,
        "pages/notification_preferences.html",
        {
            "kinds": [
                {"value": value, "label": label, "checked": value in email_kinds}
                for value, label in email_kind_choices()
            ],
            "digest": digest,
        },
    )


def _month(request: HttpRequest) -> dt.date:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("nam") or today.year)
        month = int(request.GET.get("thang") or today.month)
        if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        return today.replace(day=1)
    return dt.date(year, month, 1)


@login_required
@require_http_methods(["GET", "POST"])
def working_calendar(request: HttpRequest) -> HttpResponse:
    """A month of the working-day calendar: holidays, weekends, days swapped; staff add a day
    off or a working Saturday, or remove what they added."""
    if request.method == "POST":
        back = reverse("working-calendar")
        try:
            try:
                day = dt.date.fromisoformat((request.POST.get("date") or "").strip())
            except ValueError as exc:
                raise InvalidInput(_("Ngày không hợp lệ (YYYY-MM-DD).")) from exc
            back += f"?nam={day.year}&thang={day.month}"
            if request.POST.get("action") == "remove":
                calendar_day_delete(actor=request.user, day=day)
                messages.success(
                    request, _("Đã bỏ điều chỉnh ngày %(day)s.") % {"day": f"{day:%d/%m/%Y}"}
                )
            else:
                calendar_day_set(
                    actor=request.user,
                    day=day,
                    is_working_day=request.POST.get("is_working_day") == "1",
                    reason=request.POST.get("reason") or "",
                )
                messages.success(request, _("Đã ghi ngày %(day)s.") % {"day": f"{day:%d/%m/%Y}"})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(back)
    first = _month(request)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    days = calendar_day_list(start=first, end=last)
    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return render(
        request,
        "pages/working_calendar.html",
        {
            "month": first,
            "days": [(day, str(WEEKDAY_NAMES[day.date.weekday()])) for day in days],
            "working_days": sum(1 for day in days if day.is_working_day),
            "previous": previous,
            "following": following,
            "can_edit": request.user.is_staff,
        },
    )
