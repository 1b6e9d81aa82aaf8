"""A province with plans at several steps, for browser tests that visit every kind of page as
the users who see them (small screens, accessibility): built through the services."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page, expect

from agencies.directory import directory_seed
from agencies.models import Unit, User
from documents import services as documents
from documents.models import Plan
from tests.conftest import BASE_CONTENT
from tests.e2e.conftest import EXPECT_TIMEOUT_MS
from tests.e2e.test_plan_walk import DEMO_PASSWORD
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit

PHONE = {"width": 390, "height": 844}
LONG_TITLE = (
    "Triển khai thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực "
    "điện tử phục vụ chuyển đổi số quốc gia giai đoạn 2022-2025, tầm nhìn đến năm 2030 trên "
    "địa bàn tỉnh Đồng Nai"
)
LONG_COMMENT = (
    "Đề nghị bổ sung nhiệm vụ tổ chức hội nghị xúc tiến đầu tư tại Hàn Quốc, Nhật Bản và "
    "điều chỉnh kinh phí mục II.3 cho phù hợp với dự toán ngân sách năm 2024 của Sở."
)


@dataclass
class Scene:
    users: dict[str, User]
    consulting: Plan  # in consultation: three agencies asked, two answered
    signed: Plan  # signed, waiting for the clerk
    draft: Plan  # the drafter's draft

    def task_id(self, username: str, plan: Plan, step: str) -> int:
        return open_task(self.users[username], plan, step).pk


def _content(users: dict[str, User], **overrides: Any) -> dict[str, Any]:
    content = copy.deepcopy(BASE_CONTENT)
    content["signature"] = {"signer_id": users["phochutich"].pk}
    recipients = Unit.objects.filter(code__in=["cong-an", "bao-dong-nai"])
    content["recipients"]["units"] = [{"name": u.name, "unit_id": u.pk} for u in recipients]
    content.update(overrides)
    return content


def scene_build() -> Scene:
    """Demo users; a plan in consultation, a signed plan at the clerk, a draft."""
    directory_seed()
    users = {u.username: u for u in User.objects.all()}
    drafter = users["chuyenvien"]
    units = {u.code: u for u in Unit.objects.filter(code__in=["so-nv", "so-vhttdl", "cong-an"])}

    consulting = documents.plan_create(actor=drafter, content=_content(users, title=LONG_TITLE))
    consulting = plan_submit(plan=consulting, actor=drafter)
    consulting = complete(users["giamdoc"], consulting, "agency_review", "approve")
    consulting = complete(
        drafter,
        consulting,
        "choose_agencies",
        "send",
        data={"unit_ids": [u.pk for u in units.values()], "deadline": in_days(5)},
    )
    consulting = complete(
        users["vanhoa"], consulting, "consult", "agree_with_comments", LONG_COMMENT
    )
    consulting = complete(users["congan"], consulting, "consult", "agree")

    signed = documents.plan_create(actor=drafter, content=_content(users))
    signed = plan_submit(plan=signed, actor=drafter)
    signed = complete(users["giamdoc"], signed, "agency_review", "approve")
    signed = complete(
        drafter,
        signed,
        "choose_agencies",
        "send",
        data={"unit_ids": [units["so-nv"].pk], "deadline": in_days(5)},
    )
    signed = complete(users["ngoaivu"], signed, "consult", "agree")
    signed = complete(drafter, signed, "consolidate", "send")
    signed = complete(users["taichinh"], signed, "budget_review", "approve")
    signed = complete(users["vanphong"], signed, "vetting", "approve")
    signed = complete(users["phochutich"], signed, "sign", "sign")
    assert signed.status == Plan.Status.SIGNED

    draft = documents.plan_create(actor=drafter, content=_content(users, title="Dự thảo mới"))
    return Scene(users=users, consulting=consulting, signed=signed, draft=draft)


def login_with(walk: Any, username: str, *, viewport: dict[str, int] | None = None) -> Page:
    """`username` logged in, in a private window of `viewport` (the default desktop size when
    None); registered on the walk (screenshots, CSP)."""
    assert username not in walk.pages, f"{username} already has a browser context"
    options: dict[str, Any] = {"base_url": walk.base_url, "locale": "vi-VN"}
    if viewport:
        options["viewport"] = viewport
    context = walk.browser.new_context(**options)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("console", walk._watch_console)
    walk.pages[username] = page
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Hộp việc", level=1)).to_be_visible()
    return page


def pages_of(scene: Scene) -> list[tuple[str, str]]:
    """(user, path) of every kind of page, as the user who sees it."""
    consulting, signed = scene.consulting, scene.signed
    return [
        ("chuyenvien", "/"),
        ("chuyenvien", f"/ke-hoach/{consulting.pk}/"),
        ("chuyenvien", f"/ke-hoach/{scene.draft.pk}/"),
        ("chuyenvien", f"/ke-hoach/{scene.draft.pk}/sua/"),
        ("chuyenvien", "/ke-hoach/moi/"),
        ("ngoaivu", "/"),
        ("ngoaivu", f"/nhiem-vu/{scene.task_id('ngoaivu', consulting, 'consult')}/"),
        ("ngoaivu", f"/ke-hoach/{consulting.pk}/"),
        ("vanthu", "/"),
        ("vanthu", f"/nhiem-vu/{scene.task_id('vanthu', signed, 'issue')}/"),
        ("vanthu", f"/ke-hoach/{signed.pk}/"),
        ("vanthu", "/van-ban-den/"),
    ]
