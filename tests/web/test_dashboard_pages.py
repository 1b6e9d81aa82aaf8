"""The dashboard page (tổng quan), its drill-down to the plans, and the search page (tìm kiếm),
as the Văn phòng, a unit head, another unit's head and a stranger see them."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from documents import services as documents
from documents.models import Plan
from documents.search import search_index_update
from tests.web.conftest import plan_content
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db


def script_json(page: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


@pytest.fixture
def submitted(org, plan):
    """The drafter's plan, submitted: at the agency head's review."""
    return plan_submit(plan=plan, actor=org.drafter)


@pytest.fixture
def foreign_plan(org):
    """A draft of Sở Ngoại vụ, at vetting (given state)."""
    from agencies.models import User

    author = User.objects.create_user(
        "cvnv", password="x", full_name="Chuyên viên NV", unit=org.sonv, role="drafter"
    )
    plan = documents.plan_create(
        actor=author, content=plan_content(org, title="Kế hoạch phát triển du lịch")
    )
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.VETTING)
    return plan


def test_the_office_sees_the_province_with_charts_data_and_tables(
    org, submitted, foreign_plan, client_for
):
    page = client_for(org.vetter).get(reverse("dashboard"))

    assert page.status_code == 200
    html = page.content.decode()
    data = script_json(html, "dashboard-data")
    counts = {row["status"]: row["count"] for row in data["by_stage"]}
    assert counts["agency_review"] == 1 and counts["vetting"] == 1
    assert "draft" not in counts
    assert 'id="chart-stages"' in html and 'id="table-stages"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", html)  # CSP
    assert f'href="{reverse("dashboard")}"' in html  # in the navigation


def test_a_unit_head_sees_their_unit_and_the_drill_down_lists_its_plans(
    org, submitted, foreign_plan, client_for
):
    client = client_for(org.head)
    html = client.get(reverse("dashboard")).content.decode()
    data = script_json(html, "dashboard-data")
    counts = {row["status"]: row["count"] for row in data["by_stage"]}
    link = next(row["plans_url"] for row in data["by_stage"] if row["status"] == "agency_review")

    listed = client.get(link).content.decode()

    assert counts["agency_review"] == 1 and counts["vetting"] == 0  # not Sở Ngoại vụ's plan
    assert org.stttt.name in html
    assert reverse("plan-detail", args=[submitted.pk]) in listed  # the head may open it
    assert "Kế hoạch phát triển du lịch" not in listed


def test_the_drill_down_shows_plans_not_given_to_the_reader_without_a_link(
    org, foreign_plan, client_for
):
    listed = client_for(org.vetter).get(reverse("dashboard-plans") + "?status=vetting")

    html = listed.content.decode()
    assert "Kế hoạch phát triển du lịch" in html
    assert reverse("plan-detail", args=[foreign_plan.pk]) not in html


@pytest.mark.parametrize("who", ["drafter", "culture", "outsider", "signer"])
def test_others_are_refused_the_dashboard_and_have_no_link(org, submitted, client_for, who):
    client = client_for(getattr(org, who))

    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard-plans") + "?status=agency_review").status_code == 403
    assert f'href="{reverse("dashboard")}"' not in client.get(reverse("home")).content.decode()


def test_a_bad_drill_down_filter_is_a_message_not_an_error(org, client_for):
    response = client_for(org.vetter).get(reverse("dashboard-plans") + "?issued_month=2026-99")
    assert response.status_code == 400


# -- search ------------------------------------------------------------------------------------


def test_search_without_diacritics_finds_the_plan_highlighted(org, plan, client_for):
    page = client_for(org.drafter).get(reverse("search"), {"q": "thong tin doi ngoai"})

    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("plan-detail", args=[plan.pk]) in html
    assert "<mark>thông</mark>" in html.lower() or "<mark>thông" in html.lower()
    assert "1 kết quả" in html


def test_search_shows_a_stranger_nothing_of_plans_they_were_not_given(org, plan, client_for):
    html = client_for(org.outsider).get(reverse("search"), {"q": "thong tin doi ngoai"}).content
    assert reverse("plan-detail", args=[plan.pk]).encode() not in html


def test_search_filters_and_pages_by_cursor(org, client_for):
    plans = [
        documents.plan_create(
            actor=org.drafter, content=plan_content(org, title=f"Kế hoạch chuyển đổi số {i}")
        )
        for i in range(25)
    ]
    Plan.objects.filter(pk=plans[0].pk).update(status=Plan.Status.VETTING)
    search_index_update(plans[0])
    client = client_for(org.drafter)

    first = client.get(reverse("search"), {"q": "chuyen doi so"}).content.decode()
    next_url = re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', first).group(1)
    second = client.get(reverse("search") + next_url.replace("&amp;", "&")).content.decode()
    vetting = client.get(reverse("search"), {"q": "chuyen doi", "status": "vetting"})

    ids = lambda html: set(re.findall(r'href="/ke-hoach/(\d+)/"', html))  # noqa: E731
    assert len(ids(first)) == 20 and len(ids(second)) == 5
    assert not ids(first) & ids(second)
    assert ids(vetting.content.decode()) == {str(plans[0].pk)}


def test_search_page_refuses_bad_input_with_a_message(org, client_for):
    client = client_for(org.drafter)
    assert client.get(reverse("search"), {"q": "x", "after": "nope"}).status_code == 400
    assert client.get(reverse("search"), {"date_from": "2024-99-01"}).status_code == 400
    assert client.get(reverse("search")).status_code == 200  # the empty form


def test_the_header_has_a_search_box(org, client_for):
    html = client_for(org.drafter).get(reverse("home")).content.decode()
    assert f'action="{reverse("search")}"' in html and 'role="search"' in html
