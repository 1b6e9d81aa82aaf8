"""POST /api/v1/verify/: anyone, no login, gets the verdicts and the matching plans as JSON."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from agencies.models import Unit, User
from documents.models import Plan, sha256_hex
from documents.services import province_issuer
from signing import ca as ca_lib
from signing.pdf import _ProviderSigner
from signing.providers import ServerKeyProvider
from signing.verification import NO_SIGNATURES, UNTRUSTED_ROOT

URL = "/api/v1/verify/"


@pytest.fixture(autouse=True)
def _verify_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.web.urls_verify"


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signed_elsewhere(pdf: bytes) -> bytes:
    """`pdf` signed (PAdES B-B, invisible) under a CA this system does not know."""
    now = datetime.now(UTC)
    root = ca_lib.ca_root_create(province_name="Bình Dương", now=now)
    key = ca_lib.key_generate_ec()
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=root,
        public_key=key.public_key(),
        common_name="Lê Văn C",
        organisation="Ủy ban nhân dân tỉnh Bình Dương",
        now=now,
    )
    provider = ServerKeyProvider(certificate=certificate, private_key=key, chain=[root.certificate])
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    out = signers.PdfSigner(metadata, signer=_ProviderSigner(provider)).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf))
    )
    return out.getvalue()


def _post(client: Client, pdf: bytes | None) -> Any:
    data = {} if pdf is None else {"file": SimpleUploadedFile("a.pdf", pdf, "application/pdf")}
    return client.post(URL, data)


@pytest.mark.django_db
def test_anonymous_post_without_csrf_gets_the_report_as_json() -> None:
    # given a PDF signed under a foreign CA, and a client that enforces CSRF
    signed = _signed_elsewhere(_blank_pdf())
    client = Client(enforce_csrf_checks=True)
    # when
    response = _post(client, signed)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "invalid"
    assert body["sha256"] == sha256_hex(signed)
    (signature,) = body["signatures"]
    assert signature["signer_name"] == "Lê Văn C"
    assert signature["ca_status"] == "unknown"
    assert signature["ca_status_text"] == UNTRUSTED_ROOT
    assert signature["intact"] is True and signature["trusted"] is False
    assert signature["certificate"]["issuer_common_name"] == "UBND tỉnh Bình Dương Root CA"
    assert signature["modification_text"] == "Không thay đổi"
    assert body["matches"] == []


@pytest.mark.django_db
def test_a_signed_pdf_of_this_system_is_matched_to_its_plan(directory: dict[str, Unit]) -> None:
    # given a plan whose signed PDF is stored, and a copy with something appended after signing
    signed = _signed_elsewhere(_blank_pdf())
    drafter = User.objects.get(username="chuyenvien")
    plan = Plan.objects.create(
        title="Kế hoạch chuyển đổi số",
        year=2026,
        issuer=province_issuer(),
        drafting_unit=drafter.unit,
        drafter=drafter,
        status=Plan.Status.SIGNED,
        signed_pdf=signed,
        signed_pdf_sha256=sha256_hex(signed),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root[generic.pdf_name("/Lang")] = generic.pdf_string("vi")
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    # when
    exact = _post(Client(), signed).json()
    changed = _post(Client(), appended.getvalue()).json()
    # then
    assert [(m["plan_id"], m["kind"], m["scope"]) for m in exact["matches"]] == [
        (plan.pk, "signed", "file")
    ]
    assert exact["matches"][0]["title"] == "Kế hoạch chuyển đổi số"
    assert exact["matches"][0]["verification_url"] == ""  # not issued
    assert [(m["plan_id"], m["kind"], m["scope"]) for m in changed["matches"]] == [
        (plan.pk, "signed", "revision")
    ]
    assert changed["matches"][0]["field_name"] == "Signature1"


@pytest.mark.django_db
def test_an_unsigned_pdf_gets_a_clear_message() -> None:
    # when
    body = _post(Client(), _blank_pdf()).json()
    # then
    assert (body["status"], body["message"]) == ("unsigned", NO_SIGNATURES)
    assert body["signatures"] == []


@pytest.mark.django_db
def test_garbage_gets_an_error_report_with_200() -> None:
    # when
    response = _post(Client(), b"GIF89a not a pdf")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert response.json()["error"] == "Tệp không phải là tệp PDF."


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_with_400(settings: Any) -> None:
    # given
    settings.VERIFY_MAX_BYTES = 1000
    # when
    response = _post(Client(), b"%PDF-1.7\n" + b"0" * 5000)
    # then
    assert response.status_code == 400
    assert response.json()["error"] == "file_too_large"
    assert "Tệp quá lớn" in response.json()["detail"]


@pytest.mark.django_db
def test_a_missing_file_is_refused_with_400() -> None:
    # when
    response = _post(Client(), None)
    # then
    assert response.status_code == 400
    assert response.json()["error"] == "file_missing"


@pytest.mark.django_db
def test_only_post_is_allowed() -> None:
    assert Client().get(URL).status_code == 405
