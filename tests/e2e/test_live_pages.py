"""Pages that follow the server: with two users in two browsers, what one does appears on the
other's inbox and plan page without a reload, where the keyboard focus was kept, and is said
through the page's aria-live region (static/js/live.js)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from agencies.directory import directory_seed
from agencies.models import User
from documents import services as documents
from tests.conftest import BASE_CONTENT
from tests.e2e.test_plan_walk import assert_not_reloaded, keep_open, login
from workflows.services import plan_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _inbox_rows(page: Any) -> Any:
    return page.locator("#tasks tbody tr")


def test_the_inbox_and_the_plan_page_update_in_place(walk: Any) -> None:
    # given a plan already waiting for the head of the agency, and a second draft
    directory_seed()
    users = {u.username: u for u in User.objects.all()}
    content = {**BASE_CONTENT, "signature": {"signer_id": users["phochutich"].pk}}
    waiting = documents.plan_create(actor=users["chuyenvien"], content=content)
    plan_submit(plan=waiting, actor=users["chuyenvien"])
    draft = documents.plan_create(
        actor=users["chuyenvien"], content={**content, "title": "Kế hoạch thứ hai năm 2024"}
    )

    # and the head on the inbox, keyboard focus on the waiting task's button
    head = login(walk, "giamdoc")
    keep_open(head)
    expect(_inbox_rows(head)).to_have_count(1)
    button = _inbox_rows(head).get_by_role("link", name="Xử lý")
    button.focus()
    focused_href = button.get_attribute("href")

    # and the drafter on the second plan's page
    drafter = login(walk, "chuyenvien")
    drafter.goto(f"/ke-hoach/{draft.pk}/")
    keep_open(drafter)

    # when the drafter submits the second plan (the page posts and reloads: the drafter's own)
    drafter.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
    expect(drafter.locator(".page-head .status")).to_have_text("Chờ lãnh đạo đơn vị duyệt")
    keep_open(drafter)

    # then the head's inbox shows the new task without a reload
    expect(_inbox_rows(head)).to_have_count(2)
    expect(_inbox_rows(head).filter(has_text="Kế hoạch thứ hai năm 2024")).to_have_count(1)
    assert_not_reloaded(head)
    # with the focus where it was, and the news said in the live region
    assert head.evaluate("document.activeElement.getAttribute('href')") == focused_href
    expect(head.locator("#live-status")).to_contain_text("Có việc mới trong hộp việc")

    # when the head approves the second plan from its page
    head.goto(f"/ke-hoach/{draft.pk}/")
    head.get_by_role("button", name="Duyệt", exact=True).click()

    # then the drafter's page shows the new status and the drafter's next task, without reload
    expect(drafter.locator(".page-head .status")).to_have_text("Đã duyệt, chờ gửi lấy ý kiến")
    expect(
        drafter.get_by_role("heading", name="Việc của bạn: Chọn đơn vị lấy ý kiến và hạn góp ý")
    ).to_be_visible()
    assert_not_reloaded(drafter)
    expect(drafter.locator("#live-status")).not_to_be_empty()
