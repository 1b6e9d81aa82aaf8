"""Budget review line by line in a real browser: Sở Tài chính questions a line and cannot approve
so, adjusts another (the amount field appears only then), approves, and the plan page shows the
reviewed figure beside the original one and both totals (issue 11 §4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from playwright.sync_api import expect

from agencies.directory import directory_seed
from agencies.models import User
from documents import services as documents
from documents.models import Plan
from tests.conftest import BASE_CONTENT
from tests.e2e.test_plan_walk import complete_task, login, open_inbox_task, status, task_form
from tests.helpers import complete
from workflows.services import plan_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_finance_reviewer_reviews_each_budget_line_in_the_browser(walk: Any) -> None:
    # given a plan at budget review, with two budget lines
    directory_seed()
    users = {u.username: u for u in User.objects.all()}
    content = copy.deepcopy({**BASE_CONTENT, "signature": {"signer_id": users["phochutich"].pk}})
    content["sections"][1]["children"][0]["tasks"].append(
        {
            "title": "Hội nghị xúc tiến đầu tư",
            "budget_vnd": 80_000_000,
            "budget_source": "Ngân sách tỉnh",
        }
    )
    plan = documents.plan_create(actor=users["chuyenvien"], content=content)
    plan = plan_submit(plan=plan, actor=users["chuyenvien"])
    plan = complete(users["giamdoc"], plan, "agency_review", "approve")
    plan = complete(users["chuyenvien"], plan, "choose_agencies", "skip", comment="Không cần.")

    # when Sở Tài chính opens the task, every line is agreed and no amount is asked for
    reviewer = login(walk, "taichinh")
    open_inbox_task(reviewer, "Thẩm định kinh phí")
    form = task_form(reviewer)
    first = form.locator("[data-budget-line]").filter(has_text="Bản tin đối ngoại")
    second = form.locator("[data-budget-line]").filter(has_text="Hội nghị xúc tiến đầu tư")
    expect(second).to_contain_text("Ngân sách tỉnh")
    expect(second.get_by_label("Số kinh phí điều chỉnh (đồng)")).to_be_hidden()

    # a line questioned refuses the approval, saying which
    first.get_by_label("Đề nghị làm rõ", exact=True).check()
    first.get_by_label("Lý do").fill("Căn cứ định mức nào?")
    form.get_by_role("button", name="Đồng ý kinh phí").click()
    expect(reviewer.locator(".flash-list")).to_contain_text("còn dòng kinh phí đề nghị làm rõ")

    # adjusting shows the amount; with the other line agreed, the approval goes through
    form = task_form(reviewer)
    second = form.locator("[data-budget-line]").filter(has_text="Hội nghị xúc tiến đầu tư")
    second.get_by_label("Điều chỉnh", exact=True).check()
    expect(second.get_by_label("Số kinh phí điều chỉnh (đồng)")).to_be_visible()
    second.get_by_label("Số kinh phí điều chỉnh (đồng)").fill("60.000.000")
    second.get_by_label("Lý do").fill("Theo định mức chi hội nghị")
    complete_task(reviewer, "Đồng ý kinh phí")

    # then the plan page shows the reviewed figure and both totals
    expect(status(reviewer)).to_have_text("Chờ Văn phòng thẩm tra")
    table = reviewer.locator("#nhiem-vu table")
    expect(table).to_contain_text("Theo định mức chi hội nghị")
    expect(table.locator("[data-reviewed-total]")).to_have_text("210.000.000 đồng")
    expect(table.locator("tfoot")).to_contain_text("230.000.000 đồng")
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.VETTING
