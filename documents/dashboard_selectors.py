"""The dashboard (tổng quan): plans by stage, time spent per stage, consultations overdue per
agency, issued this month — for the Văn phòng (the province's plans) and for a unit head (their
unit's). Every figure is an aggregate computed in the database (a few statements, whatever the
number of plans; indexes on the plan's status, drafting unit and issue date answer them without
reading the rows' content), and every figure leads to the plans it counts
(`dashboard_plan_page`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from agencies.errors import InvalidInput
from agencies.models import Unit, User

from .models import ConsultationRequest, Plan, PlanEvent
from .selectors import LIST_DEFERRED, _access_filter

Status = Plan.Status

#: Roles of the Văn phòng, who read the dashboard of the whole province.
OFFICE_ROLES = (User.Role.OFFICE_VETTER, User.Role.CLERK)
#: Months of the "issued per month" series, this month included.
MONTHS = 12


@dataclass(frozen=True)
class Scope:
    """Whose plans a dashboard counts: the province's (the Văn phòng: every plan once submitted;
    drafts are their drafter's) or one unit's (its head: every plan it drafts)."""

    kind: str  # "province" | "unit"
    unit_id: int | None = None
    unit_name: str = ""

    @property
    def is_province(self) -> bool:
        return self.kind == "province"


def dashboard_scope(user: User) -> Scope | None:
    """The dashboard `user` may read, or None: the Văn phòng (office vetters, clerks, members of
    the Văn phòng unit, staff) the province's, a unit head (lãnh đạo cơ quan) their unit's."""
    if not user.is_authenticated:
        return None
    unit: Unit | None = user.unit
    if (
        user.role in OFFICE_ROLES
        or user.is_staff
        or (unit is not None and unit.kind == Unit.Kind.OFFICE)
    ):
        return Scope(kind="province")
    if user.role == User.Role.AGENCY_HEAD and unit is not None:
        return Scope(kind="unit", unit_id=unit.pk, unit_name=unit.name)
    return None


def dashboard_plans(scope: Scope) -> QuerySet[Plan]:
    """The plans a dashboard counts."""
    if scope.is_province:
        return Plan.objects.filter(status__in=[s for s in Status.values if s != Status.DRAFT])
    return Plan.objects.filter(drafting_unit_id=scope.unit_id)


def _statuses(scope: Scope) -> list[str]:
    return [s for s in Status.values if not (scope.is_province and s == Status.DRAFT)]


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def plans_by_stage(scope: Scope) -> list[dict[str, Any]]:
    """How many plans are at each status, every status in the order of the path (zeros kept)."""
    counts = dict(dashboard_plans(scope).order_by().values_list("status").annotate(n=Count("id")))
    labels = dict(Status.choices)
    return [
        {"status": s, "label": str(labels[s]), "count": int(counts.get(s, 0))}
        for s in _statuses(scope)
    ]


def _epoch_seconds(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"julianday({column}) * 86400.0"


def stage_durations(scope: Scope) -> list[dict[str, Any]]:
    """Time spent at each status, from the plans' audit events: a stay at a status runs from
    the event that brought the plan there to the event that took it away (its `from_status`).
    Stays that have ended only (the plans still waiting are counted by `plans_by_stage`); the
    average and the longest, in days.

    One statement: a window over the transitions (read from an index), each event's time
    converted once. Ended stays never change and every change of a plan's status appends an
    event, so the figures are kept in the cache until the next event (the highest event id is
    part of the key: one index lookup)."""
    latest = PlanEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = f"dashboard:stage-durations:{scope.kind}:{scope.unit_id or 0}:{latest}"
    rows = cache.get(key)
    if rows is None:
        rows = _stage_stays(scope)
        cache.set(key, rows, timeout=24 * 3600)
    labels = dict(Status.choices)
    result = []
    for status in _statuses(scope):
        if status in (Status.ISSUED, Status.WITHDRAWN):
            continue  # an end, not a stage
        count, avg, longest = rows.get(status, (0, None, None))
        result.append(
            {
                "status": status,
                "label": str(labels[status]),
                "stays": int(count),
                "average_days": round(float(avg) / 86400, 2) if avg is not None else None,
                "longest_days": round(float(longest) / 86400, 2) if longest is not None else None,
            }
        )
    return result


def _stage_stays(scope: Scope) -> dict[str, tuple[int, float | None, float | None]]:
    """{status: (ended stays, average seconds, longest seconds)} computed by the database."""
    plans_sql, plans_params = dashboard_plans(scope).order_by().values("id").query.sql_with_params()
    table = PlanEvent._meta.db_table
    sql = (
        "SELECT w.from_status, COUNT(*), AVG(w.seconds), MAX(w.seconds) FROM ("
        " SELECT x.from_status,"
        "  x.at - LAG(x.at) OVER (PARTITION BY x.plan_id ORDER BY x.sequence) AS seconds"
        f" FROM (SELECT e.plan_id, e.sequence, e.from_status, {_epoch_seconds('e.created_at')}"
        f"  AS at FROM {table} e"
        f"  WHERE e.from_status <> e.to_status AND e.plan_id IN ({plans_sql})) x"
        ") w WHERE w.seconds IS NOT NULL AND w.from_status <> '' GROUP BY w.from_status"
    )
    stays: dict[str, tuple[int, float | None, float | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, plans_params)
        for status, count, average, longest in cursor.fetchall():
            stays[status] = (
                int(count),
                None if average is None else float(average),
                None if longest is None else float(longest),
            )
    return stays


def _overdue(now: dt.datetime) -> dict[str, Q]:
    """What makes a consultation overdue: unanswered past its deadline (still waiting), closed
    by silence at the deadline, or answered after it."""
    return {
        "waiting": Q(verdict="", deadline__lt=now),
        "silent": Q(by_silence=True),
        "late": Q(by_silence=False, answered_at__isnull=False, answered_at__gt=F("deadline")),
    }


def consultations_overdue(scope: Scope, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per consulted agency, its overdue consultations on the scope's plans: still waiting past
    the deadline, closed by silence, answered late; the agencies with most first."""
    now = now or timezone.now()
    kinds = _overdue(now)
    any_overdue = kinds["waiting"] | kinds["silent"] | kinds["late"]
    rows = (
        ConsultationRequest.objects.filter(
            any_overdue, plan__in=dashboard_plans(scope).values("id")
        )
        .order_by()
        .values("unit_id", "unit__name")
        .annotate(
            waiting=Count("id", filter=kinds["waiting"]),
            silent=Count("id", filter=kinds["silent"]),
            late=Count("id", filter=kinds["late"]),
            total=Count("id"),
        )
    )
    result = [
        {
            "unit_id": row["unit_id"],
            "unit_name": row["unit__name"],
            "waiting": row["waiting"],
            "silent": row["silent"],
            "late": row["late"],
            "total": row["total"],
        }
        for row in rows
    ]
    result.sort(key=lambda row: (-row["total"], row["unit_name"]))
    return result


def issued_by_month(scope: Scope, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Plans issued in each of the last MONTHS months, this month last (zeros kept)."""
    today = today or timezone.localdate()
    first = _month_start(today, MONTHS - 1)
    counts = {
        (month.year, month.month): n
        for month, n in dashboard_plans(scope)
        .filter(status=Status.ISSUED, issued_on__gte=first)
        .order_by()
        .annotate(month=TruncMonth("issued_on"))
        .values_list("month")
        .annotate(n=Count("id"))
    }
    months = [_month_start(today, back) for back in range(MONTHS - 1, -1, -1)]
    return [
        {"month": f"{m.year:04d}-{m.month:02d}", "count": int(counts.get((m.year, m.month), 0))}
        for m in months
    ]


def dashboard_summary(
    scope: Scope, *, now: dt.datetime | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Every figure of the dashboard of `scope`."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    stages = plans_by_stage(scope)
    months = issued_by_month(scope, today=today)
    return {
        "scope": scope.kind,
        "unit_id": scope.unit_id,
        "unit_name": scope.unit_name,
        "total": sum(row["count"] for row in stages),
        "in_progress": sum(row["count"] for row in stages if row["status"] in Plan.WAITING),
        "issued_this_month": months[-1]["count"],
        "this_month": months[-1]["month"],
        "by_stage": stages,
        "stage_durations": stage_durations(scope),
        "consultations_overdue": consultations_overdue(scope, now=now),
        "issued_by_month": months,
    }


# ---------------------------------------------------------------------------------------------
# Drill-down: the plans a figure counts


@dataclass(frozen=True)
class PlanFilters:
    """The plans behind a figure: at a status; with a consultation of an agency overdue; issued
    in a month ("2026-12")."""

    status: str = ""
    overdue_unit: int | None = None
    issued_month: str = ""

    def as_query(self) -> dict[str, str]:
        query = {}
        if self.status:
            query["status"] = self.status
        if self.overdue_unit is not None:
            query["overdue_unit"] = str(self.overdue_unit)
        if self.issued_month:
            query["issued_month"] = self.issued_month
        return query


def plan_filters_parse(params: Any) -> PlanFilters:
    """Filters from a query string (a QueryDict or a dict); InvalidInput for a bad one."""
    status = (params.get("status") or "").strip()
    if status and status not in Status.values:
        raise InvalidInput("Trạng thái không hợp lệ.", code="invalid_status")
    unit_text = (params.get("overdue_unit") or "").strip()
    overdue_unit = None
    if unit_text:
        if not unit_text.isdigit() or len(unit_text) > 12:
            raise InvalidInput("Đơn vị không hợp lệ.", code="invalid_unit")
        overdue_unit = int(unit_text)
    month = (params.get("issued_month") or "").strip()
    if month:
        try:
            dt.date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise InvalidInput(
                "Tháng ban hành phải có dạng YYYY-MM.", code="invalid_month"
            ) from exc
        if len(month) != 7:
            raise InvalidInput("Tháng ban hành phải có dạng YYYY-MM.", code="invalid_month")
    return PlanFilters(status=status, overdue_unit=overdue_unit, issued_month=month)


def dashboard_plan_list(
    scope: Scope, filters: PlanFilters, *, now: dt.datetime | None = None
) -> QuerySet[Plan]:
    """The scope's plans that `filters` select."""
    plans = dashboard_plans(scope)
    if filters.status:
        plans = plans.filter(status=filters.status)
    if filters.overdue_unit is not None:
        kinds = _overdue(now or timezone.now())
        # The plans of the agency's overdue consultations, as a list to test the plans against
        # (walked newest first, the content never read): not a test per plan, which would read
        # every plan's status from its row.
        overdue = ConsultationRequest.objects.filter(
            kinds["waiting"] | kinds["silent"] | kinds["late"], unit_id=filters.overdue_unit
        ).values("plan_id")
        plans = plans.filter(pk__in=overdue)
    if filters.issued_month:
        first = dt.date.fromisoformat(f"{filters.issued_month}-01")
        plans = plans.filter(
            status=Status.ISSUED, issued_on__gte=first, issued_on__lt=_month_start(first, -1)
        )
    return plans


def dashboard_plan_page(
    *,
    user: User,
    scope: Scope,
    filters: PlanFilters,
    before: int | None,
    limit: int,
    now: dt.datetime | None = None,
) -> list[Plan]:
    """A page of `dashboard_plan_list`, newest first (by id), below `before`; each plan says
    whether `user` may open it (`may_open`: the dashboard counts plans its reader has not been
    given, e.g. a unit's drafts or plans not yet at the Văn phòng, whose page stays closed)."""
    plans = dashboard_plan_list(scope, filters, now=now)
    if before is not None:
        plans = plans.filter(pk__lt=before)
    return list(
        plans.select_related("drafter", "drafting_unit")
        .defer(*LIST_DEFERRED)
        .annotate(may_open=ExpressionWrapper(_access_filter(user), output_field=BooleanField()))
        .order_by("-id")[:limit]
    )
