"""Budget review line by line over HTTP: the finance reviewer's task page and the API, the
drafter's revision page, the plan page's reviewed figures (issue 11 §4)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import User
from documents.models import Plan, PlanEvent
from tests.documents.test_budget_review import at_budget_review
from tests.helpers import complete, open_task

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def plan(drafter, agency_head, signer, make_content) -> Plan:
    return at_budget_review(drafter, agency_head, signer, make_content)


def test_the_task_page_lists_every_budget_line_with_its_verdicts(plan, finance_reviewer):
    task = open_task(finance_reviewer, plan, "budget_review")
    page = _login(finance_reviewer).get(f"/nhiem-vu/{task.pk}/").content.decode()
    assert 'name="verdict_0" value="agree" checked' in page
    assert 'name="verdict_2" value="question"' in page
    assert 'name="amount_2"' in page
    assert 'name="verdict_1"' not in page  # the task without a budget is no line
    assert "150.000.000 đồng" in page
    assert "230.000.000 đồng" in page
    assert "Ngân sách tỉnh" in page  # the line's source


def test_the_finance_reviewer_adjusts_a_line_on_the_page_and_the_plan_shows_both_figures(
    plan, finance_reviewer, drafter
):
    # given
    client = _login(finance_reviewer)
    task = open_task(finance_reviewer, plan, "budget_review")
    # when
    response = client.post(
        f"/nhiem-vu/{task.pk}/",
        {
            "action": "approve",
            "verdict_0": "agree",
            "verdict_2": "adjust",
            "amount_2": "60.000.000",
            "reason_2": "Theo định mức chi hội nghị",
        },
    )
    # then
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.VETTING
    page = _login(drafter).get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert "Sở Tài chính thẩm định" in page
    assert "<s>80.000.000 đồng</s>" in page
    assert '<strong class="nowrap">60.000.000 đồng</strong>' in page
    assert "Theo định mức chi hội nghị" in page
    assert "<strong>210.000.000 đồng</strong>" in page  # the reviewed total
    assert "<strong>230.000.000 đồng</strong>" in page  # beside the original one


def test_approving_on_the_page_with_a_question_open_is_refused_and_says_why(plan, finance_reviewer):
    # given
    client = _login(finance_reviewer)
    task = open_task(finance_reviewer, plan, "budget_review")
    events = plan.events.count()
    # when
    response = client.post(
        f"/nhiem-vu/{task.pk}/",
        {"action": "approve", "verdict_0": "question", "reason_0": "Căn cứ nào?"},
    )
    # then
    assert response.status_code == 400
    assert "đề nghị làm rõ" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert plan.events.count() == events


def test_an_amount_that_is_not_a_number_is_refused_on_the_page(plan, finance_reviewer):
    task = open_task(finance_reviewer, plan, "budget_review")
    response = _login(finance_reviewer).post(
        f"/nhiem-vu/{task.pk}/",
        {"action": "approve", "verdict_0": "adjust", "amount_0": "một trăm", "reason_0": "Giảm"},
    )
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW


def test_a_return_on_the_page_shows_the_drafter_the_lines_in_question(
    plan, finance_reviewer, drafter
):
    # given
    task = open_task(finance_reviewer, plan, "budget_review")
    # when
    _login(finance_reviewer).post(
        f"/nhiem-vu/{task.pk}/",
        {
            "action": "return",
            "comment": "Đề nghị làm rõ dự toán.",
            "verdict_0": "question",
            "reason_0": "Căn cứ định mức nào?",
            "verdict_2": "agree",
        },
    )
    # then the drafter's revision task lists the line in question
    revise = open_task(drafter, plan, "revise_budget")
    page = _login(drafter).get(f"/nhiem-vu/{revise.pk}/").content.decode()
    assert "Đề nghị làm rõ dự toán." in page
    assert "Dòng 1. Thực hiện “Bản tin đối ngoại” (150.000.000 đồng): Căn cứ định mức nào?" in (
        page.replace("&ldquo;", "“").replace("&rdquo;", "”")
    )


def test_the_api_tells_the_data_schema_and_takes_the_lines(plan, finance_reviewer, drafter):
    # given
    client = _api(finance_reviewer)
    [task] = [
        t
        for t in client.get("/api/v1/tasks/").json()["results"]
        if t["document"] == plan.pk and t["step"] == "budget_review"
    ]
    assert task["data_schema"] == "BudgetReviewData"
    budget = client.get(f"/api/v1/documents/{plan.pk}/").json()["budget"]
    assert [(line["index"], line["amount_vnd"], line["source"]) for line in budget["lines"]] == [
        (0, 150_000_000, ""),
        (2, 80_000_000, "Ngân sách tỉnh"),
    ]
    assert budget["is_reviewed"] is False
    # when
    lines = [{"index": 2, "verdict": "adjust", "amount": 60_000_000, "reason": "Định mức"}]
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete/",
        {"action": "approve", "data": {"lines": lines}},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    budget = _api(drafter).get(f"/api/v1/documents/{plan.pk}/").json()["budget"]
    assert budget["is_reviewed"] is True
    assert (budget["total_vnd"], budget["reviewed_total_vnd"]) == (230_000_000, 210_000_000)
    assert budget["lines"][1]["verdict"] == "adjust"
    assert budget["lines"][1]["reviewed_vnd"] == 60_000_000


def test_the_api_refuses_an_approval_with_a_question_open(plan, finance_reviewer):
    task = open_task(finance_reviewer, plan, "budget_review")
    lines = [{"index": 0, "verdict": "question", "reason": "Căn cứ nào?"}]
    response = _api(finance_reviewer).post(
        f"/api/v1/tasks/{task.pk}/complete/",
        {"action": "approve", "data": {"lines": lines}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "budget_questions_open"
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert not plan.events.filter(kind=PlanEvent.Kind.BUDGET_APPROVED).exists()


def test_the_drafter_cannot_complete_the_budget_review(plan, drafter, finance_reviewer):
    task = open_task(finance_reviewer, plan, "budget_review")
    response = _api(drafter).post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "approve"}, format="json"
    )
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    complete(finance_reviewer, plan, "budget_review", "approve")
