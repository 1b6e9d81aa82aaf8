"""Signing a plan with a USB token through the signing agent, in a real browser.

The token is a SoftHSM2 token holding keys made on it and certificates that a test CA chain
shaped like the national one issued (root → subordinate CA for state agencies → person); its
CRLs, OCSP responder and time-stamping service answer on 127.0.0.1 from this test process. The
agent (agent/, `python -m kehoach_agent`) runs as its own process with that token; the app runs
under uvicorn with the national root imported, the national time-stamping service, and the
agency's seal on a token of its own with a national certificate. The Phó Chủ tịch pairs the page
with the agent and types every PIN in the agent's own window (a second tab, another origin).

The walk: pair, enrol the token's certificate, sign the plan from the task page, the clerk
issues it; pyHanko alone, trusting only the national root, validates the signed and the issued
PDF. The refusals: a revoked, an expired and an untrusted certificate are not enrolled; an
unpaired page, a wrong PIN and a token pulled out before the PIN sign nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import connection
from playwright.sync_api import Page, expect

from agencies.models import User
from documents.models import Plan
from signing.models import SigningDevice, SigningSession
from signing.services import trust_root_import
from tests.e2e.conftest import RESULTS_DIR
from tests.e2e.server import serve
from tests.e2e.test_plan_walk import (
    SLOW_MS,
    complete_task,
    login,
    open_inbox_task,
    open_signing_devices,
    sign_button,
    status,
    task_form,
)
from tests.helpers import walk_to_signature
from tests.signing.agent_process import AgentProcess
from tests.signing.independent import dss_counts, validate_offline
from tests.signing.national_pki import NationalTestPki, national_pki_served
from tests.signing.softhsm import MODULE, SoftHsm, require_softhsm

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

SIGN_TASK = "Ký số kế hoạch"
ISSUE_TASK = "Cấp số và phát hành"
PIN = "314159"
SEAL_PIN = "271828"
SIGNER = "Nguyễn Sơn Hùng"


@dataclass
class TokenCertificate:
    key_id: bytes
    certificate: x509.Certificate

    @property
    def id(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()


@dataclass
class Setup:
    pki: NationalTestPki
    hsm: SoftHsm
    agent: AgentProcess
    token_label: str
    valid: TokenCertificate
    revoked: TokenCertificate
    expired: TokenCertificate
    untrusted: TokenCertificate


@pytest.fixture(scope="module")
def national_pki() -> Iterator[NationalTestPki]:
    with national_pki_served() as pki:
        yield pki


def _put(
    hsm: SoftHsm,
    token: str,
    pki: NationalTestPki,
    key_id: bytes,
    chain_of: NationalTestPki,
    **issue: Any,
) -> TokenCertificate:
    """A key made on the token, certified by `pki`, stored next to it with `chain_of`'s chain."""
    label = f"{SIGNER} {key_id.hex()}"
    public_key = hsm.generate_key(token, PIN, label, key_id)
    certificate = pki.issue_person(SIGNER, public_key, **issue)
    hsm.store_certificates(token, PIN, label, key_id, certificate, chain_of.chain)
    return TokenCertificate(key_id=key_id, certificate=certificate)


def _run_command(env: dict[str, str], *arguments: str) -> str:
    """A management command in a process of its own (with the seal token's SoftHSM2 config),
    on the test database."""
    code = (
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test')\n"
        "import django\n"
        "from django.conf import settings\n"
        "settings.DATABASES['default']['NAME'] = sys.argv[1]\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command(*sys.argv[2:])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(connection.settings_dict["NAME"]), *arguments],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def national(
    transactional_db: Any,
    national_pki: NationalTestPki,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plan: Plan,
) -> Iterator[Setup]:
    """The national root imported, the signer's token and agent, the agency's seal token."""
    require_softhsm()
    admin = User.objects.create_user(username="quantri", full_name="Quản Trị", is_staff=True)
    trust_root_import(pem=national_pki.pem(national_pki.root.certificate), actor=admin)

    # the Phó Chủ tịch's USB token: his certificate, and three that must not be accepted
    hsm = SoftHsm(tmp_path / "signer-token")
    token = "token-pho-chu-tich"
    hsm.init_token(token, PIN)
    now = datetime.now(UTC)
    valid = _put(hsm, token, national_pki, b"\x01", national_pki)
    revoked = _put(hsm, token, national_pki, b"\x02", national_pki)
    national_pki.revoke(revoked.certificate)
    expired = _put(
        hsm,
        token,
        national_pki,
        b"\x03",
        national_pki,
        valid_from=now - timedelta(days=800),
        valid_until=now - timedelta(days=2),
    )
    stranger = NationalTestPki("http://127.0.0.1:9", label="CA không được tin cậy")
    untrusted = _put(hsm, token, stranger, b"\x04", stranger)
    agent = AgentProcess(hsm, tmp_path / "agent-config")

    # the agency's seal on its own token, certified by the national CA
    seal_hsm = SoftHsm(tmp_path / "seal-token")
    seal_hsm.init_token("con-dau", SEAL_PIN)
    seal_public = seal_hsm.generate_key("con-dau", SEAL_PIN, "con-dau-ubnd", b"\x09")
    seal_certificate = national_pki.issue_seal(plan.issuer.name, seal_public)
    seal_hsm.store_certificates(
        "con-dau", SEAL_PIN, "con-dau-ubnd", b"\x09", seal_certificate, national_pki.chain
    )
    server_env = {
        "SIGNING_AGENT_URL": agent.url,
        "SIGNING_TSA_URL": national_pki.tsa_url,
        "SEAL_KEY_BACKEND": "pkcs11",
        "SEAL_PKCS11_MODULE": MODULE,
        "SEAL_PKCS11_TOKEN_LABEL": "con-dau",
        "SEAL_PKCS11_PIN": SEAL_PIN,
        "SEAL_PKCS11_KEY_LABEL": "con-dau-ubnd",
        "SOFTHSM2_CONF": str(seal_hsm.conf),
    }
    for name, value in server_env.items():
        monkeypatch.setenv(name, value)  # the app's process (tests/e2e/server.py) inherits them
    registered = _run_command(
        seal_hsm.env | server_env, "seal_token_register", "--unit", plan.issuer.code
    )
    assert format(seal_certificate.serial_number, "x") in registered
    try:
        yield Setup(national_pki, hsm, agent, token, valid, revoked, expired, untrusted)
    finally:
        agent.stop()


@pytest.fixture
def plan(transactional_db: Any, signer: Any, make_content: Any) -> Plan:
    """A plan at the Phó Chủ tịch's open "sign" task, walked there through the services."""
    return walk_to_signature(content=make_content(signer=signer))


@pytest.fixture
def live_url(national: Setup) -> Iterator[str]:
    """The app, started once the national CA, the tokens and the agent are there."""
    with serve() as url:
        yield url


# ---------------------------------------------------------------------------------------------
# What the signer does


def agent_window(walk: Any, page: Page, setup: Setup) -> Page:
    """The agent's own window, opened next to the page (another origin: 127.0.0.1:<agent port>)."""
    window = page.context.new_page()
    window.goto(setup.agent.url + "/")
    expect(
        window.get_by_role("heading", name="Chương trình ký số — Kế hoạch UBND tỉnh")
    ).to_be_visible()
    walk.pages["agent"] = window
    return window


def pair(page: Page, window: Page, base_url: str) -> None:
    """On "Thiết bị ký số": ask to pair; agree in the agent's window when it shows the same code."""
    expect(page.locator("[data-agent-status]")).to_contain_text("chưa được ghép nối")
    page.get_by_role("button", name="Ghép nối với chương trình ký số").click()
    code_box = page.locator("[data-pairing-code]")
    expect(code_box).to_contain_text("Mã ghép nối:")
    code = re.search(r"\d{6}", code_box.inner_text()).group(0)  # type: ignore[union-attr]
    request = window.locator("[data-request=pair]")
    expect(request).to_contain_text(base_url)
    expect(request.locator("[data-pairing-code]")).to_have_text(code)
    request.get_by_role("button", name="Đồng ý ghép nối").click()
    expect(page.locator("[data-token-message]")).to_contain_text(
        "Đã ghép nối trang này với chương trình ký số."
    )
    expect(page.locator("[data-agent-status]")).to_contain_text("đã sẵn sàng")


def type_pin(window: Page, pin: str, *, expect_text: str = "") -> None:
    """In the agent's window: the signing request is shown; type the PIN and press "Ký"."""
    request = window.locator("[data-request=sign]")
    expect(request).to_be_visible()
    if expect_text:
        expect(request).to_contain_text(expect_text)
    request.get_by_label("Mã PIN của USB token").fill(pin)
    request.get_by_role("button", name="Ký", exact=True).click()


def enrol(page: Page, window: Page, certificate: TokenCertificate) -> None:
    item = page.locator(f"[data-certificate-id='{certificate.id}']")
    item.get_by_role("button", name="Đăng ký chứng thư này").click()
    expect(page.locator("[data-token-message]")).to_contain_text("nhập mã PIN trên cửa sổ")
    type_pin(window, PIN, expect_text="chứng minh quyền giữ khóa")


def token_message(page: Page) -> Any:
    return page.locator("[data-token-message]")


def sign_error(page: Page) -> Any:
    return task_form(page).locator("[data-sign-error]")


def assert_nothing_signed(plan: Plan) -> None:
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert not plan.signed_pdf
    assert not SigningSession.objects.filter(document_id=plan.pk, used_at__isnull=False).exists()


# ---------------------------------------------------------------------------------------------
# The walk


def test_a_plan_is_signed_with_a_usb_token_through_the_agent_and_issued(
    plan: Plan, national: Setup, walk: Any
) -> None:
    page = login(walk, "phochutich")
    window = agent_window(walk, page, national)

    # the Phó Chủ tịch pairs this site with the agent and enrols his token's certificate
    open_signing_devices(page)
    pair(page, window, walk.base_url)
    enrol(page, window, national.valid)
    expect(token_message(page)).to_contain_text(
        f"Đã đăng ký chứng thư “{SIGNER}” trên USB token làm thiết bị ký số."
    )
    expect(
        page.locator("[data-device-list] tbody tr").filter(has_text="USB token")
    ).to_contain_text("Đang hiệu lực")
    device = SigningDevice.objects.get(user__username="phochutich", kind="token")
    assert device.fingerprint_sha256 == national.valid.id

    # the task page says the token will sign, through the agent
    open_inbox_task(page, SIGN_TASK)
    method = task_form(page).locator("[data-sign-method]")
    expect(method).to_contain_text("Ký bằng USB token qua chương trình ký số")
    expect(method).to_contain_text(f"chứng thư “{SIGNER}” do CA phục vụ các cơ quan Nhà nước")

    # (he reads the PDF first, as the page asks, and the server has prepared one signature
    # since it started: the figures below are those of a warm server; the cold one is kept too)
    response = page.request.get(f"/ke-hoach/{plan.pk}/pdf/", timeout=SLOW_MS)
    assert response.ok
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    cold = time.perf_counter()
    response = page.request.post(
        f"/api/v1/documents/{plan.pk}/sign/prepare/",
        data={"device_id": device.pk},
        headers={"X-CSRFToken": csrf, "Referer": walk.base_url + "/"},
        timeout=SLOW_MS,
    )
    assert response.ok, response.text()
    cold_prepare_ms = round((time.perf_counter() - cold) * 1000)

    # when he presses "Ký số" (and confirms), types the PIN in the agent's window: signed
    clicked: list[float] = []
    page.on("dialog", lambda _dialog: clicked.append(time.perf_counter()))
    sign_button(page).click()
    request = window.locator("[data-request=sign]")
    expect(request).to_be_visible()
    asked = time.perf_counter()
    expect(request).to_contain_text(f"Ký số: {plan.title}")
    type_pin(window, PIN, expect_text=SIGNER)
    confirmed = time.perf_counter()
    expect(status(page)).to_have_text("Đã ký, chờ phát hành", timeout=SLOW_MS)
    signed_at = time.perf_counter()
    started = clicked[0]

    # the clerk issues it, sealed with the agency's own token
    clerk = login(walk, "vanthu")
    open_inbox_task(clerk, ISSUE_TASK)
    complete_task(clerk, "Cấp số, đóng dấu và phát hành", timeout=SLOW_MS)
    walk.close()  # pyHanko's validation runs its own event loop

    plan.refresh_from_db()
    assert plan.status == Plan.Status.ISSUED
    signed, issued = bytes(plan.signed_pdf), bytes(plan.issued_pdf)
    root = national.pki.root.certificate
    # the signature is PAdES B-LT: chain, CRLs and OCSP answers are in the PDF
    assert dss_counts(signed)["ocsps"] >= 1 and dss_counts(signed)["crls"] >= 1
    # and pyHanko alone, trusting only the national root and fetching nothing, validates the
    # signed PDF and the issued one (leader, seal, document time-stamp)
    (leader,) = validate_offline(signed, root).values()
    assert leader.bottom_line, leader.pretty_print_details()
    assert leader.signing_cert.subject.native["common_name"] == SIGNER
    statuses = validate_offline(issued, root)
    assert len(statuses) == 3
    for name, state in statuses.items():
        assert state.intact and state.valid and state.trusted, (name, state.pretty_print_details())
    assert statuses["signer_signature"].bottom_line
    assert statuses["agency_seal"].bottom_line

    figures = {
        "first_prepare_after_server_start_ms": cold_prepare_ms,
        "click_to_pin_prompt_ms": round((asked - started) * 1000),
        "pin_confirmed_to_signed_page_ms": round((signed_at - confirmed) * 1000),
        "click_to_signed_without_the_person_ms": round(
            ((asked - started) + (signed_at - confirmed)) * 1000
        ),
        "click_to_signed_with_automated_pin_ms": round((signed_at - started) * 1000),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "agent-signing.json").write_text(json.dumps(figures, indent=2))
    print("\nagent signing, page click → signed:", figures)  # noqa: T201


def test_refusals_sign_nothing_and_say_why(plan: Plan, national: Setup, walk: Any) -> None:
    page = login(walk, "phochutich")
    window = agent_window(walk, page, national)
    open_signing_devices(page)
    pair(page, window, walk.base_url)

    # a revoked, an expired and an untrusted certificate on the token are not enrolled
    for certificate, reason in (
        (
            national.revoked,
            "đã bị tổ chức chứng thực “CA phục vụ các cơ quan Nhà nước (thử nghiệm)” thu hồi",
        ),
        (national.expired, "Chứng thư số đã hết hạn"),
        (national.untrusted, "không thuộc tổ chức chứng thực được tin cậy"),
    ):
        enrol(page, window, certificate)
        expect(token_message(page)).to_contain_text(reason)
        expect(page.locator(f"[data-certificate-id='{certificate.id}']")).to_contain_text(
            "Đăng ký chứng thư này"
        )
    assert not SigningDevice.objects.exists()
    enrol(page, window, national.valid)
    expect(token_message(page)).to_contain_text("làm thiết bị ký số")

    # an unpaired page: the user unpairs the site in the agent's window; the task page says so
    window.get_by_role("listitem").filter(has_text=walk.base_url).get_by_role(
        "button", name="Hủy ghép nối"
    ).click()
    open_inbox_task(page, SIGN_TASK)
    expect(sign_error(page)).to_contain_text("chưa được ghép nối với trang này")
    sign_button(page).click()
    expect(sign_error(page)).to_contain_text("chưa được ghép nối với trang này")
    expect(sign_button(page)).to_be_enabled()
    assert_nothing_signed(plan)

    # paired again, a wrong PIN signs nothing, and says so
    open_signing_devices(page)
    pair(page, window, walk.base_url)
    open_inbox_task(page, SIGN_TASK)
    expect(task_form(page).locator("[data-sign-method]")).to_contain_text("Ký bằng USB token")
    sign_button(page).click()
    type_pin(window, "000000")
    expect(window.locator("#message")).to_contain_text("Mã PIN không đúng")
    expect(sign_error(page)).to_contain_text("Mã PIN không đúng; chưa có gì được ký.")
    expect(sign_button(page)).to_be_enabled()
    assert_nothing_signed(plan)

    # the token pulled out while the agent waits for the PIN: nothing is signed, and it says so
    sign_button(page).click()
    expect(window.locator("[data-request=sign]")).to_be_visible()
    national.hsm.delete_token(national.token_label)
    type_pin(window, PIN)
    expect(sign_error(page)).to_contain_text("token đã bị rút ra")
    expect(sign_button(page)).to_be_enabled()
    walk.close()
    assert_nothing_signed(plan)
    # and the refused attempts left prepared sessions only, none used
    assert SigningSession.objects.filter(document_id=plan.pk, used_at__isnull=True).count() == 2
