"""Signing devices: enrolment with proof of possession, the certificate, revocation and the CRL,
signature images, and imported trust roots — through the services and the API."""

from __future__ import annotations

import base64
import datetime as dt
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import User
from signing import ca as ca_lib
from signing import services as signing
from signing.models import CertificateAuthority, EnrolmentChallenge, SigningDevice, TrustRoot
from tests.signing.browser_key import BrowserKey, api_enrol

from .helpers import VIETNAM, Pki

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def png(mode: str = "RGBA", size: tuple[int, int] = (120, 40), fmt: str = "PNG") -> bytes:
    """A blue stroke on a transparent background (or on white, for modes without alpha)."""
    colour: Any = {"RGBA": (0, 0, 0, 0), "LA": (0, 0), "RGB": (255, 255, 255), "L": 255}[mode]
    image = Image.new(mode, size, colour)
    for x in range(10, size[0] - 10):
        ink = {"RGBA": (20, 40, 200, 255), "LA": (60, 255), "RGB": (20, 40, 200), "L": 60}[mode]
        image.putpixel((x, size[1] // 2 + (x % 7) - 3), ink)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def admin(directory: Any) -> User:
    return User.objects.create_user(username="quantri", full_name="Quản Trị", is_staff=True)


def crl_serials() -> set[int]:
    crl = x509.load_pem_x509_crl(signing.crl_pem().encode())
    return {entry.serial_number for entry in crl}


# ENROLMENT AND THE CERTIFICATE


def test_the_ca_certifies_the_browser_key_in_the_persons_name(signer: User) -> None:
    # given a browser key
    key = BrowserKey(signer)
    # when it is enrolled
    device = key.enrol()
    # then the certificate carries that key and names the person, their unit and Việt Nam
    certificate = x509.load_pem_x509_certificate(device.certificate_pem.encode())
    root = x509.load_pem_x509_certificate(signing.trust_pem().encode())
    certificate.verify_directly_issued_by(root)
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Sơn Hùng"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == signer.unit.name
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    assert (
        certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == key.spki
    )
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert format(certificate.serial_number, "x") == device.serial
    assert device.not_after == certificate.not_valid_after_utc
    assert bytes(device.public_key_der) == key.spki


def test_a_person_may_enrol_several_devices(signer: User) -> None:
    # when the signer enrols a laptop and a desktop
    laptop = BrowserKey(signer, label="Máy xách tay").enrol()
    desktop = BrowserKey(signer, label="Máy bàn").enrol()
    # then both are theirs, newest first
    assert [d.pk for d in signing.device_list_of(user=signer)] == [desktop.pk, laptop.pk]
    assert laptop.serial != desktop.serial


def test_a_proof_by_another_key_is_refused_and_uses_up_the_nonce(signer: User) -> None:
    # given a nonce
    key, impostor = BrowserKey(signer), BrowserKey(signer)
    nonce = bytes(signing.enrolment_challenge_create(user=signer).nonce)
    # when the proof is signed by another key than the one sent
    with pytest.raises(InvalidInput) as refused:
        signing.device_enrol(
            user=signer, label="Máy", spki=key.spki, nonce=nonce, proof=impostor.sign(nonce)
        )
    # then nothing is enrolled, and the nonce cannot be tried again
    assert refused.value.code == "bad_proof"
    assert SigningDevice.objects.exists() is False
    with pytest.raises(InvalidInput) as again:
        signing.device_enrol(
            user=signer, label="Máy", spki=key.spki, nonce=nonce, proof=key.sign(nonce)
        )
    assert again.value.code == "bad_nonce"


def test_a_reused_nonce_is_refused(signer: User) -> None:
    # given a device enrolled with a nonce
    first = BrowserKey(signer)
    nonce = bytes(signing.enrolment_challenge_create(user=signer).nonce)
    signing.device_enrol(
        user=signer, label="Một", spki=first.spki, nonce=nonce, proof=first.sign(nonce)
    )
    # when another key replays the same nonce
    second = BrowserKey(signer)
    with pytest.raises(InvalidInput) as refused:
        signing.device_enrol(
            user=signer, label="Hai", spki=second.spki, nonce=nonce, proof=second.sign(nonce)
        )
    # then
    assert refused.value.code == "bad_nonce"
    assert SigningDevice.objects.count() == 1


def test_an_expired_nonce_is_refused(signer: User) -> None:
    # given a nonce older than five minutes
    key = BrowserKey(signer)
    challenge = signing.enrolment_challenge_create(user=signer)
    assert challenge.expires_at - challenge.created_at == dt.timedelta(minutes=5)
    EnrolmentChallenge.objects.filter(pk=challenge.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    nonce = bytes(challenge.nonce)
    # when / then
    with pytest.raises(InvalidInput) as refused:
        signing.device_enrol(
            user=signer, label="Máy", spki=key.spki, nonce=nonce, proof=key.sign(nonce)
        )
    assert refused.value.code == "bad_nonce"
    assert SigningDevice.objects.exists() is False


def test_a_nonce_given_to_another_person_is_refused(signer: User, chairman: User) -> None:
    key = BrowserKey(signer)
    nonce = bytes(signing.enrolment_challenge_create(user=chairman).nonce)
    with pytest.raises(InvalidInput) as refused:
        signing.device_enrol(
            user=signer, label="Máy", spki=key.spki, nonce=nonce, proof=key.sign(nonce)
        )
    assert refused.value.code == "bad_nonce"


@pytest.mark.parametrize(
    "make_spki",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()).public_key(),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
        lambda: None,
    ],
    ids=["p384", "rsa", "garbage"],
)
def test_keys_other_than_p256_are_refused(signer: User, make_spki: Any) -> None:
    public_key = make_spki()
    spki = (
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if public_key is not None
        else b"\x30\x03\x02\x01\x01"
    )
    nonce = bytes(signing.enrolment_challenge_create(user=signer).nonce)
    with pytest.raises(InvalidInput) as refused:
        signing.device_enrol(user=signer, label="Máy", spki=spki, nonce=nonce, proof=b"\x01" * 64)
    assert refused.value.code == "bad_public_key"


def test_the_same_key_cannot_be_enrolled_twice(signer: User) -> None:
    key = BrowserKey(signer)
    key.enrol()
    with pytest.raises(InvalidInput) as refused:
        key.enrol()
    assert refused.value.code == "key_enrolled"


def test_only_signers_may_enrol(drafter: User) -> None:
    with pytest.raises(PermissionDenied):
        signing.enrolment_challenge_create(user=drafter)
    with pytest.raises(PermissionDenied):
        BrowserKey(drafter).enrol()


# REVOCATION


def test_revoking_a_device_lists_it_in_a_new_crl(signer: User) -> None:
    # given an enrolled device
    device = BrowserKey(signer).enrol()
    number = CertificateAuthority.objects.get().crl_number
    assert int(device.serial, 16) not in crl_serials()
    # when its owner revokes it
    revoked = signing.device_revoke(device_id=device.pk, actor=signer)
    # then the CRL is re-issued at once and lists its serial
    assert revoked.revoked_at is not None and revoked.revoked_by == signer
    assert CertificateAuthority.objects.get().crl_number == number + 1
    assert int(device.serial, 16) in crl_serials()
    crl = x509.load_pem_x509_crl(signing.crl_pem().encode())
    root = x509.load_pem_x509_certificate(signing.trust_pem().encode())
    assert crl.is_signature_valid(root.public_key())


def test_an_administrator_may_revoke_anyones_device(signer: User, admin: User) -> None:
    device = BrowserKey(signer).enrol()
    assert signing.device_revoke(device_id=device.pk, actor=admin).revoked_by == admin


def test_someone_else_cannot_revoke_a_device_and_twice_is_refused(
    signer: User, chairman: User
) -> None:
    device = BrowserKey(signer).enrol()
    with pytest.raises(NotFound):
        signing.device_revoke(device_id=device.pk, actor=chairman)
    assert SigningDevice.objects.get(pk=device.pk).revoked_at is None
    signing.device_revoke(device_id=device.pk, actor=signer)
    with pytest.raises(StateError):
        signing.device_revoke(device_id=device.pk, actor=signer)


# SIGNATURE IMAGES


def test_a_transparent_png_is_stored_and_replaced(signer: User) -> None:
    first, second = png(), png(size=(200, 60))
    signing.signature_image_upload(user=signer, png=first)
    signing.signature_image_upload(user=signer, png=second)
    stored = signing.signature_image_get(user=signer)
    assert stored is not None and bytes(stored.png) == second
    assert len(stored.sha256) == 64


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png(mode="RGB"), "image_not_transparent"),
        (png(mode="RGB", fmt="JPEG"), "image_not_png"),
        (b"\x89PNG\r\n\x1a\n" + b"broken" * 10, "image_broken"),
        (png(size=(3001, 10)), "image_too_large"),
        (b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024), "image_too_large"),
    ],
    ids=["no-alpha", "jpeg", "broken", "too-wide", "over-1-mb"],
)
def test_signature_images_that_are_not_small_transparent_pngs_are_refused(
    signer: User, data: bytes, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        signing.signature_image_upload(user=signer, png=data)
    assert refused.value.code == code
    assert signing.signature_image_get(user=signer) is None


def test_a_grey_png_with_alpha_is_accepted(signer: User) -> None:
    signing.signature_image_upload(user=signer, png=png(mode="LA"))
    assert signing.signature_image_get(user=signer) is not None


# TRUST ROOTS


def test_an_imported_root_is_trusted_by_validation(
    admin: User, foreign_pki: Pki, plan_pdf: bytes
) -> None:
    # given a plan signed under another CA (no CRL distribution point, so no CRL is needed)
    from signing.pdf import LocalTimeStampAuthority, SignatureAppearance, pdf_sign
    from signing.providers import ServerKeyProvider

    now = datetime.now(UTC)
    key = ca_lib.key_generate_ec()
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=foreign_pki.root,
        public_key=key.public_key(),
        common_name="Trần Văn Bình",
        organisation="Ủy ban nhân dân tỉnh Bình Dương",
        now=now,
    )
    tsa = ca_lib.ca_issue_tsa(ca=foreign_pki.root, organisation="UBND tỉnh Bình Dương", now=now)
    signed = pdf_sign(
        plan_pdf,
        signer=ServerKeyProvider(
            certificate=certificate, private_key=key, chain=[foreign_pki.root.certificate]
        ),
        field_name="foreign",
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=SignatureAppearance("Trần Văn Bình", "Phó Chủ tịch", datetime.now(VIETNAM)),
        timestamper=LocalTimeStampAuthority(
            certificate=tsa.certificate,
            private_key=tsa.private_key,
            chain=[foreign_pki.root.certificate],
        ),
    )
    assert signing.pdf_verify(pdf=signed)[0].trusted is False
    # when an administrator imports that CA's root
    pem = foreign_pki.root.certificate.public_bytes(serialization.Encoding.PEM).decode()
    root = signing.trust_root_import(pem=pem, actor=admin)
    # then it is listed, offered to validation, and the signature is trusted
    assert "Bình Dương" in root.subject
    assert [c.subject for c in signing.trust_roots()][1:] == [foreign_pki.root.certificate.subject]
    report = signing.pdf_verify(pdf=signed)[0]
    assert report.trusted and report.bottom_line, report.summary


def test_importing_trust_roots_is_refused_unless_it_is_a_new_ca_by_an_administrator(
    admin: User, signer: User, foreign_pki: Pki
) -> None:
    ca_pem = foreign_pki.root.certificate.public_bytes(serialization.Encoding.PEM).decode()
    leaf_pem = foreign_pki.tsa.certificate.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(PermissionDenied):
        signing.trust_root_import(pem=ca_pem, actor=signer)
    with pytest.raises(InvalidInput) as not_ca:
        signing.trust_root_import(pem=leaf_pem, actor=admin)
    assert not_ca.value.code == "not_a_ca"
    with pytest.raises(InvalidInput) as garbage:
        signing.trust_root_import(pem="không phải PEM", actor=admin)
    assert garbage.value.code == "bad_certificate"
    with pytest.raises(StateError):
        signing.trust_root_import(pem=signing.trust_pem(), actor=admin)
    signing.trust_root_import(pem=ca_pem, actor=admin)
    with pytest.raises(StateError):
        signing.trust_root_import(pem=ca_pem, actor=admin)
    assert TrustRoot.objects.count() == 1


# THE API


def test_api_challenge_gives_a_fresh_32_byte_nonce_to_a_signer(signer: User) -> None:
    first = api(signer).post("/api/v1/signing/challenge/")
    second = api(signer).post("/api/v1/signing/challenge/")
    assert first.status_code == 201
    assert len(base64.b64decode(first.json()["nonce"])) == 32
    assert first.json()["nonce"] != second.json()["nonce"]
    assert datetime.fromisoformat(first.json()["expires_at"]) > timezone.now()


def test_api_enrol_list_and_revoke(signer: User, chairman: User) -> None:
    # given the signer's client with its own key
    client = api(signer)
    key = BrowserKey(signer, label="Chrome ở văn phòng")
    # when it enrols
    device = api_enrol(client, key)
    # then the device and its certificate come back, and only the owner lists it
    assert device["label"] == "Chrome ở văn phòng"
    assert device["revoked_at"] is None
    assert set(device) >= {"id", "label", "certificate_pem", "serial", "not_after", "revoked_at"}
    assert "BEGIN CERTIFICATE" in device["certificate_pem"]
    assert [d["id"] for d in client.get("/api/v1/signing/devices/").json()] == [device["id"]]
    assert api(chairman).get("/api/v1/signing/devices/").json() == []
    # and another person cannot revoke it, its owner can, once
    revoke = f"/api/v1/signing/devices/{device['id']}/revoke/"
    assert api(chairman).post(revoke).status_code == 404
    revoked = client.post(revoke)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = client.post(revoke)
    assert again.status_code == 409 and again.json()["error"] == "device_revoked"
    crl = APIClient().get("/api/v1/trust/crl/")
    serials = {e.serial_number for e in x509.load_pem_x509_crl(crl.content)}
    assert int(device["serial"], 16) in serials


def test_api_enrolment_refusals_are_clear(signer: User, drafter: User) -> None:
    client = api(signer)
    key, other = BrowserKey(signer), BrowserKey(signer)
    nonce_b64 = client.post("/api/v1/signing/challenge/").json()["nonce"]
    nonce = base64.b64decode(nonce_b64)
    body = {"label": "Máy", "spki": b64(key.spki), "nonce": nonce_b64}

    bad_proof = client.post(
        "/api/v1/signing/devices/", {**body, "proof": b64(other.sign(nonce))}, format="json"
    )
    assert bad_proof.status_code == 400
    assert bad_proof.json()["error"] == "bad_proof"
    assert "khóa" in bad_proof.json()["detail"]

    reused = client.post(
        "/api/v1/signing/devices/", {**body, "proof": b64(key.sign(nonce))}, format="json"
    )
    assert reused.status_code == 400 and reused.json()["error"] == "bad_nonce"

    not_base64 = client.post("/api/v1/signing/devices/", {**body, "proof": "@@@"}, format="json")
    assert not_base64.status_code == 400 and not_base64.json()["error"] == "bad_base64"

    missing = client.post("/api/v1/signing/devices/", {"label": "Máy"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"] == "missing_field"

    assert api(drafter).post("/api/v1/signing/challenge/").status_code == 403
    forbidden = api(drafter).post("/api/v1/signing/devices/", body, format="json")
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "not_a_signer"
    assert SigningDevice.objects.exists() is False


def test_api_accepts_a_der_proof_too(signer: User) -> None:
    client = api(signer)
    key = BrowserKey(signer)
    nonce_b64 = client.post("/api/v1/signing/challenge/").json()["nonce"]
    proof = key.private_key.sign(base64.b64decode(nonce_b64), ec.ECDSA(hashes.SHA256()))
    response = client.post(
        "/api/v1/signing/devices/",
        {"label": "Máy", "spki": b64(key.spki), "nonce": nonce_b64, "proof": b64(proof)},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_api_signature_image_upload_and_download(signer: User, chairman: User) -> None:
    client = api(signer)
    assert client.get("/api/v1/signing/signature-image/").status_code == 404
    image = png()
    saved = client.put(
        "/api/v1/signing/signature-image/",
        {"file": io.BytesIO(image)},
        format="multipart",
    )
    assert saved.status_code == 200 and saved.json() == {"ok": True}
    got = client.get("/api/v1/signing/signature-image/")
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert got.content == image
    assert api(chairman).get("/api/v1/signing/signature-image/").status_code == 404


def test_api_signature_image_refusals(signer: User) -> None:
    client = api(signer)
    jpeg = client.put(
        "/api/v1/signing/signature-image/",
        {"file": io.BytesIO(png(mode="RGB", fmt="JPEG"))},
        format="multipart",
    )
    assert jpeg.status_code == 400 and jpeg.json()["error"] == "image_not_png"
    opaque = client.put(
        "/api/v1/signing/signature-image/",
        {"file": io.BytesIO(png(mode="RGB"))},
        format="multipart",
    )
    assert opaque.status_code == 400 and "trong suốt" in opaque.json()["detail"]
    large = client.put(
        "/api/v1/signing/signature-image/",
        {"file": io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 + 1))},
        format="multipart",
    )
    assert large.status_code == 400 and large.json()["error"] == "image_too_large"
    missing = client.put("/api/v1/signing/signature-image/", {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["error"] == "missing_file"


def test_api_trust_roots(admin: User, signer: User, foreign_pki: Pki) -> None:
    pem = foreign_pki.root.certificate.public_bytes(serialization.Encoding.PEM).decode()
    forbidden = api(signer).post("/api/v1/signing/trust-roots/", {"pem": pem}, format="json")
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "staff_only"
    bad = api(admin).post("/api/v1/signing/trust-roots/", {"pem": "abc"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_certificate"
    created = api(admin).post("/api/v1/signing/trust-roots/", {"pem": pem}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "subject", "fingerprint_sha256"}
    assert len(body["fingerprint_sha256"]) == 64
    duplicate = api(admin).post("/api/v1/signing/trust-roots/", {"pem": pem}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "trust_root_exists"
    listed = api(signer).get("/api/v1/signing/trust-roots/")
    assert [r["id"] for r in listed.json()] == [body["id"]]
