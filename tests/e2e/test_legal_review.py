"""Legal review by Sở Tư pháp in a real browser: the drafter asks for it on the plan's page, the
plan reaches the reviewer after budget review, who returns it once; the drafter resubmits from the
revision task; the reviewer approves and the Văn phòng gets it for vetting."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from agencies.directory import directory_seed
from agencies.models import Unit, User
from documents import services as documents
from documents.models import Plan
from tests.conftest import BASE_CONTENT
from tests.e2e.test_plan_walk import complete_task, login, open_inbox_task, status
from tests.helpers import complete, in_days
from workflows.services import plan_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_plan_goes_through_legal_review_in_the_browser(walk: Any) -> None:
    # given a draft of the drafter's
    directory_seed()
    users = {u.username: u for u in User.objects.all()}
    content = {**BASE_CONTENT, "signature": {"signer_id": users["phochutich"].pk}}
    plan = documents.plan_create(actor=users["chuyenvien"], content=content)

    # when the drafter asks for the legal review on the plan's page
    drafter = login(walk, "chuyenvien")
    drafter.goto(f"/ke-hoach/{plan.pk}/")
    drafter.get_by_role("button", name="Đề nghị Sở Tư pháp thẩm định").click()
    expect(drafter.locator(".flash-list")).to_contain_text("Đã đề nghị Sở Tư pháp thẩm định")

    # and the plan is approved, consulted, consolidated and its budget approved
    plan = plan_submit(plan=Plan.objects.get(pk=plan.pk), actor=users["chuyenvien"])
    plan = complete(users["giamdoc"], plan, "agency_review", "approve")
    foreign = Unit.objects.get(code="so-nv")
    plan = complete(
        users["chuyenvien"],
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [foreign.pk], "deadline": in_days(5)},
    )
    plan = complete(users["ngoaivu"], plan, "consult", "agree")
    plan = complete(users["chuyenvien"], plan, "consolidate", "send")
    plan = complete(users["taichinh"], plan, "budget_review", "approve")

    # then Sở Tư pháp has it, and returns it once
    reviewer = login(walk, "tuphap")
    open_inbox_task(reviewer, "Thẩm định pháp lý")
    complete_task(reviewer, "Trả lại", "Căn cứ số 2 đã hết hiệu lực, đề nghị thay thế.")

    # the drafter reads why and resubmits from the revision task
    open_inbox_task(drafter, "Chỉnh sửa theo ý kiến Sở Tư pháp")
    expect(drafter.locator(".alert-warning")).to_contain_text("Căn cứ số 2 đã hết hiệu lực")
    complete_task(drafter, "Trình lại")

    # it comes back to Sở Tư pháp, who approves
    open_inbox_task(reviewer, "Thẩm định pháp lý")
    complete_task(reviewer, "Đồng ý về pháp lý")
    expect(status(reviewer)).to_have_text("Chờ Văn phòng thẩm tra")

    # and the Văn phòng gets it for vetting
    vetter = login(walk, "vanphong")
    open_inbox_task(vetter, "Thẩm tra")
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.VETTING
