"""The public verification pages: anyone uploads a PDF; each issued plan has its own page."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pypdfium2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from documents import selectors as document_selectors
from documents import services as documents
from documents.content import PlanContent
from documents.models import Plan, sha256_hex
from documents.verification import plan_verify_token, plan_verify_url_of
from signing.services import pdf_sign_as_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _verify_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.web.urls_verify"
    settings.PUBLIC_BASE_URL = "http://kiemtra.example.vn"


_RENDERED: dict[str, bytes] = {}


def _rendered(plan: Plan) -> bytes:
    """The plan's PDF; LibreOffice takes a second, so each content is rendered once per run."""
    key = sha256_hex(str(plan.content))
    if key not in _RENDERED:
        _RENDERED[key] = document_selectors.plan_pdf(plan=plan)[0]
    return _RENDERED[key]


def _signed_plan(plan: Plan, signer: Any) -> Plan:
    """The plan as it stands after the leader signed it (the flow's steps are not the point)."""
    pdf = _rendered(plan)
    position = PlanContent.from_dict(plan.content).signature.position or "CHỦ TỊCH"
    signed = pdf_sign_as_person(pdf=pdf, user=signer, position_line=position)
    Plan.objects.filter(pk=plan.pk).update(
        status=Plan.Status.SIGNED, signed_pdf=signed, signed_pdf_sha256=sha256_hex(signed)
    )
    plan.refresh_from_db()
    return plan


@pytest.fixture
def issued_plan(org: SimpleNamespace, plan: Plan) -> Plan:
    plan = _signed_plan(plan, org.signer)
    return documents.plan_issue(plan=plan, actor=org.clerk, issued_on=dt.date(2026, 11, 22))


def _upload(client: Client, pdf: bytes, name: str = "van-ban.pdf") -> Any:
    return client.post(
        reverse("verify"), {"file": SimpleUploadedFile(name, pdf, "application/pdf")}
    )


def test_verify_page_opens_for_anonymous_visitors() -> None:
    # when
    response = Client().get(reverse("verify"))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Kiểm tra văn bản điện tử" in page
    assert 'type="file"' in page and 'name="file"' in page
    assert "Đăng xuất" not in page


def test_anonymous_upload_of_an_issued_plan_shows_valid_verdicts_and_the_plan(
    org: SimpleNamespace, issued_plan: Plan
) -> None:
    # when
    response = _upload(Client(), bytes(issued_plan.issued_pdf))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-verify-status="valid"' in page
    assert page.count('data-valid="true"') == 3  # the leader, the seal, the document time-stamp
    assert 'data-valid="false"' not in page
    assert org.signer.full_name in page
    assert "Ủy ban nhân dân tỉnh Đồng Nai" in page
    assert "Tổ chức chứng thực của hệ thống" in page
    assert "Chỉ điền số, ngày (điền biểu mẫu)" in page
    assert f'data-plan-id="{issued_plan.pk}" data-match-kind="issued"' in page
    assert "01/KH-UBND" in page
    assert plan_verify_url_of(issued_plan) in page


def test_upload_of_a_changed_copy_shows_red_verdicts(issued_plan: Plan) -> None:
    # given a copy with one byte changed inside the signed part
    changed = bytearray(bytes(issued_plan.issued_pdf))
    index = changed.index(b"/MediaBox") + 12
    changed[index] = ord("9") if changed[index] != ord("9") else ord("8")
    # when
    page = _upload(Client(), bytes(changed)).content.decode()
    # then
    assert 'data-verify-status="invalid"' in page
    assert 'data-valid="false"' in page
    assert "không còn nguyên vẹn" in page


def test_upload_of_something_else_is_answered_not_crashed() -> None:
    # when
    garbage = _upload(Client(), b"not a pdf at all", name="anh.png")
    nothing = Client().post(reverse("verify"), {})
    # then
    assert garbage.status_code == 200
    assert "Tệp không phải là tệp PDF." in garbage.content.decode()
    assert nothing.status_code == 400
    assert "Vui lòng chọn tệp PDF" in nothing.content.decode()


def test_upload_over_the_limit_is_refused(settings: Any) -> None:
    # given
    settings.VERIFY_MAX_BYTES = 1024
    # when
    response = _upload(Client(), b"%PDF-1.7\n" + b"0" * 2048)
    # then
    assert response.status_code == 400
    assert "Tệp quá lớn" in response.content.decode()


def test_issued_plan_page_is_reached_by_the_link_printed_in_its_pdf(issued_plan: Plan) -> None:
    # given the address printed in the PDF (page 1, with the QR code)
    document = pypdfium2.PdfDocument(bytes(issued_plan.issued_pdf))
    document.init_forms()
    document[0].flatten()
    text = " ".join(document[0].get_textpage().get_text_range().split())
    url = plan_verify_url_of(issued_plan)
    assert f"Kiểm tra văn bản tại: {url}" in text
    # when an anonymous reader opens it
    path = url.removeprefix("http://kiemtra.example.vn")
    response = Client().get(path)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert issued_plan.title in page
    assert "01/KH-UBND" in page
    assert 'data-verify-status="valid"' in page
    download = Client().get(reverse("verify-plan-pdf", args=[path.split("/")[-2]]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == bytes(issued_plan.issued_pdf)


def test_unknown_forged_or_unissued_tokens_are_not_found(org: SimpleNamespace, plan: Plan) -> None:
    # given a plan that is not issued, and tokens that were never made
    unissued = plan_verify_token(plan_id=plan.pk, number=1, year=2026)
    forged = f"{plan.pk}-{'0' * 24}"
    # when / then
    for token in (unissued, forged, "999999-0123456789abcdef01234567", "abc"):
        assert Client().get(reverse("verify-plan", args=[token])).status_code == 404
        assert Client().get(reverse("verify-plan-pdf", args=[token])).status_code == 404
