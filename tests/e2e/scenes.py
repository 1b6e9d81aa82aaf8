"""A province with plans at several steps, for browser tests that visit every kind of page as
the users who see them (small screens, accessibility): built through the services."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from agencies.directory import directory_seed
from agencies.models import Unit, User
from documents import services as documents
from documents.models import Plan
from documents.verification import plan_verify_url_of
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
    draft: Plan  # the drafter's draft
    approved: Plan  # approved by the head: the drafter chooses the agencies
    consulting: Plan  # in consultation: three agencies asked, two answered
    consolidating: Plan  # answered with comments: the drafter consolidates
    awaiting: Plan  # at the signer
    signed: Plan  # signed, at the clerk
    issued: Plan  # issued, delivered to Công an tỉnh and Báo Đồng Nai

    def task_id(self, username: str, plan: Plan, step: str) -> int:
        return open_task(self.users[username], plan, step).pk


def _content(users: dict[str, User], **overrides: Any) -> dict[str, Any]:
    content = copy.deepcopy(BASE_CONTENT)
    content["signature"] = {"signer_id": users["phochutich"].pk}
    recipients = Unit.objects.filter(code__in=["cong-an", "bao-dong-nai"])
    content["recipients"]["units"] = [{"name": u.name, "unit_id": u.pk} for u in recipients]
    content.update(overrides)
    return content


def _walk(users: dict[str, User], plan: Plan, *, to: str, agencies: list[Unit]) -> Plan:
    """Walk `plan` from draft to the step `to`, as the demo users."""
    drafter = users["chuyenvien"]
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(users["giamdoc"], plan, "agency_review", "approve")
    if to == "choose_agencies":
        return plan
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [u.pk for u in agencies], "deadline": in_days(5)},
    )
    if to == "consult":
        return plan
    if to == "consolidate":
        return complete(users["ngoaivu"], plan, "consult", "agree_with_comments", LONG_COMMENT)
    plan = complete(users["ngoaivu"], plan, "consult", "agree")
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(users["taichinh"], plan, "budget_review", "approve")
    plan = complete(users["vanphong"], plan, "vetting", "approve")
    if to == "sign":
        return plan
    return complete(users["phochutich"], plan, "sign", "sign")


def scene_build() -> Scene:
    """Demo users and a plan waiting at each kind of step, one issued."""
    directory_seed()
    users = {u.username: u for u in User.objects.all()}
    drafter = users["chuyenvien"]
    units = {u.code: u for u in Unit.objects.filter(code__in=["so-nv", "so-vhttdl", "cong-an"])}

    def new(title: str = BASE_CONTENT["title"]) -> Plan:
        return documents.plan_create(actor=drafter, content=_content(users, title=title))

    consulting = _walk(users, new(LONG_TITLE), to="consult", agencies=list(units.values()))
    consulting = complete(
        users["vanhoa"], consulting, "consult", "agree_with_comments", LONG_COMMENT
    )
    consulting = complete(users["congan"], consulting, "consult", "agree")
    signed = _walk(users, new(), to="issue", agencies=[units["so-nv"]])
    assert signed.status == Plan.Status.SIGNED
    issued = _walk(
        users, new("Kế hoạch đã ban hành năm 2024"), to="issue", agencies=[units["so-nv"]]
    )
    issued = documents.plan_issue(plan=issued, actor=users["vanthu"])
    return Scene(
        users=users,
        draft=new("Dự thảo mới"),
        approved=_walk(users, new("Kế hoạch chờ chọn đơn vị"), to="choose_agencies", agencies=[]),
        consulting=consulting,
        consolidating=_walk(
            users, new("Kế hoạch đang tổng hợp ý kiến"), to="consolidate", agencies=[units["so-nv"]]
        ),
        awaiting=_walk(users, new("Kế hoạch chờ ký"), to="sign", agencies=[units["so-nv"]]),
        signed=signed,
        issued=issued,
    )


def login_with(walk: Any, username: str, *, viewport: dict[str, int] | None = None) -> Page:
    """`username` logged in ("" for nobody), in a private window of `viewport` (the default
    desktop size when None); registered on the walk (screenshots, CSP)."""
    assert username not in walk.pages, f"{username or 'anonymous'} already has a browser context"
    options: dict[str, Any] = {"base_url": walk.base_url, "locale": "vi-VN"}
    if viewport:
        options["viewport"] = viewport
    context = walk.browser.new_context(**options)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("console", walk._watch_console)
    walk.pages[username] = page
    if not username:
        return page
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Hộp việc", level=1)).to_be_visible()
    return page


def pages_of(scene: Scene) -> list[tuple[str, str]]:
    """(user, path) of every kind of page, as the user who sees it; "" is nobody logged in."""
    task = scene.task_id
    verify = urlsplit(plan_verify_url_of(scene.issued)).path
    return [
        ("", "/dang-nhap/"),
        ("", "/kiem-tra/"),
        ("", verify),
        ("chuyenvien", "/"),
        ("chuyenvien", "/ke-hoach/moi/"),
        ("chuyenvien", f"/ke-hoach/{scene.draft.pk}/"),
        ("chuyenvien", f"/ke-hoach/{scene.draft.pk}/sua/"),
        ("chuyenvien", f"/ke-hoach/{scene.consulting.pk}/"),
        ("chuyenvien", f"/nhiem-vu/{task('chuyenvien', scene.approved, 'choose_agencies')}/"),
        ("chuyenvien", f"/nhiem-vu/{task('chuyenvien', scene.consolidating, 'consolidate')}/"),
        ("chuyenvien", f"/ke-hoach/{scene.issued.pk}/"),
        ("chuyenvien", f"/ke-hoach/{scene.issued.pk}/so-sanh/"),
        ("chuyenvien", "/van-ban-den/"),
        ("ngoaivu", "/"),
        ("ngoaivu", f"/nhiem-vu/{task('ngoaivu', scene.consulting, 'consult')}/"),
        ("ngoaivu", f"/ke-hoach/{scene.consulting.pk}/"),
        ("phochutich", "/"),
        ("phochutich", f"/nhiem-vu/{task('phochutich', scene.awaiting, 'sign')}/"),
        ("phochutich", "/ky-so/thiet-bi/"),
        ("vanthu", "/"),
        ("vanthu", f"/nhiem-vu/{task('vanthu', scene.signed, 'issue')}/"),
        ("vanthu", f"/ke-hoach/{scene.signed.pk}/"),
        ("vanthu", f"/ke-hoach/{scene.issued.pk}/"),
        ("baodongnai", "/"),
        ("baodongnai", f"/ke-hoach/{scene.issued.pk}/"),
    ]
