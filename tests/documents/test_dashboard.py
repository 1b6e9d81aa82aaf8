"""The dashboard's figures (documents/dashboard_selectors.py) and its API: plans by stage, time
per stage from the audit events, consultations overdue per agency, issued per month, and the
plans behind each figure — for the Văn phòng (the province) and a unit head (their unit). Runs on
SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from documents import services
from documents.dashboard_selectors import (
    PlanFilters,
    dashboard_plan_page,
    dashboard_scope,
    dashboard_summary,
    plan_filters_parse,
)
from documents.models import ConsultationRequest, Plan, PlanEvent, PlanVersion
from tests.helpers import complete
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _at(days_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


def given_history(plan: Plan, *steps: tuple[str, float]) -> Plan:
    """Given state: the plan went through `steps` ((status reached, days ago), oldest first),
    recorded as audit events after its creation, and is now at the last status."""
    PlanEvent.objects.filter(plan=plan, kind=PlanEvent.Kind.CREATED).update(
        created_at=_at(steps[0][1] + 1) if steps else NOW
    )
    previous = Plan.Status.DRAFT
    sequence = plan.events.count()
    for status, days_ago in steps:
        sequence += 1
        PlanEvent.objects.create(
            plan=plan,
            sequence=sequence,
            kind=PlanEvent.Kind.APPROVED_RELEASE,
            from_status=previous,
            to_status=status,
            created_at=_at(days_ago),
            previous_hash="",
            hash="",
        )
        previous = status
    Plan.objects.filter(pk=plan.pk).update(status=previous, events_count=sequence)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def plan_of(drafter, make_content):
    def make(title: str = "Kế hoạch thử") -> Plan:
        return services.plan_create(actor=drafter, content=make_content(title=title))

    return make


@pytest.fixture
def other_unit_plan(directory, make_content):
    """A plan drafted by Sở Ngoại vụ (another unit than the drafter's)."""
    from agencies.models import User

    author = User.objects.create_user(
        "cvngoaivu",
        full_name="Chuyên viên Ngoại vụ",
        role=User.Role.DRAFTER,
        unit=directory["so-nv"],
    )
    return services.plan_create(actor=author, content=make_content(title="Kế hoạch Ngoại vụ"))


def consult(plan: Plan, unit, *, deadline_days: float, **answer) -> ConsultationRequest:
    return ConsultationRequest.objects.create(
        plan=plan,
        round=1,
        unit=unit,
        deadline=NOW + dt.timedelta(days=deadline_days),
        version=plan.versions.first()
        or PlanVersion.objects.create(
            plan=plan,
            number=1,
            content=plan.content,
            content_sha256="0" * 64,
            reason="submitted",
            created_by=plan.drafter,
        ),
        **answer,
    )


# -- who reads which dashboard ----------------------------------------------------------------


def test_the_office_reads_the_province_a_unit_head_their_unit_others_none(
    office_vetter, clerk, agency_head, drafter, police, directory
):
    assert dashboard_scope(office_vetter).kind == "province"
    assert dashboard_scope(clerk).kind == "province"
    head = dashboard_scope(agency_head)
    assert (head.kind, head.unit_id) == ("unit", directory["so-tttt"].pk)
    assert dashboard_scope(drafter) is None
    assert dashboard_scope(police) is None


# -- the figures --------------------------------------------------------------------------------


def test_plans_by_stage_count_the_province_without_drafts_and_the_unit_with_them(
    plan_of, other_unit_plan, office_vetter, agency_head
):
    draft = plan_of("Dự thảo chưa trình")
    vetting = given_history(plan_of("Đang thẩm tra"), (Plan.Status.VETTING, 1))
    given_history(other_unit_plan, (Plan.Status.AGENCY_REVIEW, 2))
    assert draft.status == Plan.Status.DRAFT

    province = dashboard_summary(dashboard_scope(office_vetter))
    unit = dashboard_summary(dashboard_scope(agency_head))

    counts = {row["status"]: row["count"] for row in province["by_stage"]}
    assert Plan.Status.DRAFT not in counts
    assert counts[Plan.Status.VETTING] == 1 and counts[Plan.Status.AGENCY_REVIEW] == 1
    assert province["total"] == 2 and province["in_progress"] == 2
    unit_counts = {row["status"]: row["count"] for row in unit["by_stage"]}
    assert unit_counts[Plan.Status.DRAFT] == 1
    assert unit_counts[Plan.Status.VETTING] == 1
    assert unit_counts[Plan.Status.AGENCY_REVIEW] == 0  # the other unit's plan
    assert unit["total"] == 2 and vetting.drafting_unit_id == agency_head.unit_id


def test_time_per_stage_is_measured_between_the_events_that_enter_and_leave_it(
    plan_of, office_vetter
):
    # Created 11 days ago; agency review from 10 to 6 days ago (4 days), then vetting 6 → 1
    # (5 days), awaiting signature since.
    given_history(
        plan_of("A"),
        (Plan.Status.AGENCY_REVIEW, 10),
        (Plan.Status.VETTING, 6),
        (Plan.Status.AWAITING_SIGNATURE, 1),
    )
    # Another: agency review 2 days, then returned (the stay ends with the return).
    given_history(plan_of("B"), (Plan.Status.AGENCY_REVIEW, 5), (Plan.Status.RETURNED, 3))

    rows = {
        row["status"]: row
        for row in dashboard_summary(dashboard_scope(office_vetter))["stage_durations"]
    }

    review = rows[Plan.Status.AGENCY_REVIEW]
    assert review["stays"] == 2
    assert review["average_days"] == pytest.approx(3.0, abs=0.01)
    assert review["longest_days"] == pytest.approx(4.0, abs=0.01)
    assert rows[Plan.Status.VETTING]["average_days"] == pytest.approx(5.0, abs=0.01)
    assert rows[Plan.Status.AWAITING_SIGNATURE]["stays"] == 0  # still there: not ended
    assert rows[Plan.Status.AWAITING_SIGNATURE]["average_days"] is None
    assert Plan.Status.ISSUED not in rows


def test_time_per_stage_reads_the_events_a_real_walk_records(
    drafter, agency_head, make_content, signer
):
    plan = services.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    complete(agency_head, plan, "agency_review", "approve")

    rows = {
        row["status"]: row
        for row in dashboard_summary(dashboard_scope(agency_head))["stage_durations"]
    }

    assert rows[Plan.Status.DRAFT]["stays"] == 1
    assert rows[Plan.Status.AGENCY_REVIEW]["stays"] == 1
    assert 0 <= rows[Plan.Status.AGENCY_REVIEW]["average_days"] < 0.01


def test_consultations_overdue_are_counted_per_agency_by_kind(
    plan_of, directory, office_vetter, agency_head, foreign_affairs
):
    plan = given_history(plan_of(), (Plan.Status.IN_CONSULTATION, 9))
    other = given_history(plan_of("Khác"), (Plan.Status.CONSOLIDATING, 9))
    consult(plan, directory["so-nv"], deadline_days=-2)  # waiting, overdue
    consult(plan, directory["so-vhttdl"], deadline_days=3)  # waiting, not yet due
    consult(other, directory["so-nv"], deadline_days=-5, verdict="agree", by_silence=True)
    consult(
        other,
        directory["so-vhttdl"],
        deadline_days=-5,
        verdict="agree",
        answered_by=foreign_affairs,
        answered_at=NOW - dt.timedelta(days=4),  # a day late
    )
    consult(
        plan,
        directory["cong-an"],
        deadline_days=-5,
        verdict="agree",
        answered_by=foreign_affairs,
        answered_at=NOW - dt.timedelta(days=6),  # in time
    )

    rows = {
        row["unit_name"]: row
        for row in dashboard_summary(dashboard_scope(office_vetter))["consultations_overdue"]
    }

    nv, vh = rows[directory["so-nv"].name], rows[directory["so-vhttdl"].name]
    assert (nv["waiting"], nv["silent"], nv["late"], nv["total"]) == (1, 1, 0, 2)
    assert (vh["waiting"], vh["silent"], vh["late"], vh["total"]) == (0, 0, 1, 1)
    assert directory["cong-an"].name not in rows
    assert next(iter(rows)) == directory["so-nv"].name  # most overdue first

    page = dashboard_plan_page(
        user=office_vetter,
        scope=dashboard_scope(office_vetter),
        filters=PlanFilters(overdue_unit=directory["so-vhttdl"].pk),
        before=None,
        limit=20,
    )
    assert [p.pk for p in page] == [other.pk]


def test_issued_this_month_and_per_month(plan_of, office_vetter):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for number, (title, on) in enumerate(
        [("Tháng này 1", today), ("Tháng này 2", today.replace(day=1)), ("Trước", last_month)],
        start=1,
    ):
        plan = given_history(plan_of(title), (Plan.Status.ISSUED, 0))
        Plan.objects.filter(pk=plan.pk).update(number=number, register_year=on.year, issued_on=on)
    given_history(plan_of("Chưa ban hành"), (Plan.Status.SIGNED, 0))

    summary = dashboard_summary(dashboard_scope(office_vetter), today=today)

    assert summary["issued_this_month"] == 2
    assert summary["this_month"] == f"{today:%Y-%m}"
    months = {row["month"]: row["count"] for row in summary["issued_by_month"]}
    assert len(months) == 12 and months[f"{last_month:%Y-%m}"] == 1
    page = dashboard_plan_page(
        user=office_vetter,
        scope=dashboard_scope(office_vetter),
        filters=PlanFilters(issued_month=f"{today:%Y-%m}"),
        before=None,
        limit=20,
    )
    assert sorted(p.title for p in page) == ["Tháng này 1", "Tháng này 2"]


def test_the_drill_down_pages_by_id_and_says_which_plans_the_reader_may_open(
    plan_of, office_vetter
):
    plans = [given_history(plan_of(f"P{i}"), (Plan.Status.VETTING, 1)) for i in range(5)]
    scope = dashboard_scope(office_vetter)
    filters = PlanFilters(status=Plan.Status.VETTING)
    from documents.models import PlanAccess

    PlanAccess.objects.create(plan=plans[4], role="office_vetter", reason="vetting")

    first = dashboard_plan_page(
        user=office_vetter, scope=scope, filters=filters, before=None, limit=3
    )
    rest = dashboard_plan_page(
        user=office_vetter, scope=scope, filters=filters, before=first[-1].pk, limit=3
    )

    assert [p.pk for p in first + rest] == [p.pk for p in reversed(plans)]
    assert [p.may_open for p in first] == [True, False, False]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nope"},
        {"overdue_unit": "x1"},
        {"overdue_unit": "9" * 30},
        {"issued_month": "2026-13"},
        {"issued_month": "2026-1-1"},
    ],
)
def test_bad_filters_are_refused(params):
    from agencies.errors import InvalidInput

    with pytest.raises(InvalidInput):
        plan_filters_parse(params)


# -- API ----------------------------------------------------------------------------------------


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_gives_the_office_the_province_with_links_to_the_plans(
    plan_of, other_unit_plan, office_vetter
):
    given_history(plan_of(), (Plan.Status.VETTING, 1))
    given_history(other_unit_plan, (Plan.Status.VETTING, 2))

    response = api_as(office_vetter).get("/api/v1/dashboard/")

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "province"
    vetting = next(r for r in body["by_stage"] if r["status"] == "vetting")
    assert vetting["count"] == 2
    plans = api_as(office_vetter).get(vetting["plans_url"])
    assert plans.status_code == 200
    assert len(plans.json()["results"]) == 2
    assert {p["may_open"] for p in plans.json()["results"]} == {False}


def test_api_gives_a_unit_head_their_unit_only(plan_of, other_unit_plan, agency_head):
    given_history(plan_of(), (Plan.Status.VETTING, 1))
    given_history(other_unit_plan, (Plan.Status.VETTING, 2))

    body = api_as(agency_head).get("/api/v1/dashboard/").json()
    listed = api_as(agency_head).get("/api/v1/dashboard/plans/?status=vetting").json()

    assert body["scope"] == "unit" and body["total"] == 1
    assert [p["title"] for p in listed["results"]] == ["Kế hoạch thử"]


def test_api_refuses_a_stranger_and_bad_filters(drafter, police, office_vetter):
    for user in (drafter, police):
        response = api_as(user).get("/api/v1/dashboard/")
        assert response.status_code == 403
        assert response.json()["error"] == "not_allowed"
        assert api_as(user).get("/api/v1/dashboard/plans/").status_code == 403
    assert APIClient().get("/api/v1/dashboard/").status_code in (401, 403)
    bad = api_as(office_vetter).get("/api/v1/dashboard/plans/?status=nope")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_status"


def test_time_per_stage_is_kept_only_until_the_next_event(plan_of, office_vetter):
    plan = given_history(plan_of(), (Plan.Status.AGENCY_REVIEW, 4))
    scope = dashboard_scope(office_vetter)

    def review_stays() -> int:
        rows = dashboard_summary(scope)["stage_durations"]
        return next(r["stays"] for r in rows if r["status"] == Plan.Status.AGENCY_REVIEW)

    assert review_stays() == 0
    PlanEvent.objects.create(
        plan=plan,
        sequence=plan.events_count + 1,
        kind=PlanEvent.Kind.APPROVED_RELEASE,
        from_status=Plan.Status.AGENCY_REVIEW,
        to_status=Plan.Status.APPROVED,
        created_at=_at(1),
        previous_hash="",
        hash="",
    )
    assert review_stays() == 1
