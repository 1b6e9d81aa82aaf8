"""Signing with browser keys in a real browser: a revoked device is refused, two browsers of the
signer racing on the same version give exactly one signature, and without a secure context the
pages say why they cannot sign.

The plan is walked to the signer's open "sign" task through the services (tests.helpers); the
signer then works in the browser only: enrols each browser on "Thiết bị ký số" (a non-extractable
WebCrypto key in IndexedDB), revokes devices there, and signs from the task page.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from documents.models import Plan
from signing.models import SigningDevice, SigningSession
from signing.services import pdf_verify
from tests.e2e.test_plan_walk import (
    SLOW_MS,
    complete_task,
    device_row,
    enrol_this_browser,
    login,
    open_inbox_task,
    open_signing_devices,
    sign_button,
    status,
    task_form,
    task_heading,
)
from tests.helpers import walk_to_signature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGN_TASK = "Ký số kế hoạch"
# The loser is told the signature (or, the same signer having won in the other browser, the
# completion) already took effect.
REFUSED = re.compile(r"đã có chữ ký khác|đã được xử lý|đã hoàn thành nhiệm vụ này")


@pytest.fixture
def plan(transactional_db: Any, signer: Any, make_content: Any) -> Plan:
    """A plan at the Phó Chủ tịch's open "sign" task; set up before the browser starts (name
    this fixture before `walk`), outside Playwright's event loop."""
    return walk_to_signature(content=make_content(signer=signer))


def revoke_device(page: Page, label: str) -> None:
    """On "Thiết bị ký số": revoke the device `label` (the confirmation is accepted)."""
    row = device_row(page, label)
    row.get_by_role("button", name=re.compile(r"^Thu hồi")).click()
    expect(page.locator("[data-device-message]")).to_contain_text(
        f"Đã thu hồi thiết bị ký “{label}”"
    )
    expect(device_row(page, label)).to_contain_text("Đã thu hồi")


def stored_device_id(page: Page) -> Any:
    """This browser's device id for the logged-in user in IndexedDB, or None."""
    return page.evaluate(
        """async (userId) => {
            const db = await new Promise((resolve, reject) => {
                const request = indexedDB.open("kehoach-signing", 1);
                request.onupgradeneeded = () =>
                    request.result.createObjectStore("keys", { keyPath: "userId" });
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
            });
            const entry = await new Promise((resolve, reject) => {
                const request = db.transaction("keys").objectStore("keys").get(userId);
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
            });
            db.close();
            if (!entry) return null;
            // the private key is kept as a non-extractable CryptoKey
            if (entry.keyPair.privateKey.extractable) throw new Error("extractable private key");
            return entry.deviceId;
        }""",
        page.locator("[data-signing-devices]").get_attribute("data-user-id"),
    )


def test_a_revoked_device_cannot_sign(plan: Plan, walk: Any) -> None:
    # given a plan awaiting the Phó Chủ tịch's signature, and two enrolled browsers of his
    office = login(walk, "phochutich", window="office")
    enrol_this_browser(office, "Máy ở văn phòng")
    home = login(walk, "phochutich", window="home")
    enrol_this_browser(home, "Máy ở nhà")
    office_device = SigningDevice.objects.get(label="Máy ở văn phòng")
    home_device = SigningDevice.objects.get(label="Máy ở nhà")
    assert stored_device_id(home) == home_device.pk

    # when, at home, he revokes the office computer's device (its key stays in that browser)
    expect(device_row(home, "Máy ở văn phòng").get_by_text("Trình duyệt này")).to_be_hidden()
    revoke_device(home, "Máy ở văn phòng")
    expect(device_row(home, "Máy ở nhà").get_by_text("Trình duyệt này")).to_be_visible()
    assert stored_device_id(home) == home_device.pk

    # then the office browser, which still holds the revoked key, is refused by the server
    open_inbox_task(office, SIGN_TASK)
    sign_button(office).click()
    error = task_form(office).locator("[data-sign-error]")
    expect(error).to_contain_text(
        "Chứng thư của thiết bị ký này đã bị thu hồi; không thể ký bằng thiết bị này."
    )
    expect(task_heading(office, SIGN_TASK)).to_be_visible()  # still on the task page
    expect(sign_button(office)).to_be_enabled()  # and may try again
    expect(task_form(office).locator("[data-sign-progress]")).to_be_hidden()

    # when, at home, he revokes this browser's own device: its key is forgotten
    revoke_device(home, "Máy ở nhà")
    expect(home.locator("[data-device-message]")).to_contain_text(
        "Khóa ký trong trình duyệt này đã được xóa."
    )
    assert stored_device_id(home) is None
    expect(home.get_by_role("button", name="Đăng ký trình duyệt này")).to_be_enabled()

    # then signing at home stops before the server, with the way to enrol again
    open_inbox_task(home, SIGN_TASK)
    sign_button(home).click()
    error = task_form(home).locator("[data-sign-error]")
    expect(error).to_contain_text("Trình duyệt này chưa có khóa ký số của bạn.")
    error.get_by_role("link", name="Đăng ký trình duyệt này ở trang Thiết bị ký số").click()
    expect(home.get_by_role("heading", name="Thiết bị ký số", level=1)).to_be_visible()

    # and the plan still awaits the signature: nothing was signed, no session was even prepared
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert not plan.signed_pdf
    assert not SigningSession.objects.filter(document_id=plan.pk).exists()
    office_device.refresh_from_db()
    home_device.refresh_from_db()
    assert office_device.revoked_at is not None and home_device.revoked_at is not None

    # and returning the plan needs no key: the same form posts "Trả lại" as before
    open_inbox_task(home, SIGN_TASK)
    complete_task(home, "Trả lại", "Đề nghị rà soát lại kinh phí trước khi ký.")
    plan.refresh_from_db()
    assert plan.status == Plan.Status.RETURNED


def wait_until_held(held: list[Any], count: int, page: Page, what: str) -> None:
    """Wait until `count` routed requests are held (Playwright delivers them while it waits)."""
    deadline = time.monotonic() + SLOW_MS / 1000
    while len(held) < count:
        assert time.monotonic() < deadline, f"only {len(held)} of {count} {what}"
        page.wait_for_timeout(50)


def test_two_browsers_of_the_signer_racing_give_one_signature(plan: Plan, walk: Any) -> None:
    # given a plan awaiting the signature, and the signer in two enrolled browsers: one on the
    # task page, the other on the plan's page (which carries the same task form)
    labels = {"office": "Máy ở văn phòng", "home": "Máy ở nhà"}
    pages: dict[str, Page] = {}
    for window, label in labels.items():
        page = login(walk, "phochutich", window=window)
        enrol_this_browser(page, label)
        pages[window] = page
    open_inbox_task(pages["office"], SIGN_TASK)
    pages["home"].goto(f"/ke-hoach/{plan.pk}/")
    expect(task_heading(pages["home"], SIGN_TASK)).to_be_visible()

    # when both press "Ký số" at once; the preparations and then the form posts are held at the
    # network until both browsers got there
    prepares: list[Any] = []
    posts: list[Any] = []

    def hold_post(route: Any) -> None:
        if route.request.method == "POST":
            posts.append(route)
        else:
            route.continue_()

    for page in pages.values():
        page.route(re.compile(r"/sign/prepare/$"), lambda route: prepares.append(route))
        page.route(re.compile(r"/nhiem-vu/\d+/$"), hold_post)
    for page in pages.values():
        sign_button(page).click()
    wait_until_held(prepares, 2, pages["office"], "browsers asked to prepare")
    for page in pages.values():
        expect(task_form(page).locator("[data-sign-progress]")).to_have_text(
            "Đang chuẩn bị văn bản…"
        )
        expect(sign_button(page)).to_be_disabled()  # one click, one signature
    for route in prepares:
        route.continue_()
    wait_until_held(posts, 2, pages["office"], "browsers submitted a signature")
    # both prepared the same version, and both signed what they got
    sessions = SigningSession.objects.filter(document_id=plan.pk, used_at__isnull=True)
    assert sessions.count() == 2
    assert {s.version_number for s in sessions} == {plan.version_number}
    for route in posts:
        assert "signature=" in (route.request.post_data or "")

    # and both posts are released at once
    for route in posts:
        route.continue_()

    # then exactly one signature is recorded; the other browser sees the refusal
    outcomes = {}
    for window, page in pages.items():
        expect(page.locator("form[data-sign-form]")).to_have_count(0, timeout=SLOW_MS)
        text = page.locator("main").inner_text()
        outcomes[window] = "won" if "Đã thực hiện “Ký số”" in text else text
    winners = [w for w, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    (loser,) = [w for w in outcomes if w not in winners]
    assert REFUSED.search(outcomes[loser]), outcomes[loser]
    expect(status(pages[winners[0]])).to_have_text("Đã ký, chờ phát hành")

    # and on reload the loser's browser shows the plan signed, with no task left to sign
    pages[loser].goto(f"/ke-hoach/{plan.pk}/")
    expect(status(pages[loser])).to_have_text("Đã ký, chờ phát hành")
    expect(pages[loser].locator("form[data-sign-form]")).to_have_count(0)

    walk.close()  # pyHanko's validation runs its own event loop

    plan.refresh_from_db()
    assert plan.status == Plan.Status.SIGNED
    assert plan.events.filter(kind="signed").count() == 1
    assert SigningSession.objects.filter(document_id=plan.pk, used_at__isnull=False).count() == 1
    reports = [r for r in pdf_verify(pdf=bytes(plan.signed_pdf)) if r.kind == "signature"]
    assert len(reports) == 1, reports
    assert reports[0].bottom_line, reports[0].summary
    winner_device = SigningDevice.objects.get(label=labels[winners[0]])
    assert reports[0].certificate_serial == winner_device.serial


def test_without_a_secure_context_the_pages_say_why(plan: Plan, walk: Any) -> None:
    # given the signer's browser on a plain-http address (not localhost): no WebCrypto there
    page = login(walk, "phochutich")
    page.context.add_init_script(
        "Object.defineProperty(window, 'isSecureContext', { get: () => false });"
    )
    insecure = "Trình duyệt chỉ cho phép ký số trên HTTPS hoặc localhost"

    # when he opens "Thiết bị ký số", then it says why, and the browser cannot be enrolled
    open_signing_devices(page)
    expect(page.locator("[data-crypto-problem]")).to_contain_text(insecure)
    expect(page.get_by_role("button", name="Đăng ký trình duyệt này")).to_be_disabled()

    # when he opens the sign task and presses "Ký số", then it says the same, and nothing is sent
    open_inbox_task(page, SIGN_TASK)
    error = task_form(page).locator("[data-sign-error]")
    expect(error).to_contain_text(insecure)
    sign_button(page).click()
    expect(error).to_contain_text(insecure)
    expect(sign_button(page)).to_be_enabled()
    assert not SigningSession.objects.filter(document_id=plan.pk).exists()
