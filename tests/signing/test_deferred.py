"""Deferred signing: prepare on the server, sign in the "browser", finish on the server.

First the pure PDF steps (signing.pdf), then the plan's signature through the services, the
workflow task and the API: what binds the signature to the approved version, and what is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import User
from documents import selectors as document_selectors
from documents import services as documents
from documents.models import Plan
from signing import ca as ca_lib
from signing import services as signing
from signing.models import SigningSession
from signing.pdf import (
    LocalTimeStampAuthority,
    SignatureAppearance,
    pdf_finish_signature,
    pdf_prepare_signature,
    pdf_sign,
    pdf_validate,
)
from signing.providers import BrowserKeyProvider, HashSigningProvider, InvalidSignatureValue
from tests.helpers import complete, open_task, sign_data, walk_to_signature
from tests.signing.browser_key import BrowserKey, api_enrol, api_sign_data, raw_signature
from workflows import services as workflows

from .helpers import VIETNAM, Pki

FIELD = "signer_signature"


def signature_png() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 11) - 5), (20, 40, 200, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def widget_images(pdf: bytes, field: str = FIELD) -> list[Any]:
    """The image XObjects drawn by the appearance (/AP /N) of the signature widget `field`."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: list[Any] = []

    def walk(xobject: Any, depth: int = 0) -> None:
        resources = xobject.get("/Resources")
        if resources is None or depth > 6:
            return
        for child in (resources.get_object().get("/XObject") or {}).values():
            child = child.get_object()
            if child.get("/Subtype") == "/Image":
                found.append(child)
            elif child.get("/Subtype") == "/Form":
                walk(child, depth + 1)

    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/T") == field:
                walk(annot["/AP"]["/N"].get_object())
    return found


def has_signature_timestamp(pdf: bytes) -> bool:
    """True if the signature's CMS carries an RFC 3161 token as an unsigned attribute (B-T)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    field = reader.get_fields()[FIELD]
    contents = bytes(field["/V"]["/Contents"])
    signer_info = cms.ContentInfo.load(contents)["content"]["signer_infos"][0]
    return any(
        a["type"].native == "signature_time_stamp_token" for a in signer_info["unsigned_attrs"]
    )


def browser_certified(pki: Pki) -> tuple[ec.EllipticCurvePrivateKey, BrowserKeyProvider]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=pki.root,
        public_key=key.public_key(),
        common_name="Nguyễn Văn A",
        organisation="Ủy ban nhân dân tỉnh Đồng Nai",
        now=datetime.now(UTC),
    )
    return key, BrowserKeyProvider(certificate=certificate, chain=[pki.root.certificate])


def tsa_of(pki: Pki) -> LocalTimeStampAuthority:
    return LocalTimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.private_key,  # type: ignore[arg-type]
        chain=[pki.root.certificate],
    )


APPEARANCE = SignatureAppearance(
    signer_name="Nguyễn Văn A",
    position="Phó Chủ tịch",
    signed_at=datetime(2026, 11, 22, 10, 30, tzinfo=VIETNAM),
)


# THE PDF STEPS


def test_prepare_then_a_browser_signature_then_finish_validates_as_pades_b_t(
    plan_pdf: bytes, pki: Pki
) -> None:
    # given a browser key certified by our CA, and the person's signature image
    key, provider = browser_certified(pki)
    tsa = tsa_of(pki)
    # when the server prepares, the browser signs the DER attributes, the server finishes
    prepared = pdf_prepare_signature(
        plan_pdf,
        signer=provider,
        field_name=FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=APPEARANCE,
        timestamper=tsa,
        signature_png=signature_png(),
    )
    assert prepared.signed_attributes[0] == 0x31  # DER SET OF Attribute
    answer = raw_signature(key, provider.to_be_signed(prepared.signed_attributes))
    signed = pdf_finish_signature(
        prepared,
        signature_value=provider.signature_value(prepared.signed_attributes, answer),
        timestamper=tsa,
    )
    # then the signature is intact, trusted, time-stamped (B-T) and shows the image
    (report,) = pdf_validate(signed, trust_roots=[pki.root.certificate], crls=[pki.crl])
    assert report.bottom_line, report.summary
    assert report.summary.startswith("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>")
    assert report.timestamp_time is not None
    assert report.signer_name == "Nguyễn Văn A"
    assert has_signature_timestamp(signed)
    images = widget_images(signed)
    assert len(images) == 1 and images[0].get("/SMask") is not None  # transparent PNG


def test_without_an_image_the_appearance_is_text_only(plan_pdf: bytes, pki: Pki) -> None:
    key, provider = browser_certified(pki)
    tsa = tsa_of(pki)
    prepared = pdf_prepare_signature(
        plan_pdf,
        signer=provider,
        field_name=FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=APPEARANCE,
        timestamper=tsa,
    )
    signed = pdf_finish_signature(
        prepared,
        signature_value=provider.signature_value(
            prepared.signed_attributes, raw_signature(key, prepared.signed_attributes)
        ),
        timestamper=tsa,
    )
    assert widget_images(signed) == []
    assert pdf_validate(signed, trust_roots=[pki.root.certificate], crls=[pki.crl])[0].bottom_line


def test_finish_refuses_a_value_that_does_not_verify_and_a_corrupted_digest(
    plan_pdf: bytes, pki: Pki
) -> None:
    key, provider = browser_certified(pki)
    tsa = tsa_of(pki)
    prepared = pdf_prepare_signature(
        plan_pdf,
        signer=provider,
        field_name=FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=APPEARANCE,
        timestamper=tsa,
    )
    other = ec.generate_private_key(ec.SECP256R1())
    wrong = other.sign(prepared.signed_attributes, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignatureValue):
        pdf_finish_signature(prepared, signature_value=wrong, timestamper=tsa)
    good = provider.signature_value(
        prepared.signed_attributes, raw_signature(key, prepared.signed_attributes)
    )
    corrupted = replace(prepared, document_digest=bytes(32))
    with pytest.raises(StateError):
        pdf_finish_signature(corrupted, signature_value=good, timestamper=tsa)


def test_a_hash_signing_provider_fits_the_same_steps(plan_pdf: bytes, pki: Pki) -> None:
    # given a "remote service" that only ever sees SHA-256 digests
    key, browser = browser_certified(pki)
    digests: list[bytes] = []

    def sign_digest(digest: bytes) -> bytes:
        digests.append(digest)
        return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    provider = HashSigningProvider(
        certificate=browser.certificate, chain=browser.chain, sign_digest=sign_digest
    )
    # when the plan is signed with it
    signed = pdf_sign(
        plan_pdf,
        signer=provider,
        field_name=FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=APPEARANCE,
        timestamper=tsa_of(pki),
    )
    # then it validated like any other signature, and the service saw one 32-byte digest
    (report,) = pdf_validate(signed, trust_roots=[pki.root.certificate], crls=[pki.crl])
    assert report.bottom_line, report.summary
    assert [len(d) for d in digests] == [32]


# THE PLAN'S SIGNATURE


@pytest.fixture
def plan_to_sign(signer: User, make_content: Any) -> Plan:
    return walk_to_signature(content=make_content(signer=signer))


@pytest.fixture
def key(signer: User) -> BrowserKey:
    key = BrowserKey(signer)
    key.enrol()
    return key


def prepare(plan: Plan, user: User, key: BrowserKey) -> signing.PendingSignature:
    assert key.device is not None
    return workflows.plan_sign_prepare(plan=plan, actor=user, device_id=key.device.pk)


def answer(pending: signing.PendingSignature, key: BrowserKey) -> dict[str, str]:
    return {
        "session_id": str(pending.session.id),
        "signature": base64.b64encode(key.sign(pending.to_be_signed)).decode(),
    }


def unchanged(plan: Plan, events: int) -> None:
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert not plan.signed_pdf and plan.signed_version_id is None
    assert plan.events.count() == events


@pytest.mark.django_db
def test_the_signer_signs_the_approved_version_with_their_browser_key(
    plan_to_sign: Plan, signer: User, key: BrowserKey
) -> None:
    # given the signer's uploaded signature image
    signing.signature_image_upload(user=signer, png=signature_png())
    events = plan_to_sign.events.count()
    # when the server prepares the signature
    pending = prepare(plan_to_sign, signer, key)
    # then nothing of the plan changed yet, and the session binds the latest version
    unchanged(plan_to_sign, events)
    version = document_selectors.latest_version(plan_to_sign)
    assert (pending.session.version_id, pending.session.content_sha256) == (
        version.pk,
        version.content_sha256,
    )
    assert pending.algorithm == "ECDSA-P256-SHA256"
    assert pending.session.expires_at - pending.session.created_at == dt.timedelta(minutes=10)
    # when the browser signs and the task is completed with its answer
    plan = complete(signer, plan_to_sign, "sign", "sign", data=answer(pending, key))
    # then the plan is signed, the PDF validates with a time-stamp, and shows the image
    assert plan.status == Plan.Status.SIGNED
    assert plan.signed_version_id == version.pk
    pdf = bytes(plan.signed_pdf)
    report = next(r for r in signing.pdf_verify(pdf=pdf) if r.field_name == FIELD)
    assert report.bottom_line, report.summary
    assert report.signer_name == "Nguyễn Sơn Hùng"
    assert report.timestamp_time is not None
    assert report.certificate_serial == key.device.serial
    assert len(widget_images(pdf)) == 1
    assert {"doc_number", "issue_date"} <= set(pypdf.PdfReader(io.BytesIO(pdf)).get_fields())
    event = plan.events.order_by("-sequence").first()
    assert event.kind == "signed"
    assert event.data["certificate_serial"] == key.device.serial
    assert SigningSession.objects.get(pk=pending.session.pk).used_at is not None


@pytest.mark.django_db
def test_a_der_signature_is_accepted_too(plan_to_sign: Plan, signer: User, key: BrowserKey) -> None:
    pending = prepare(plan_to_sign, signer, key)
    der = key.private_key.sign(pending.to_be_signed, ec.ECDSA(hashes.SHA256()))
    plan = documents.plan_sign(
        plan=plan_to_sign, actor=signer, session_id=pending.session.id, signature=der
    )
    assert plan.status == Plan.Status.SIGNED


@pytest.mark.django_db
def test_a_version_changed_between_prepare_and_finish_is_refused(
    plan_to_sign: Plan, signer: User, drafter: User, key: BrowserKey, make_content: Any
) -> None:
    # given a signature prepared on version n
    pending = prepare(plan_to_sign, signer, key)
    prepared_on = pending.session.version_number
    # and the plan then returned, changed and resubmitted as version n+1
    plan = complete(signer, plan_to_sign, "sign", "return", comment="Bổ sung kinh phí.")
    changed = make_content(signer=signer, closing="Trên đây là Kế hoạch đã được bổ sung.")
    plan = complete(drafter, plan, "revise_sign", "resubmit", data={"content": changed})
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    events = plan.events.count()
    # when the old session is finished
    with pytest.raises(StateError) as refused:
        complete(signer, plan, "sign", "sign", data=answer(pending, key))
    # then it is refused, clearly, and nothing changed
    assert refused.value.code == "version_changed"
    assert f"phiên bản {prepared_on}" in refused.value.message
    assert "đã thay đổi" in refused.value.message
    unchanged(plan, events)
    assert open_task(signer, plan, "sign")
    # and signing the new version works
    assert complete(signer, plan, "sign", "sign").status == Plan.Status.SIGNED


@pytest.mark.django_db
def test_a_signature_made_in_between_refuses_the_other_session(
    plan_to_sign: Plan, signer: User, key: BrowserKey
) -> None:
    # given two sessions prepared for the same version, from two devices
    other = BrowserKey(signer, label="Máy thứ hai")
    other.enrol()
    first, second = prepare(plan_to_sign, signer, key), prepare(plan_to_sign, signer, other)
    # when the first is finished
    plan = documents.plan_sign(
        plan=plan_to_sign,
        actor=signer,
        session_id=first.session.id,
        signature=key.sign(first.to_be_signed),
    )
    signed = bytes(plan.signed_pdf)
    # then the second is refused and the first signature stays
    with pytest.raises(StateError) as refused:
        documents.plan_sign(
            plan=plan,
            actor=signer,
            session_id=second.session.id,
            signature=other.sign(second.to_be_signed),
        )
    assert refused.value.code == "already_signed"
    assert "đã có chữ ký khác" in refused.value.message
    plan.refresh_from_db()
    assert bytes(plan.signed_pdf) == signed
    assert plan.events.filter(kind="signed").count() == 1


@pytest.mark.django_db
def test_a_revoked_device_cannot_sign(plan_to_sign: Plan, signer: User, key: BrowserKey) -> None:
    # given a prepared signature
    pending = prepare(plan_to_sign, signer, key)
    events = plan_to_sign.events.count()
    # when the device is revoked before the signature is finished
    signing.device_revoke(device_id=key.device.pk, actor=signer)
    # then finishing is refused, and so is preparing again with it
    with pytest.raises(PermissionDenied) as refused:
        complete(signer, plan_to_sign, "sign", "sign", data=answer(pending, key))
    assert refused.value.code == "device_revoked"
    unchanged(plan_to_sign, events)
    with pytest.raises(PermissionDenied):
        prepare(plan_to_sign, signer, key)
    assert SigningSession.objects.get(pk=pending.session.pk).used_at is None


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_the_session_can_be_retried(
    plan_to_sign: Plan, signer: User, key: BrowserKey
) -> None:
    pending = prepare(plan_to_sign, signer, key)
    events = plan_to_sign.events.count()
    impostor = BrowserKey(signer)
    for bad in (impostor.sign(pending.to_be_signed), b"\x01" * 63):
        with pytest.raises(InvalidInput) as refused:
            documents.plan_sign(
                plan=plan_to_sign, actor=signer, session_id=pending.session.id, signature=bad
            )
        assert refused.value.code == "bad_signature"
    unchanged(plan_to_sign, events)
    plan = complete(signer, plan_to_sign, "sign", "sign", data=answer(pending, key))
    assert plan.status == Plan.Status.SIGNED


@pytest.mark.django_db
def test_expired_used_unknown_and_foreign_sessions_are_refused(
    plan_to_sign: Plan, signer: User, chairman: User, drafter: User, key: BrowserKey
) -> None:
    pending = prepare(plan_to_sign, signer, key)
    signature = key.sign(pending.to_be_signed)

    def sign(**kwargs: Any) -> Plan:
        arguments = {"session_id": pending.session.id, "signature": signature, **kwargs}
        return documents.plan_sign(plan=plan_to_sign, actor=signer, **arguments)

    with pytest.raises(InvalidInput) as missing:
        sign(session_id=None)
    assert missing.value.code == "signature_missing"
    with pytest.raises(InvalidInput):
        sign(session_id="not-a-uuid")
    with pytest.raises(NotFound):
        sign(session_id="00000000-0000-0000-0000-000000000000")
    # a session of another plan
    other_plan = documents.plan_create(actor=drafter, content=plan_to_sign.content)
    Plan.objects.filter(pk=other_plan.pk).update(status=Plan.Status.AWAITING_SIGNATURE)
    with pytest.raises(InvalidInput) as mismatch:
        documents.plan_sign(
            plan=other_plan, actor=signer, session_id=pending.session.id, signature=signature
        )
    assert mismatch.value.code == "session_mismatch"
    # someone else's session (the Chủ tịch is not this plan's signer)
    with pytest.raises(PermissionDenied):
        documents.plan_sign(
            plan=plan_to_sign, actor=chairman, session_id=pending.session.id, signature=signature
        )
    # expired
    SigningSession.objects.filter(pk=pending.session.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(StateError) as expired:
        sign()
    assert expired.value.code == "session_expired"
    # used
    SigningSession.objects.filter(pk=pending.session.pk).update(
        expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    sign()
    with pytest.raises(StateError) as used:
        sign()
    assert used.value.code == "session_used"


@pytest.mark.django_db
def test_only_the_designated_signer_with_an_open_task_may_prepare(
    plan_to_sign: Plan, signer: User, chairman: User, drafter: User, key: BrowserKey
) -> None:
    # the Chủ tịch is a signer too, but not this plan's
    chairman_key = BrowserKey(chairman)
    chairman_key.enrol()
    with pytest.raises(PermissionDenied):
        prepare(plan_to_sign, chairman, chairman_key)
    with pytest.raises(PermissionDenied):
        documents.plan_sign_prepare(
            plan=plan_to_sign, actor=chairman, device_id=chairman_key.device.pk
        )
    with pytest.raises(PermissionDenied):
        workflows.plan_sign_prepare(plan=plan_to_sign, actor=drafter, device_id=key.device.pk)
    # the signer cannot use someone else's device
    with pytest.raises(NotFound):
        prepare(plan_to_sign, signer, chairman_key)
    # once signed, there is no sign task left to prepare for
    complete(
        signer, plan_to_sign, "sign", "sign", data=answer(prepare(plan_to_sign, signer, key), key)
    )
    with pytest.raises(StateError) as no_task:
        prepare(plan_to_sign, signer, key)
    assert no_task.value.code == "no_sign_task"
    with pytest.raises(StateError):
        documents.plan_sign_prepare(plan=plan_to_sign, actor=signer, device_id=key.device.pk)
    assert SigningSession.objects.filter(user=chairman).exists() is False


# THE API


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_api_prepare_and_complete(plan_to_sign: Plan, signer: User, drafter: User) -> None:
    client = api(signer)
    key = BrowserKey(signer)
    device = api_enrol(client, key)
    url = f"/api/v1/documents/{plan_to_sign.pk}/sign/prepare/"

    # refusals of prepare
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400 and missing.json()["error"] == "missing_device"
    unknown = client.post(url, {"device_id": 987654}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"] == "device_not_found"
    not_signer = api(drafter).post(url, {"device_id": device["id"]}, format="json")
    assert not_signer.status_code == 403 and not_signer.json()["error"] == "not_the_signer"
    assert (
        client.post("/api/v1/documents/999999/sign/prepare/", {"device_id": 1}).status_code == 404
    )

    # prepare
    response = client.post(url, {"device_id": device["id"]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "session_id",
        "to_be_signed",
        "algorithm",
        "version",
        "content_sha256",
        "expires_at",
    }
    assert body["algorithm"] == "ECDSA-P256-SHA256"
    assert base64.b64decode(body["to_be_signed"])[0] == 0x31
    version = document_selectors.latest_version(plan_to_sign)
    assert (body["version"], body["content_sha256"]) == (version.number, version.content_sha256)

    # complete with a bad signature, then with the browser's answer
    task = open_task(signer, plan_to_sign, "sign")
    complete_url = f"/api/v1/tasks/{task.pk}/complete/"
    bad = client.post(
        complete_url,
        {
            "action": "sign",
            "data": {
                "session_id": body["session_id"],
                "signature": base64.b64encode(bytes(64)).decode(),
            },
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"] == "bad_signature"
    assert "Chữ ký số không hợp lệ" in bad.json()["detail"]
    no_data = client.post(complete_url, {"action": "sign"}, format="json")
    assert no_data.status_code == 400 and no_data.json()["error"] == "signature_missing"
    signature = key.sign(base64.b64decode(body["to_be_signed"]))
    done = client.post(
        complete_url,
        {
            "action": "sign",
            "data": {
                "session_id": body["session_id"],
                "signature": base64.b64encode(signature).decode(),
            },
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["plan"]["status"] == "signed"

    # and no second signature can be prepared
    again = client.post(url, {"device_id": device["id"]}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "no_sign_task"


@pytest.mark.django_db
def test_api_refuses_a_revoked_device_and_a_changed_version(
    plan_to_sign: Plan, signer: User, drafter: User, make_content: Any
) -> None:
    client = api(signer)
    key = BrowserKey(signer)
    device = api_enrol(client, key)
    data = api_sign_data(client, plan_to_sign.pk, key, device["id"])
    client.post(f"/api/v1/signing/devices/{device['id']}/revoke/")
    task = open_task(signer, plan_to_sign, "sign")
    revoked = client.post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "sign", "data": data}, format="json"
    )
    assert revoked.status_code == 403 and revoked.json()["error"] == "device_revoked"

    # a new device; the plan is returned and changed after the signature was prepared
    other = BrowserKey(signer)
    device = api_enrol(client, other)
    data = api_sign_data(client, plan_to_sign.pk, other, device["id"])
    plan = complete(signer, plan_to_sign, "sign", "return", comment="Sửa mục II.")
    complete(
        drafter,
        plan,
        "revise_sign",
        "resubmit",
        data={"content": make_content(signer=signer, closing="Đã sửa mục II.")},
    )
    task = open_task(signer, plan, "sign")
    stale = client.post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "sign", "data": data}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["error"] == "version_changed"
    assert "đã thay đổi" in stale.json()["detail"]


@pytest.mark.django_db
def test_the_walk_helper_signs_like_a_browser(plan_to_sign: Plan, signer: User) -> None:
    data = sign_data(signer, plan_to_sign)
    assert set(data) == {"session_id", "signature"}
    assert len(base64.b64decode(data["signature"])) == 64
