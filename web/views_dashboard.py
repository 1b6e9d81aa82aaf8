"""The dashboard page (tổng quan) and the plans behind its figures; the search page (tìm kiếm).

Thin edges: parse, call the selectors (documents.dashboard_selectors, documents.search), answer.
The charts are drawn by static/js/dashboard.js from the figures given in a JSON block; each chart
has its table on the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.errors import InvalidInput, PermissionDenied
from documents import dashboard_selectors as dashboard
from documents.api_dashboard import with_links
from documents.models import Plan, SearchEntry
from documents.rendering import doc_type_words
from documents.search import SearchCursor, SearchFilters, search
from documents.types import TYPES

from .views import PageOf, _page_of

PLANS_PAGE = 20


def _scope(request: HttpRequest) -> dashboard.Scope:
    scope = dashboard.dashboard_scope(request.user)
    if scope is None:
        raise PermissionDenied(
            _("Chỉ Văn phòng UBND tỉnh và lãnh đạo đơn vị xem được trang tổng quan.")
        )
    return scope


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The figures of the user's dashboard, charts and tables, each leading to its plans."""
    scope = _scope(request)
    summary = with_links(dashboard.dashboard_summary(scope), reverse("dashboard-plans"))
    most_days = max((r["average_days"] or 0 for r in summary["stage_durations"]), default=0)
    chart_data = {
        "labels": {
            "plans": _("Số văn bản"),
            "days": _("Số ngày trung bình"),
            "waiting": _("Chưa trả lời, đã quá hạn"),
            "silent": _("Quá hạn, xem như thống nhất"),
            "late": _("Trả lời sau hạn"),
            "issued": _("Đã ban hành"),
        },
        "by_stage": summary["by_stage"],
        "stage_durations": summary["stage_durations"],
        "consultations_overdue": summary["consultations_overdue"][:15],
        "issued_by_month": summary["issued_by_month"],
    }
    return render(
        request,
        "pages/dashboard.html",
        {
            "summary": summary,
            "scope": scope,
            "chart_data": chart_data,
            "most_days": most_days,
        },
    )


@login_required
@require_GET
def dashboard_plans(request: HttpRequest) -> HttpResponse:
    """The plans behind a figure of the dashboard, newest first, a page at a time."""
    scope = _scope(request)
    filters = dashboard.plan_filters_parse(request.GET)
    user = request.user
    page: PageOf = _page_of(
        request,
        "plans",
        lambda before, limit: dashboard.dashboard_plan_page(
            user=user, scope=scope, filters=filters, before=before, limit=limit
        ),
    )
    labels = dict(Plan.Status.choices)
    described = []
    if filters.status:
        described.append(_("Trạng thái: %(s)s") % {"s": labels[filters.status]})
    if filters.overdue_unit is not None:
        unit = next(
            (
                r["unit_name"]
                for r in dashboard.consultations_overdue(scope)
                if r["unit_id"] == filters.overdue_unit
            ),
            str(filters.overdue_unit),
        )
        described.append(_("Lấy ý kiến quá hạn của: %(u)s") % {"u": unit})
    if filters.issued_month:
        year, month = filters.issued_month.split("-")
        described.append(_("Ban hành trong tháng %(m)s/%(y)s") % {"m": month, "y": year})
    return render(
        request,
        "pages/dashboard_plans.html",
        {"plans": page.items, "plans_page": page, "scope": scope, "described": described},
    )


# ---------------------------------------------------------------------------------------------
# Search


def _date(value: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            _("“%(label)s” phải là một ngày hợp lệ.") % {"label": label}, code="invalid_date"
        ) from exc


def search_filters_from(params: Any) -> SearchFilters:
    """The filters of the search form (or the API's query string)."""
    return SearchFilters(
        number=(params.get("number") or "")[:200],
        unit=(params.get("unit") or "")[:200],
        signer=(params.get("signer") or "")[:200],
        date_from=_date(params.get("date_from") or "", _("Từ ngày")),
        date_to=_date(params.get("date_to") or "", _("Đến ngày")),
        kinds=tuple(k for k in params.getlist("kind") if k),
        statuses=tuple(s for s in params.getlist("status") if s),
        doc_types=tuple(t for t in params.getlist("doc_type") if t),
    )


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Search plans, issued and incoming documents the user may see; results a page at a time
    (`?after=` carries where the previous page ended)."""
    params = request.GET
    query = (params.get("q") or "")[:500]
    filters = search_filters_from(params)
    after = SearchCursor.parse(params.get("after") or "")
    searched = bool(query.strip()) or filters != SearchFilters()
    result = (
        search(user=request.user, query=query, filters=filters, after=after) if searched else None
    )
    labels = dict(Plan.Status.choices)
    next_url = first_url = ""
    if result is not None:
        rest = params.copy()
        rest.pop("after", None)
        first_url = f"?{rest.urlencode()}"
        if result.next_cursor:
            rest["after"] = result.next_cursor
            next_url = f"?{rest.urlencode()}"
    return render(
        request,
        "pages/search.html",
        {
            "query": query,
            "filters": filters,
            "result": result,
            "next_url": next_url,
            "first_url": first_url,
            "is_first": after is None,
            "kinds": SearchEntry.Kind.choices,
            "statuses": Plan.Status.choices,
            "doc_types": [(t.abbreviation, doc_type_words(t.abbreviation)) for t in TYPES],
            "hits": [(hit, labels.get(hit.status, "")) for hit in result.results]
            if result is not None
            else [],
        },
    )
