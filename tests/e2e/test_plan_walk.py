"""The demo walk in a real browser: the seed draft goes from the drafter to Báo Đồng Nai's receipt.

Every user works in their own browser context, logs in through the login page and waits on what
they see. Live updates (bell, toast, consultation table, status and tasks in place) are checked
on pages that stay open, and a marker set on the loaded document shows that they came without a
reload. The Phó Chủ tịch enrols the browser as a signing device (a WebCrypto key kept in
IndexedDB) and uploads the image of the handwritten signature before signing with that key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from agencies.directory import DEMO_PASSWORD, directory_seed
from agencies.working_days import add_working_days
from documents.models import Plan
from signing.models import SigningDevice
from signing.services import pdf_verify

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEWSPAPER = "Báo Đồng Nai"
ISSUE_ACTION = "Cấp số, đóng dấu và phát hành"
SLOW_MS = 90_000  # steps that render with LibreOffice or sign


# ---------------------------------------------------------------------------------------------
# What a user does and sees


def login(walk: Any, username: str, window: str | None = None) -> Page:
    """A private window for `username` (named `window` when one person has several), logged in
    through the login page; lands on the inbox."""
    page = walk.new_page(window or username)
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Hộp việc", level=1)).to_be_visible()
    return page


def keep_open(page: Page) -> None:
    """The page is live (its notification socket is open); mark it to detect a later reload."""
    expect(page.locator("#notification-bell")).to_have_attribute("data-socket-state", "open")
    page.evaluate("window.__e2eNotReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__e2eNotReloaded === true"), "the page was reloaded"


def open_inbox_task(page: Page, title: str) -> None:
    """From the inbox (Hộp việc), open the task `title` with its “Xử lý” button."""
    page.goto("/")
    row = page.locator("section[aria-labelledby=inbox-title] tbody tr").filter(has_text=title)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Xử lý").click()
    expect(task_heading(page, title)).to_be_visible()


def task_heading(page: Page, title: str) -> Locator:
    return page.get_by_role("heading", name=f"Việc của bạn: {title}")


def task_form(page: Page) -> Locator:
    return page.locator("form[data-task-form]")


def complete_task(
    page: Page, label: str, comment: str = "", *, timeout: float | None = None
) -> None:
    """Complete the open task with the button `label` (and a comment); wait for the result."""
    form = task_form(page)
    if comment:
        form.get_by_label(re.compile(r"^Ý kiến")).fill(comment)
    # "✍ Ký số": the sign button carries a pen in front of its label.
    form.get_by_role("button", name=re.compile(rf"^\W*{re.escape(label)}$")).click()
    # Issuing names the number given ("Đã phát hành: Số 01/KH-UBND."); the others the action.
    done = "Đã phát hành: Số " if label == ISSUE_ACTION else f"Đã thực hiện “{label}”"
    expect(page.locator(".flash-list")).to_contain_text(done, timeout=timeout)


def sign_button(page: Page) -> Locator:
    return task_form(page).get_by_role("button", name=re.compile(r"^\W*Ký số$"))


def signature_png(path: Path) -> Path:
    """A handwritten-looking signature: blue strokes on a transparent background (ND30)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    blue = (16, 42, 168, 255)
    draw.line([(20, 92), (58, 28), (88, 96), (126, 34), (160, 88)], fill=blue, width=5)
    draw.arc((170, 18, 300, 112), start=160, end=470, fill=blue, width=4)
    draw.line([(190, 74), (345, 52)], fill=blue, width=3)
    image.save(path, format="PNG")
    return path


def open_signing_devices(page: Page) -> None:
    """The signer's own page, from the main navigation."""
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    nav.get_by_role("link", name="Thiết bị ký số").click()
    expect(page.get_by_role("heading", name="Thiết bị ký số", level=1)).to_be_visible()


def device_row(page: Page, label: str) -> Locator:
    return page.locator("[data-device-list] tbody tr").filter(has_text=label)


def enrol_this_browser(page: Page, label: str) -> None:
    """On "Thiết bị ký số": name this browser and enrol it; its row is marked as this browser."""
    open_signing_devices(page)
    page.get_by_label("Tên thiết bị").fill(label)
    page.get_by_role("button", name="Đăng ký trình duyệt này").click()
    expect(page.locator("[data-device-message]")).to_contain_text(
        f"Đã đăng ký trình duyệt này làm thiết bị ký số “{label}”"
    )
    row = device_row(page, label)
    expect(row).to_contain_text("Đang hiệu lực")
    expect(row.get_by_text("Trình duyệt này")).to_be_visible()
    # enrolled once: the button waits until this browser's device is revoked
    expect(page.get_by_role("button", name="Đăng ký trình duyệt này")).to_be_disabled()


def upload_signature_image(page: Page, png: Path) -> None:
    """On "Thiết bị ký số": upload the signature image; the preview shows it."""
    page.get_by_label("Tệp ảnh chữ ký (PNG)").set_input_files(str(png))
    page.get_by_role("button", name="Tải lên ảnh chữ ký").click()
    expect(page.locator("[data-image-message]")).to_contain_text("Đã lưu ảnh chữ ký")
    expect(page.get_by_role("img", name="Ảnh chữ ký hiện tại")).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-signature-preview]');"
        " return img && img.complete && img.naturalWidth === 360; }"
    )


def updated_in_place(page: Page, text: str) -> None:
    """The plan page took the news `text` in place, and said it (static/js/live.js)."""
    expect(page.locator("#live-status")).to_contain_text(text)
    assert_not_reloaded(page)


def reload_from_banner(page: Page, text: str) -> None:
    """The live banner of a plan page announces `text`; the user follows its reload link."""
    banner = page.locator("#plan-live-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(text)
    assert_not_reloaded(page)
    banner.get_by_role("link", name="Tải lại trang").click()


def status(page: Page) -> Locator:
    return page.locator(".page-head .status")


def number_line(page: Page) -> Locator:
    return page.locator("article.document .doc-number-line")


def toast(page: Page, text: str) -> Locator:
    return page.locator("#toasts .toast").filter(has_text=text)


def consultation_row(page: Page, unit: str) -> Locator:
    return page.locator("#consultations-table tbody tr").filter(has_text=unit)


def check_pdf_link(page: Page, link: Locator) -> None:
    """The link opens the PDF in a new tab; what it serves is a PDF."""
    with page.expect_popup() as opened:
        link.click()
    tab = opened.value
    expect(tab).to_have_url(re.compile(r"/ke-hoach/\d+/pdf/$"))
    response = page.request.get(tab.url, timeout=SLOW_MS)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    tab.close()


def tamper(pdf: bytes) -> bytes:
    """Flip one byte in the middle of the longest stream inside the first signature's range."""
    signed_until = int(re.search(rb"/ByteRange \[\s*0 (\d+)", pdf).group(1))  # type: ignore[union-attr]
    streams = []
    for match in re.finditer(rb"(?<!end)stream\r?\n", pdf[:signed_until]):
        end = pdf.find(b"endstream", match.end())
        if end < signed_until:
            streams.append((end - match.end(), match.end()))
    length, start = max(streams)
    at = start + length // 2
    assert at < signed_until
    tampered = bytearray(pdf)
    tampered[at] ^= 0x01
    return bytes(tampered)


# ---------------------------------------------------------------------------------------------
# The walk


def test_seed_plan_walks_from_draft_to_receipt_in_the_browser(walk: Any, tmp_path: Path) -> None:
    # given the demo province and the seed draft, to be signed by the Phó Chủ tịch
    directory_seed()
    call_command("seed_demo")
    plan = Plan.objects.get(drafter__username="chuyenvien")
    assert plan.status == Plan.Status.DRAFT
    assert plan.signer.username == "phochutich"
    recipients = [u["name"] for u in plan.content["recipients"]["units"] if u.get("unit_id")]
    assert NEWSPAPER in recipients, f"the importer did not match {NEWSPAPER}: {recipients}"

    # given the head of the drafting agency with the inbox open
    head = login(walk, "giamdoc")
    keep_open(head)
    expect(head.locator("#notification-count")).to_be_hidden()

    # when the drafter opens the draft, checks the signer and submits it
    drafter = login(walk, "chuyenvien")
    drafts = drafter.locator("section[aria-labelledby=drafts-title]")
    drafts.get_by_role("link", name=plan.title).click()
    expect(drafter.locator(".meta-grid")).to_contain_text("Nguyễn Sơn Hùng — Phó Chủ tịch")
    drafter.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
    expect(drafter.locator(".flash-list")).to_contain_text("Đã trình lãnh đạo đơn vị")
    expect(status(drafter)).to_have_text("Chờ lãnh đạo đơn vị duyệt")

    # then the head's open page shows it at once: badge, toast
    expect(head.locator("#notification-count")).to_have_text("1")
    expect(toast(head, "Kế hoạch chờ lãnh đạo đơn vị duyệt")).to_be_visible()
    assert_not_reloaded(head)

    # when the head opens it from the bell and approves
    head.locator("#notification-bell").click()
    head.locator("#notification-list").get_by_role(
        "link", name=re.compile("Kế hoạch chờ lãnh đạo đơn vị duyệt")
    ).click()
    expect(task_heading(head, "Lãnh đạo đơn vị duyệt dự thảo")).to_be_visible()
    keep_open(drafter)
    complete_task(head, "Duyệt", "Đồng ý gửi lấy ý kiến các đơn vị.")

    # then the drafter's open plan page shows the new status and the drafter's task in place
    updated_in_place(drafter, "Lãnh đạo đã duyệt")
    expect(status(drafter)).to_have_text("Đã duyệt, chờ gửi lấy ý kiến")

    # when the drafter chooses Sở Ngoại vụ and Sở VHTTDL, with 3 working days, and the page
    # shows the date they end on before sending
    expect(task_heading(drafter, "Chọn đơn vị lấy ý kiến và hạn góp ý")).to_be_visible()
    form = task_form(drafter)
    form.get_by_role("checkbox", name="Sở Ngoại vụ", exact=True).check()
    form.get_by_role("checkbox", name="Sở Văn hóa, Thể thao và Du lịch", exact=True).check()
    deadline = add_working_days(timezone.localdate(), 3)
    form.get_by_label("Trong thời hạn (ngày làm việc)").fill("3")
    expect(form.locator("[data-deadline-preview]")).to_contain_text(f"{deadline:%d/%m/%Y}")
    complete_task(drafter, "Gửi lấy ý kiến")

    # then both agencies are waiting, until the end of that day
    expect(status(drafter)).to_have_text("Đang lấy ý kiến")
    expect(consultation_row(drafter, "Sở Ngoại vụ")).to_contain_text("Chưa trả lời")
    expect(consultation_row(drafter, "Sở Ngoại vụ")).to_contain_text(f"23:59 {deadline:%d/%m/%Y}")
    expect(consultation_row(drafter, "Sở Văn hóa")).to_contain_text("Chưa trả lời")
    keep_open(drafter)

    # when Sở Ngoại vụ agrees with a comment
    foreign = login(walk, "ngoaivu")
    open_inbox_task(foreign, "Góp ý dự thảo kế hoạch — Sở Ngoại vụ")
    comment = "Đề nghị bổ sung nhiệm vụ quảng bá bằng tiếng Hàn Quốc."
    complete_task(foreign, "Thống nhất, có ý kiến", comment)

    # then the answer arrives in the drafter's open consultation table
    answer = consultation_row(drafter, "Sở Ngoại vụ")
    expect(answer).to_contain_text("Thống nhất, có ý kiến")
    expect(answer).to_contain_text(comment)
    expect(answer).to_contain_text("Lê Hoàng Cường")
    expect(consultation_row(drafter, "Sở Văn hóa")).to_contain_text("Chưa trả lời")
    assert_not_reloaded(drafter)

    # when Sở VHTTDL agrees, the round is complete
    culture = login(walk, "vanhoa")
    open_inbox_task(culture, "Góp ý dự thảo kế hoạch — Sở Văn hóa, Thể thao và Du lịch")
    complete_task(culture, "Thống nhất")

    # then the drafter's page shows that answer too, and the consolidation task, in place
    expect(consultation_row(drafter, "Sở Văn hóa")).to_contain_text("Thống nhất")
    updated_in_place(drafter, "Đã có đủ ý kiến")

    # when the drafter accepts the comment (tiếp thu) and sends the plan on
    expect(task_heading(drafter, "Tổng hợp, tiếp thu, giải trình")).to_be_visible()
    resolution = task_form(drafter).locator("fieldset").filter(has_text="Sở Ngoại vụ")
    expect(resolution).to_contain_text(comment)
    resolution.get_by_role("radio", name="Tiếp thu").check()
    resolution.get_by_label("Nội dung tiếp thu / giải trình").fill(
        "Đã bổ sung vào mục Truyền thông, quảng bá."
    )
    complete_task(drafter, "Trình bước tiếp theo")
    expect(status(drafter)).to_have_text("Chờ thẩm định kinh phí")
    expect(consultation_row(drafter, "Sở Ngoại vụ")).to_contain_text("Tiếp thu")

    # when Sở Tài chính approves the budget, and Văn phòng UBND tỉnh the form and content
    finance = login(walk, "taichinh")
    open_inbox_task(finance, "Thẩm định kinh phí")
    complete_task(finance, "Đồng ý kinh phí")
    office = login(walk, "vanphong")
    open_inbox_task(office, "Thẩm tra")
    complete_task(office, "Đồng ý, trình ký")

    # given the Phó Chủ tịch has enrolled this browser and uploaded the signature image
    signer = login(walk, "phochutich")
    enrol_this_browser(signer, "Máy tính phòng làm việc")
    upload_signature_image(signer, signature_png(tmp_path / "chu-ky.png"))
    device = SigningDevice.objects.get(user__username="phochutich")
    assert device.label == "Máy tính phòng làm việc" and device.revoked_at is None

    # when the Phó Chủ tịch reads the PDF, then signs with the browser's key
    open_inbox_task(signer, "Ký số kế hoạch")
    check_pdf_link(signer, task_form(signer).get_by_role("link", name="Xem bản PDF sẽ ký"))
    expect(task_form(signer).locator("[data-sign-error]")).to_be_hidden()  # the key is found
    complete_task(signer, "Ký số", timeout=SLOW_MS)
    expect(status(signer)).to_have_text("Đã ký, chờ phát hành")

    # when the văn thư issues it
    clerk = login(walk, "vanthu")
    open_inbox_task(clerk, "Cấp số và phát hành")
    complete_task(clerk, "Cấp số, đóng dấu và phát hành", timeout=SLOW_MS)

    # then it has the first number of the year's outgoing register
    expect(status(clerk)).to_have_text("Đã phát hành")
    expect(number_line(clerk)).to_have_text("Số: 01/KH-UBND")

    # when Báo Đồng Nai finds it among its incoming documents and acknowledges receipt
    keep_open(drafter)
    newspaper = login(walk, "baodongnai")
    incoming = newspaper.locator("section[aria-labelledby=received-title] tbody tr")
    incoming = incoming.filter(has_text="01/KH-UBND")
    expect(incoming).to_contain_text("Chưa xác nhận")
    incoming.get_by_role("link", name=plan.title).click()
    expect(status(newspaper)).to_have_text("Đã phát hành")
    expect(number_line(newspaper)).to_have_text("Số: 01/KH-UBND")
    newspaper.get_by_role("button", name="Xác nhận đã nhận").click()
    expect(newspaper.locator(".flash-list")).to_contain_text("Đã xác nhận đơn vị nhận được")
    expect(newspaper.get_by_text("Đơn vị của bạn đã xác nhận nhận văn bản")).to_be_visible()
    expect(newspaper.get_by_role("button", name="Xác nhận đã nhận")).to_have_count(0)

    # then the drafter hears of it live, and sees the receipt on the plan page
    expect(toast(drafter, f"{NEWSPAPER} đã xác nhận nhận kế hoạch")).to_be_visible()
    assert_not_reloaded(drafter)
    drafter.reload()
    expect(status(drafter)).to_have_text("Đã phát hành")
    expect(number_line(drafter)).to_have_text("Số: 01/KH-UBND")
    receipts = drafter.locator("#noi-nhan tbody tr")
    expect(receipts.filter(has_text=NEWSPAPER)).to_contain_text("Đã nhận")
    expect(receipts.filter(has_text=NEWSPAPER)).to_contain_text("Trịnh Văn Nam")
    expect(receipts.filter(has_text="Công an tỉnh")).to_contain_text("Chưa xác nhận")

    walk.close()  # done with the browser; pyHanko's validation runs its own event loop

    # and the issued PDF validates: the Phó Chủ tịch's signature and the seal, all intact
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ISSUED
    issued = bytes(plan.issued_pdf)
    reports = pdf_verify(pdf=issued)
    assert [r.signer_name for r in reports if r.kind == "signature"] == [
        "Nguyễn Sơn Hùng",
        "Ủy ban nhân dân tỉnh Đồng Nai",
    ]
    assert all(r.bottom_line for r in reports), [r.summary for r in reports]
    # the person's signature is the browser key's: its certificate is the enrolled device's
    person = next(r for r in reports if r.kind == "signature")
    assert person.certificate_serial == device.serial

    # and one changed byte inside the signed range breaks both signatures
    reports = pdf_verify(pdf=tamper(issued))
    assert [r.intact for r in reports if r.kind == "signature"] == [False, False]
    assert not any(r.bottom_line for r in reports)
