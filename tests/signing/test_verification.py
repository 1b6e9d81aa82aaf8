"""Verification for anyone (`signing.verification`) and the link + QR code printed at issuance."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime

import pypdf
import pypdfium2
import pytest
import qrcode
from django.utils import timezone

from agencies.models import Unit, User
from signing.models import Credential
from signing.pdf import (
    LocalTimeStampAuthority,
    SignatureAppearance,
    pdf_add_issue_fields,
    pdf_fill_issue_fields_and_seal,
    pdf_sign,
    pdf_validate,
)
from signing.seal_image import seal_png
from signing.services import (
    PERSON_SIGNATURE_FIELD,
    SEAL_SIGNATURE_FIELD,
    _crl_reissue,
    credential_for_person,
    pdf_issue_with_seal,
    pdf_sign_as_person,
)
from signing.verification import (
    CA_IMPORTED,
    CA_OURS,
    CA_UNKNOWN,
    NO_SIGNATURES,
    NOT_A_PDF,
    UNREADABLE,
    UNTRUSTED_ROOT,
    pdf_verify_report,
    verify_pdf,
)

from .helpers import VIETNAM, Pki

LEADER_FIELD = "signer_signature"
SEAL_FIELD = "agency_seal"
VERIFY_URL = "http://127.0.0.1:8000/kiem-tra/42-0123456789abcdef01234567/"


def _timestamper(pki: Pki) -> LocalTimeStampAuthority:
    return LocalTimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.private_key,  # type: ignore[arg-type]
        chain=[pki.root.certificate],
    )


def _sign_as_leader(pdf: bytes, pki: Pki, name: str = "Nguyễn Văn A") -> bytes:
    return pdf_sign(
        pdf,
        signer=pki.provider(name),
        field_name=LEADER_FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=SignatureAppearance(
            signer_name=name,
            position="Phó Chủ tịch",
            signed_at=datetime(2026, 11, 22, 10, 15, tzinfo=VIETNAM),
        ),
        timestamper=_timestamper(pki),
    )


@pytest.fixture(scope="module")
def signed_pdf(plan_pdf: bytes, pki: Pki) -> bytes:
    return _sign_as_leader(pdf_add_issue_fields(plan_pdf), pki)


@pytest.fixture(scope="module")
def issued_pdf(signed_pdf: bytes, pki: Pki) -> bytes:
    return pdf_fill_issue_fields_and_seal(
        signed_pdf,
        number_text="262",
        date_text="ngày 22 tháng 11 năm 2026",
        seal=pki.provider("Ủy ban nhân dân tỉnh Đồng Nai"),
        seal_png=seal_png(ring_text="Ủy ban nhân dân tỉnh Đồng Nai"),
        over_field=LEADER_FIELD,
        field_name=SEAL_FIELD,
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        timestamper=_timestamper(pki),
        verify_url=VERIFY_URL,
    )


# VERDICTS


def test_issued_pdf_reports_both_signatures_with_their_names_and_our_ca(
    issued_pdf: bytes, signed_pdf: bytes, pki: Pki
) -> None:
    # when
    report = verify_pdf(
        issued_pdf,
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        own_roots=[pki.root.certificate],
    )
    # then
    assert report.status == "valid" and report.is_valid
    assert report.sha256 == hashlib.sha256(issued_pdf).hexdigest()
    leader, seal = report.signatures
    assert (leader.field_name, leader.signer_name) == (LEADER_FIELD, "Nguyễn Văn A")
    assert (seal.field_name, seal.signer_name) == (SEAL_FIELD, "Ủy ban nhân dân tỉnh Đồng Nai")
    for verdict in (leader, seal):
        assert (verdict.intact, verdict.valid, verdict.trusted, verdict.bottom_line) == (True,) * 4
        assert verdict.revoked is False and verdict.problems == ()
        assert verdict.ca_status == CA_OURS
        assert verdict.ca_name == "UBND tỉnh Đồng Nai Root CA"
        assert verdict.certificate is not None
        assert verdict.certificate.issuer_common_name == "UBND tỉnh Đồng Nai Root CA"
        assert verdict.timestamp_time is not None
    assert leader.modification_text == "Chỉ điền số, ngày (điền biểu mẫu)"
    assert seal.modification_text == "Bổ sung dữ liệu kiểm tra dài hạn"
    assert leader.certificate.organisation == "Ủy ban nhân dân tỉnh Đồng Nai"
    # the leader signed exactly the PDF the leader produced: its revision is that file
    assert leader.revision_sha256 == hashlib.sha256(signed_pdf).hexdigest()
    assert leader.revision_end == len(signed_pdf) < seal.revision_end
    assert [t.kind for t in report.timestamps] == ["timestamp"]
    assert report.timestamps[0].bottom_line


def test_report_is_json_ready(issued_pdf: bytes, pki: Pki) -> None:
    # when
    data = verify_pdf(issued_pdf, trust_roots=[pki.root.certificate]).as_dict()
    # then
    assert data["signatures"][0]["signer_name"] == "Nguyễn Văn A"
    assert isinstance(data["signatures"][0]["timestamp_time"], str)
    assert data["signatures"][0]["ca_status"] == CA_IMPORTED  # trusted, but not named ours


def test_a_changed_byte_makes_the_signatures_not_intact(issued_pdf: bytes, pki: Pki) -> None:
    # given a byte changed inside what both signatures cover
    changed = bytearray(issued_pdf)
    index = issued_pdf.index(b"/MediaBox") + 12
    changed[index] = ord("9") if changed[index] != ord("9") else ord("8")
    # when
    report = verify_pdf(
        bytes(changed),
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        own_roots=[pki.root.certificate],
    )
    # then
    assert report.status == "invalid"
    assert all(not v.intact and not v.bottom_line for v in report.signatures)
    assert any("không còn nguyên vẹn" in p for p in report.signatures[0].problems)


def test_a_pdf_signed_under_a_foreign_ca_gets_an_untrusted_root_answer(
    plan_pdf: bytes, pki: Pki, foreign_pki: Pki
) -> None:
    # given a PDF signed by another province's CA
    foreign = _sign_as_leader(plan_pdf, foreign_pki, name="Trần Văn B")
    # when
    report = verify_pdf(
        foreign,
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        own_roots=[pki.root.certificate],
    )
    # then an answer, not an error
    assert report.status == "invalid" and report.error is None
    (verdict,) = report.signatures
    assert verdict.signer_name == "Trần Văn B"
    assert verdict.intact is True and verdict.trusted is False
    assert verdict.ca_status == CA_UNKNOWN
    assert verdict.ca_status_text == UNTRUSTED_ROOT
    assert verdict.ca_name == "UBND tỉnh Bình Dương Root CA"
    assert f"{UNTRUSTED_ROOT}." in verdict.problems


def test_an_imported_root_makes_the_foreign_pdf_trusted(
    plan_pdf: bytes, pki: Pki, foreign_pki: Pki
) -> None:
    # given
    foreign = _sign_as_leader(plan_pdf, foreign_pki, name="Trần Văn B")
    # when the other CA is trusted too (with its CRL)
    report = verify_pdf(
        foreign,
        trust_roots=[pki.root.certificate, foreign_pki.root.certificate],
        crls=[pki.crl, foreign_pki.crl],
        own_roots=[pki.root.certificate],
    )
    # then
    assert report.status == "valid"
    assert report.signatures[0].ca_status == CA_IMPORTED


def test_garbage_gets_an_error_report_not_an_exception() -> None:
    # when
    not_pdf = verify_pdf(b"\x00\x01 hello", trust_roots=[])
    broken = verify_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog", trust_roots=[])
    # then
    assert (not_pdf.status, not_pdf.message, not_pdf.error) == ("error", NOT_A_PDF, NOT_A_PDF)
    assert (broken.status, broken.message) == ("error", UNREADABLE)
    assert not_pdf.signatures == () and not_pdf.sha256


def test_a_pdf_without_signatures_says_so(plan_pdf: bytes, pki: Pki) -> None:
    # when
    report = verify_pdf(plan_pdf, trust_roots=[pki.root.certificate])
    # then
    assert (report.status, report.message) == ("unsigned", NO_SIGNATURES)
    assert report.error is None


# THE LINK AND QR CODE OF THE VERIFICATION PAGE


def _link_widget(pdf: bytes) -> pypdf.generic.DictionaryObject | None:
    """The seal's widget that draws a QR code, if any."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            parent = widget.get("/Parent")
            name = parent.get_object().get("/T") if parent is not None else widget.get("/T")
            if "/AP" not in widget:
                continue
            resources = widget["/AP"]["/N"].get_object().get("/Resources", {})
            if name == SEAL_FIELD and "/QR" in resources.get("/XObject", {}):
                return widget
    return None


def test_issued_pdf_carries_the_link_text_and_a_qr_code_of_it(issued_pdf: bytes) -> None:
    # given
    widget = _link_widget(issued_pdf)
    assert widget is not None
    # when the page is printed (annotations flattened) and its text read
    document = pypdfium2.PdfDocument(issued_pdf)
    document.init_forms()
    document[0].flatten()
    text = " ".join(document[0].get_textpage().get_text_range().split())
    # then
    assert f"Kiểm tra văn bản tại: {VERIFY_URL}" in text
    # and the QR code drawn is the one for the URL, module by module
    qr_stream = widget["/AP"]["/N"].get_object()["/Resources"]["/XObject"]["/QR"].get_object()
    drawn = {
        (int(row), int(col))
        for col, row in re.findall(rb"(\d+) (\d+) 1 1 re", qr_stream.get_data())
    }
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(VERIFY_URL)
    code.make()
    expected = {
        (row, col) for row, line in enumerate(code.modules) for col, dark in enumerate(line) if dark
    }
    assert drawn == expected


def test_the_link_is_a_widget_of_the_seal_and_keeps_the_leader_at_form_filling(
    issued_pdf: bytes, pki: Pki
) -> None:
    # when
    reports = {
        r.field_name: r
        for r in pdf_validate(issued_pdf, trust_roots=[pki.root.certificate], crls=[pki.crl])
    }
    # then
    assert reports[LEADER_FIELD].modification_level == "FORM_FILLING"
    assert reports[SEAL_FIELD].modification_level == "LTA_UPDATES"
    assert all(r.bottom_line for r in reports.values())
    fields = pypdf.PdfReader(io.BytesIO(issued_pdf)).get_fields() or {}
    assert len(fields[SEAL_FIELD].indirect_reference.get_object()["/Kids"]) == 2  # type: ignore[union-attr]


def test_issued_pdf_passes_ades_lta_validation_from_its_own_validation_data(
    issued_pdf: bytes, pki: Pki
) -> None:
    # given a policy that fetches nothing: only the DSS embedded at issuance may be used
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    from signing.pdf import _asn1_certificate, _run

    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(
                    trust_roots=[_asn1_certificate(pki.root.certificate)]
                ),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(
                        ee_certificate_rule=rule, intermediate_ca_cert_rule=rule
                    )
                ),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    reader = PdfFileReader(io.BytesIO(issued_pdf))
    # when
    results = {
        embedded.field_name: _run(ades_lta_validation(embedded, pdf_validation_spec=spec))
        for embedded in reader.embedded_signatures
        if embedded.sig_object_type != "/DocTimeStamp"
    }
    # then
    assert {name: str(r.ades_subindic) for name, r in results.items()} == {
        LEADER_FIELD: "AdESPassed.OK",
        SEAL_FIELD: "AdESPassed.OK",
    }


def test_without_a_link_the_seal_is_a_single_widget(signed_pdf: bytes, pki: Pki) -> None:
    # when
    issued = pdf_fill_issue_fields_and_seal(
        signed_pdf,
        number_text="1",
        date_text="ngày 01 tháng 12 năm 2026",
        seal=pki.provider("Ủy ban nhân dân tỉnh Đồng Nai"),
        seal_png=seal_png(ring_text="Ủy ban nhân dân tỉnh Đồng Nai"),
        over_field=LEADER_FIELD,
        field_name=SEAL_FIELD,
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        timestamper=_timestamper(pki),
    )
    # then
    assert _link_widget(issued) is None
    reports = pdf_validate(issued, trust_roots=[pki.root.certificate], crls=[pki.crl])
    assert all(r.bottom_line for r in reports)


# THE SERVICE: OUR ROOT, IMPORTED ROOTS, OUR CRL


@pytest.fixture
def province(db: None) -> Unit:
    return Unit.objects.create(
        code="ubnd-tinh",
        name="Ủy ban nhân dân tỉnh Đồng Nai",
        abbreviation="UBND",
        kind=Unit.Kind.PEOPLES_COMMITTEE,
    )


@pytest.fixture
def vice_chairman(province: Unit) -> User:
    return User.objects.create_user(
        username="pct",
        full_name="Nguyễn Văn A",
        unit=province,
        role=User.Role.SIGNER,
        position="Phó Chủ tịch",
    )


@pytest.mark.django_db
def test_service_reports_our_ca_and_a_revoked_leader_certificate(
    plan_pdf: bytes, vice_chairman: User, province: Unit
) -> None:
    # given a plan issued by the system
    signed = pdf_sign_as_person(pdf=plan_pdf, user=vice_chairman, position_line="PHÓ CHỦ TỊCH")
    issued = pdf_issue_with_seal(
        pdf=signed,
        unit=province,
        number_text="262",
        date_text="ngày 22 tháng 11 năm 2026",
        verify_url=VERIFY_URL,
    )
    report = pdf_verify_report(pdf=issued)
    assert report.status == "valid"
    assert {v.ca_status for v in report.signatures} == {CA_OURS}
    assert report.signatures[0].ca_status_text == "Tổ chức chứng thực của hệ thống"
    # when the leader's certificate is revoked
    credential = credential_for_person(user=vice_chairman)
    Credential.objects.filter(pk=credential.pk).update(revoked_at=timezone.now())
    _crl_reissue(force=True)
    report = pdf_verify_report(pdf=issued)
    # then
    leader = {v.field_name: v for v in report.signatures}[PERSON_SIGNATURE_FIELD]
    seal = {v.field_name: v for v in report.signatures}[SEAL_SIGNATURE_FIELD]
    assert report.status == "invalid"
    assert leader.revoked is True and leader.revoked_at is not None
    assert leader.bottom_line is False
    assert any("thu hồi" in p for p in leader.problems)
    assert seal.bottom_line is True
