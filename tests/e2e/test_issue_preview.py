"""Two clerks issue at once: each task page shows the number and date the issuance will give,
kept current while it is open; the final PDF can be previewed; the result names the number
given (static/js/issue.js, web/views_issue.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from playwright.sync_api import expect

from agencies.directory import DEMO_PASSWORD, directory_seed
from agencies.models import Unit, User
from documents.models import Plan
from tests.conftest import BASE_CONTENT
from tests.e2e.test_plan_walk import SLOW_MS, assert_not_reloaded, keep_open, login
from tests.helpers import complete, open_task, walk_to_signature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ISSUE = "Cấp số, đóng dấu và phát hành"


def _signed_plan(users: dict[str, User], title: str) -> Plan:
    content = copy.deepcopy(BASE_CONTENT)
    content["title"] = title
    content["signature"] = {"signer_id": users["phochutich"].pk}
    plan = walk_to_signature(content=content)
    return complete(users["phochutich"], plan, "sign", "sign")


def test_a_clerk_sees_the_number_to_come_change_when_another_clerk_issues(walk: Any) -> None:
    # given two signed plans and two clerks of the Văn phòng
    directory_seed()
    office = User.objects.get(username="vanthu").unit
    assert isinstance(office, Unit)
    User.objects.create_user(
        "vanthu2", password=DEMO_PASSWORD, full_name="Lý Thị Lan", unit=office, role="clerk"
    )
    users = {u.username: u for u in User.objects.all()}
    first = _signed_plan(users, "Kế hoạch thứ nhất năm 2024")
    second = _signed_plan(users, "Kế hoạch thứ hai năm 2024")
    first_task = open_task(users["vanthu"], first, "issue").pk
    second_task = open_task(users["vanthu2"], second, "issue").pk

    # and each clerk on a task page that shows number 01 and today's date
    clerk = login(walk, "vanthu")
    clerk.goto(f"/nhiem-vu/{first_task}/")
    keep_open(clerk)
    expect(clerk.locator("[data-issue-number]")).to_have_text("01/KH-UBND")
    expect(clerk.locator("[data-issue-date]")).to_contain_text("Đồng Nai, ngày")
    other = login(walk, "vanthu2")
    other.goto(f"/nhiem-vu/{second_task}/")
    expect(other.locator("[data-issue-number]")).to_have_text("01/KH-UBND")

    # and the final PDF can be read before confirming, marked as a preview
    preview = clerk.request.get(f"/ke-hoach/{first.pk}/xem-truoc-phat-hanh/")
    assert preview.ok and preview.headers["content-type"] == "application/pdf"

    # when the other clerk issues the second plan
    other.get_by_role("button", name=ISSUE).click()
    expect(other.locator(".flash-list")).to_contain_text(
        "Đã phát hành: Số 01/KH-UBND", timeout=SLOW_MS
    )

    # then the first clerk's page shows the next number, and says why, without a reload
    expect(clerk.locator("[data-issue-number]")).to_have_text("02/KH-UBND")
    expect(clerk.locator("[data-issue-changed]")).to_contain_text("01/KH-UBND")
    assert_not_reloaded(clerk)

    # and confirming gives that number, named in the result
    clerk.get_by_role("button", name=ISSUE).click()
    expect(clerk.locator(".flash-list")).to_contain_text(
        "Đã phát hành: Số 02/KH-UBND", timeout=SLOW_MS
    )
    assert Plan.objects.get(pk=first.pk).number == 2
