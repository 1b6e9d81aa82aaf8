"""The dashboard and the search page in a real browser: the charts are drawn (Chart.js from our
own origin, under the CSP), a bar and a table figure both lead to the plans they count; a query
typed without diacritics in the header's search box finds the plan."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from agencies.directory import directory_seed
from agencies.models import User
from documents import services as documents
from documents.models import Plan
from tests.conftest import BASE_CONTENT
from tests.e2e.test_plan_walk import login
from workflows.services import plan_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _submitted_plan(title: str) -> Plan:
    users = {u.username: u for u in User.objects.all()}
    content = {**BASE_CONTENT, "title": title, "signature": {"signer_id": users["phochutich"].pk}}
    plan = documents.plan_create(actor=users["chuyenvien"], content=content)
    return plan_submit(plan=plan, actor=users["chuyenvien"])


def test_the_dashboard_draws_its_charts_and_leads_to_the_plans(walk: Any) -> None:
    # given two plans of Sở TT&TT at the head's review
    directory_seed()
    first = _submitted_plan("Kế hoạch chuyển đổi số năm 2025")
    _submitted_plan("Kế hoạch phát triển du lịch năm 2025")

    # when the unit head opens the dashboard from the navigation
    head = login(walk, "giamdoc")
    head.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Tổng quan"
    ).click()
    expect(head.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()

    # then every chart is drawn
    for chart in ("chart-stages", "chart-durations", "chart-issued"):
        expect(head.locator(f"#{chart}")).to_have_attribute("data-rendered", "true")
    size = head.locator("#chart-stages").bounding_box()
    assert size is not None and size["width"] > 100 and size["height"] > 100
    # and the table beside it says the same
    row = head.locator("#table-stages tr", has_text="Chờ lãnh đạo đơn vị duyệt")
    expect(row.get_by_role("link")).to_have_text("2")

    # a click on the bar of "agency review" opens those plans
    bar = head.evaluate(
        """() => {
          const chart = Chart.getChart(document.getElementById("chart-stages"));
          const index = chart.data.labels.indexOf("Chờ lãnh đạo đơn vị duyệt");
          const bar = chart.getDatasetMeta(0).data[index];
          return {x: (bar.x + bar.base) / 2, y: bar.y};
        }"""
    )
    head.locator("#chart-stages").click(position=bar)
    expect(head).to_have_url(re.compile(r"status=agency_review"))
    expect(head.locator("#dashboard-plans")).to_contain_text("Kế hoạch chuyển đổi số năm 2025")
    expect(head.locator("#dashboard-plans")).to_contain_text("Kế hoạch phát triển du lịch năm 2025")

    # and the table's link leads there too, then on to the plan itself
    head.go_back()
    row = head.locator("#table-stages tr", has_text="Chờ lãnh đạo đơn vị duyệt")
    row.get_by_role("link").click()
    head.get_by_role("link", name="Kế hoạch chuyển đổi số năm 2025").click()
    expect(head).to_have_url(re.compile(rf"/ke-hoach/{first.pk}/$"))


def test_a_query_without_diacritics_finds_the_plan(walk: Any) -> None:
    # given a plan whose title has diacritics
    directory_seed()
    plan = _submitted_plan("Kế hoạch phòng, chống thiên tai năm 2025")

    # when its drafter types a query without them in the header's search box
    drafter = login(walk, "chuyenvien")
    box = drafter.get_by_role("search").get_by_label("Tìm văn bản")
    box.fill("phong chong thien tai")
    box.press("Enter")

    # then the plan is found, its words highlighted
    expect(drafter.get_by_role("heading", name="Tìm kiếm", level=1)).to_be_visible()
    hit = drafter.locator(".search-hit").first
    expect(hit).to_contain_text("Kế hoạch phòng, chống thiên tai năm 2025")
    expect(hit.locator("mark").first).to_have_text("phòng")
    hit.get_by_role("link").first.click()
    expect(drafter).to_have_url(re.compile(rf"/ke-hoach/{plan.pk}/$"))

    # and a stranger finds nothing
    stranger = login(walk, "congan")
    stranger.goto("/tim-kiem/?q=phong+chong+thien+tai")
    expect(stranger.locator("#results-title")).to_have_text("0 kết quả")
