"""USB-token certificates from an external CA: enrolment, the checks, signing with them, B-LT.

The CA is a test chain shaped like the national one (root → subordinate CA for state agencies →
person), its CRLs and OCSP responder served on 127.0.0.1 by this test process
(tests/signing/national_pki.py). The token's key is held in Python here (`TokenKey`), signing
SHA-256 digests as a token does through the agent; the agent itself, with SoftHSM2, is tested in
tests/signing/test_agent.py and tests/e2e/test_agent_signing.py.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from django.db import transaction
from rest_framework.test import APIClient

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import User
from signing import services as signing
from signing.models import SigningDevice, SigningSession
from signing.verification import pdf_verify_report

from .independent import dss_counts, validate_offline
from .national_pki import NationalTestPki, national_pki_served
from .token_key import TokenKey

pytestmark = pytest.mark.django_db

POSITION = "PHÓ CHỦ TỊCH"


@pytest.fixture
def admin(directory: Any) -> User:
    return User.objects.create_user(username="quantri", full_name="Quản Trị", is_staff=True)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def prepare(user: User, device: SigningDevice, pdf: bytes) -> signing.PendingSignature:
    return signing.signing_session_prepare(
        user=user,
        device_id=device.pk,
        pdf=pdf,
        position_line=POSITION,
        document_id=1,
        version_id=1,
        version_number=1,
        content_sha256="0" * 64,
    )


def finish(user: User, pending: signing.PendingSignature, signature: bytes) -> bytes:
    with transaction.atomic():
        session = signing.signing_session_get(session_id=pending.session.id, user=user)
        return signing.signing_session_finish(session=session, signature=signature)


# ENROLMENT


def test_a_token_certificate_of_the_person_is_enrolled_with_its_chain(
    signer: User, national_ca: NationalTestPki
) -> None:
    # given the signer's token, whose certificate the national CA issued in his name, in capitals
    # and without diacritics as some CAs write it
    token = TokenKey(national_ca, "NGUYEN SON HUNG")
    # when he enrols it
    device = token.enrol(signer)
    # then it is a token device, usable at once, stored with the CA's chain up to the root
    assert device.kind == SigningDevice.Kind.TOKEN
    assert device.status == SigningDevice.Status.ACTIVE
    assert device.subject_name == "NGUYEN SON HUNG"
    assert device.issuer_name == "CA phục vụ các cơ quan Nhà nước (thử nghiệm)"
    chain = x509.load_pem_x509_certificates(device.chain_pem.encode())
    assert chain == [national_ca.sub.certificate, national_ca.root.certificate]
    assert device.serial == format(token.certificate.serial_number, "x")
    assert device.label == "USB token – NGUYEN SON HUNG"


def test_another_name_waits_for_a_staff_member(
    signer: User, admin: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given a token certificate in another person's name
    device = TokenKey(national_ca, "Trần Văn Bình").enrol(signer)
    # then it waits for a staff member, and cannot sign meanwhile
    assert device.status == SigningDevice.Status.PENDING
    with pytest.raises(PermissionDenied) as refused:
        prepare(signer, device, plan_pdf)
    assert refused.value.code == "device_pending"
    assert [d.pk for d in signing.device_list_pending(actor=admin)] == [device.pk]
    # and the signer cannot confirm it himself
    with pytest.raises(PermissionDenied):
        signing.device_confirm(device_id=device.pk, actor=signer)
    # when a staff member confirms it, then it signs
    confirmed = signing.device_confirm(device_id=device.pk, actor=admin)
    assert confirmed.status == SigningDevice.Status.ACTIVE
    assert confirmed.confirmed_by == admin
    assert prepare(signer, confirmed, plan_pdf).algorithm == "RSA-PKCS1-PREHASHED-SHA256"
    assert signing.device_list_pending(actor=admin) == []


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("revoked", "certificate_revoked"),
        ("expired", "certificate_expired"),
        ("crl_only_revoked", "certificate_revoked"),
    ],
)
def test_a_refused_certificate_enrols_nothing(
    signer: User, national_ca: NationalTestPki, case: str, code: str
) -> None:
    # given a token certificate the CA revoked, or one that expired yesterday
    now = datetime.now(UTC)
    if case == "expired":
        token = TokenKey(
            national_ca,
            "Nguyễn Sơn Hùng",
            valid_from=now - timedelta(days=800),
            valid_until=now - timedelta(days=1),
        )
    else:
        token = TokenKey(national_ca, "Nguyễn Sơn Hùng", ocsp_responder=case != "crl_only_revoked")
        national_ca.revoke(token.certificate)
    # when he enrols it, then it is refused with the reason, and nothing is stored
    with pytest.raises(InvalidInput) as refused:
        token.enrol(signer)
    assert refused.value.code == code
    assert "thu hồi" in refused.value.message or "hết hạn" in refused.value.message
    assert not SigningDevice.objects.exists()


def test_a_certificate_of_an_untrusted_ca_is_refused(
    signer: User, national_ca: NationalTestPki
) -> None:
    # given a token certificate from another CA, whose root was never imported
    with national_pki_served("CA không được tin cậy") as stranger:
        token = TokenKey(stranger, "Nguyễn Sơn Hùng")
        # when he enrols it, then it is refused: no path to an imported root
        with pytest.raises(InvalidInput) as refused:
            token.enrol(signer)
    assert refused.value.code == "untrusted_root"
    assert "không thuộc tổ chức chứng thực được tin cậy" in refused.value.message
    assert not SigningDevice.objects.exists()


def test_without_imported_roots_no_token_is_accepted(
    signer: User, national_pki: NationalTestPki
) -> None:
    # given no imported trust root at all
    token = TokenKey(national_pki, "Nguyễn Sơn Hùng")
    # then enrolment says an administrator must import one first
    with pytest.raises(InvalidInput) as refused:
        token.enrol(signer)
    assert refused.value.code == "no_trust_roots"


def test_an_unreachable_ca_enrols_nothing_and_says_to_retry(
    signer: User, national_ca: NationalTestPki
) -> None:
    # given a fresh certificate while the CA's CRL and OCSP addresses do not answer
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    national_ca.down = True
    # when he enrols it, then revocation cannot be established: refused, to retry later
    with pytest.raises(StateError) as refused:
        token.enrol(signer)
    assert refused.value.code == "revocation_unavailable"
    assert not SigningDevice.objects.exists()


def test_a_proof_by_another_key_is_refused(signer: User, national_ca: NationalTestPki) -> None:
    # given a certificate and a proof made by another key
    token, other = TokenKey(national_ca, "Nguyễn Sơn Hùng"), TokenKey(national_ca, "Khác")
    nonce = bytes(signing.enrolment_challenge_create(user=signer).nonce)
    import hashlib

    with pytest.raises(InvalidInput) as refused:
        signing.token_device_enrol(
            user=signer,
            label="",
            certificate=token.der,
            chain=token.chain_der,
            nonce=nonce,
            proof=other.sign_digest(hashlib.sha256(nonce).digest()),
        )
    assert refused.value.code == "bad_proof"
    assert not SigningDevice.objects.exists()


def test_the_api_enrols_and_explains_refusals_in_json(
    signer: User, admin: User, national_ca: NationalTestPki
) -> None:
    # when the page enrols a token certificate through the API
    response = TokenKey(national_ca, "Nguyễn Sơn Hùng").api_enrol(api(signer))
    # then the device is described
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "token" and body["status"] == "active"
    assert body["issuer_name"] == "CA phục vụ các cơ quan Nhà nước (thử nghiệm)"
    # and a revoked one is a 400 with its reason
    revoked = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    national_ca.revoke(revoked.certificate)
    refused = revoked.api_enrol(api(signer))
    assert refused.status_code == 400
    assert refused.json()["error"] == "certificate_revoked"
    # and a pending one is confirmed by staff only
    pending = TokenKey(national_ca, "Lê Thị Cúc").api_enrol(api(signer)).json()
    assert pending["status"] == "pending"
    url = f"/api/v1/signing/devices/{pending['id']}/confirm/"
    assert api(signer).post(url).status_code == 403
    confirmed = api(admin).post(url)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "active"
    # and garbage is a 400, never a 500
    junk = api(signer).post(
        "/api/v1/signing/devices/token/",
        {"certificate": base64.b64encode(b"junk").decode(), "nonce": "AA", "proof": "AA"},
        format="json",
    )
    assert junk.status_code == 400 and junk.json()["error"] == "bad_certificate"


# SIGNING


def test_a_token_signature_is_pades_b_lt_and_validates_trusting_only_the_national_root(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes, settings: Any
) -> None:
    # given an enrolled token, and the national time-stamping service configured
    settings.SIGNING_TSA_URL = national_ca.tsa_url
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    device = token.enrol(signer)
    # when the server prepares, the token signs the digest, and the server finishes
    pending = prepare(signer, device, plan_pdf)
    assert pending.algorithm == "RSA-PKCS1-PREHASHED-SHA256"
    assert len(pending.to_be_signed) == 32
    signed = finish(signer, pending, token.sign_digest(pending.to_be_signed))
    # then the PDF carries the validation data (B-LT): chain, CRLs and OCSP answers
    counts = dss_counts(signed)
    assert counts["certs"] >= 2 and counts["crls"] >= 1 and counts["ocsps"] >= 1, counts
    # and pyHanko alone, trusting only the national root and fetching nothing, finds it valid,
    # time-stamp included
    (status,) = validate_offline(signed, national_ca.root.certificate).values()
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    # and our verification page says the same, naming the imported CA
    report = pdf_verify_report(pdf=signed)
    (verdict,) = report.signatures
    assert report.status == "valid", verdict.problems
    assert verdict.ca_status == "imported"
    assert verdict.signer_name == "Nguyễn Sơn Hùng"


def test_a_token_revoked_after_enrolment_cannot_sign(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given an enrolled token whose certificate the CA then revokes
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    device = token.enrol(signer)
    national_ca.revoke(token.certificate)
    # when he prepares a signature, then it is refused, with the CA's word, and nothing is kept
    with pytest.raises(PermissionDenied) as refused:
        prepare(signer, device, plan_pdf)
    assert refused.value.code == "certificate_revoked"
    assert "đã bị tổ chức chứng thực" in refused.value.message
    assert not SigningSession.objects.exists()


def test_a_signature_made_before_revocation_shows_revoked_when_verified(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given a PDF signed with a token
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    pending = prepare(signer, token.enrol(signer), plan_pdf)
    signed = finish(signer, pending, token.sign_digest(pending.to_be_signed))
    assert pdf_verify_report(pdf=signed).status == "valid"
    # when the CA revokes the certificate afterwards, then verification (at the current time,
    # asking the CA once its last answers, kept two minutes, are out of the cache) says so
    national_ca.revoke(token.certificate)
    signing._fetcher.cache_clear()
    (verdict,) = pdf_verify_report(pdf=signed).signatures
    assert verdict.revoked
    assert not verdict.bottom_line


def test_an_unreachable_ca_at_finish_leaves_a_b_t_signature(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given a prepared signature (the CA answered then)
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    pending = prepare(signer, token.enrol(signer), plan_pdf)
    # when the CA stops answering before the token's value comes back
    national_ca.down = True
    signing._fetcher.cache_clear()  # no cached answers: as on another server process
    signed = finish(signer, pending, token.sign_digest(pending.to_be_signed))
    # then the signature is made (B-T), without embedded validation data
    assert dss_counts(signed)["ocsps"] == 0
    national_ca.down = False
    assert pdf_verify_report(pdf=signed).status == "valid"


def test_a_wrong_signature_value_is_refused(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given a prepared signature, answered by another key
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    pending = prepare(signer, token.enrol(signer), plan_pdf)
    other = TokenKey(national_ca, "Khác")
    with pytest.raises(InvalidInput) as refused:
        finish(signer, pending, other.sign_digest(pending.to_be_signed))
    assert refused.value.code == "bad_signature"
    assert SigningSession.objects.get().used_at is None


def test_revoking_a_token_device_stops_it_but_stays_off_our_crl(
    signer: User, national_ca: NationalTestPki, plan_pdf: bytes
) -> None:
    # given an enrolled token, revoked in this system by its owner
    token = TokenKey(national_ca, "Nguyễn Sơn Hùng")
    device = token.enrol(signer)
    signing.device_revoke(device_id=device.pk, actor=signer)
    # then it cannot sign, and our CA does not list another CA's serial number
    with pytest.raises(PermissionDenied):
        prepare(signer, device, plan_pdf)
    crl = x509.load_pem_x509_crl(signing.crl_pem().encode())
    assert crl.get_revoked_certificate_by_serial_number(token.certificate.serial_number) is None
    # and the same certificate can be enrolled again
    again = token.enrol(signer)
    assert again.pk != device.pk and again.status == SigningDevice.Status.ACTIVE


def test_names_match_ignoring_case_diacritics_and_spaces() -> None:
    assert signing.names_match("NGUYỄN  SƠN HÙNG", "Nguyễn Sơn Hùng")
    assert signing.names_match("Nguyen Son Hung", "Nguyễn Sơn Hùng")
    assert signing.names_match("ĐẶNG VĂN ĐỨC", "Đặng Văn Đức")
    assert not signing.names_match("Nguyễn Sơn", "Nguyễn Sơn Hùng")
    assert not signing.names_match("", "")


# PAGES


def test_the_devices_page_shows_token_certificates_and_where_the_agent_is(
    client: Any, signer: User, national_ca: NationalTestPki, settings: Any
) -> None:
    # given a pending token device
    settings.SIGNING_AGENT_URL = "http://127.0.0.1:19531"
    TokenKey(national_ca, "Trần Văn Bình").enrol(signer)
    client.force_login(signer)
    # when the signer opens "Thiết bị ký số"
    page = client.get("/ky-so/thiet-bi/").content.decode()
    # then the token is listed with its CA and waits for a staff member; the page knows where
    # to look for the agent and where to enrol a token
    assert "USB token" in page and "Trần Văn Bình, do CA phục vụ các cơ quan Nhà nước" in page
    assert "Chờ quản trị viên xác nhận" in page
    assert 'data-agent-url="http://127.0.0.1:19531"' in page
    assert 'data-token-devices-url="/api/v1/signing/devices/token/"' in page


def test_staff_confirm_or_refuse_pending_token_certificates_on_their_page(
    client: Any, signer: User, admin: User, national_ca: NationalTestPki
) -> None:
    # given two token certificates whose names are not the signer's
    first = TokenKey(national_ca, "Trần Văn Bình").enrol(signer)
    second = TokenKey(national_ca, "Lê Thị Cúc").enrol(signer)
    # the signer may not see the page
    client.force_login(signer)
    assert client.get("/ky-so/xac-nhan-chung-thu/").status_code == 403
    # the staff member sees both
    client.force_login(admin)
    page = client.get("/ky-so/xac-nhan-chung-thu/").content.decode()
    assert "Trần Văn Bình" in page and "Lê Thị Cúc" in page and "Nguyễn Sơn Hùng" in page
    # when they confirm the first and refuse the second
    response = client.post(
        "/ky-so/xac-nhan-chung-thu/", {"device_id": first.pk, "action": "confirm"}, follow=True
    )
    assert "Đã xác nhận chứng thư “Trần Văn Bình” của Nguyễn Sơn Hùng." in response.content.decode()
    client.post("/ky-so/xac-nhan-chung-thu/", {"device_id": second.pk, "action": "refuse"})
    # then the first signs, the second is revoked, and the page is empty
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SigningDevice.Status.ACTIVE and first.confirmed_by == admin
    assert second.revoked_at is not None
    assert (
        "Không có chứng thư nào chờ xác nhận."
        in client.get("/ky-so/xac-nhan-chung-thu/").content.decode()
    )
    # and a confirmation of something gone is a message, not an error page
    response = client.post(
        "/ky-so/xac-nhan-chung-thu/", {"device_id": second.pk, "action": "confirm"}, follow=True
    )
    assert response.status_code == 200
    assert "đã bị thu hồi" in response.content.decode()
