"""The signature: prepare the approved version for the signer's device, then sign it."""

from __future__ import annotations

from typing import Any

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import User
from agencies.validation import clean_comment
from signing import services as signing

from ..models import (
    Plan,
    PlanVersion,
    RenderedPdf,
    canonical_json,
    sha256_hex,
)
from ..selectors import (
    version_pdf,
    version_pdf_anchors,
    version_position_line,
    version_rendered,
)
from ..steps import next_step
from .base import (
    Kind,
    Status,
    _arrive,
    _lock,
    _notify,
    _unit_of_work,
    latest_version,
)

# ---------------------------------------------------------------------------------------------
# Signature and issuance


def plan_prepare_signature(*, plan: Plan) -> None:
    """Render the version to sign before the signing transaction, so no lock waits on LibreOffice."""
    version = latest_version(plan)
    if version is not None:
        version_pdf(version=version)


def _ensure_designated_signer(plan: Plan, actor: User) -> None:
    if actor.pk != plan.signer_id or actor.role != User.Role.SIGNER:
        raise PermissionDenied(
            "Chỉ người ký được chỉ định mới được ký văn bản này.", code="not_the_signer"
        )


ALREADY_SIGNED = (
    "Văn bản đã có chữ ký khác được thực hiện sau khi bạn chuẩn bị ký, nên chữ ký này không được "
    "ghi nhận. Vui lòng tải lại văn bản."
)


def _version_changed(prepared_number: int, current: PlanVersion | None) -> StateError:
    now = f"phiên bản {current.number}" if current is not None else "không còn phiên bản nào"
    return StateError(
        f"Phiên bản văn bản đã thay đổi sau khi bạn chuẩn bị ký (đã chuẩn bị trên phiên bản "
        f"{prepared_number}, hiện tại là {now}). Vui lòng xem lại văn bản và ký lại.",
        code="version_changed",
    )


def plan_sign_prepare(*, plan: Plan, actor: User, device_id: int) -> signing.PendingSignature:
    """Step 1 of the signature: prepare the latest version's PDF for `actor`'s device.

    Only the designated signer, while the plan awaits signature (the workflow's "sign" task is
    open exactly then; `workflows.services.plan_sign_prepare` also checks the task). The version's
    PDF is rendered (cached), the issue fields are added and the signature prepared with the
    signer's image between the position line and the name (`signing.signing_session_prepare`).
    Nothing of the plan changes; the session binds the version, its content hash and the hash of
    the PDF it was prepared on. No lock is held while rendering.
    """
    plan = Plan.objects.select_related("signer").get(pk=plan.pk)
    _ensure_designated_signer(plan, actor)
    if plan.signed_pdf:
        raise StateError("Văn bản đã được ký.", code="already_signed")
    if plan.status != Status.AWAITING_SIGNATURE:
        raise StateError(
            f"Văn bản không ở bước chờ ký (trạng thái hiện tại: “{plan.get_status_display()}”).",
            code="not_awaiting_signature",
        )
    version = latest_version(plan)
    if version is None or version.content_sha256 != sha256_hex(canonical_json(plan.content)):
        raise StateError(
            "Nội dung đã thay đổi so với phiên bản được trình ký.", code="version_changed"
        )
    rendered = version_rendered(version)  # as stored, so that its hash is the stored one
    return signing.signing_session_prepare(
        user=actor,
        device_id=device_id,
        pdf=bytes(rendered.pdf),
        anchors=version_pdf_anchors(version=version, rendered=rendered),
        position_line=version_position_line(version),
        document_id=plan.pk,
        version_id=version.pk,
        version_number=version.number,
        content_sha256=version.content_sha256,
    )


@_unit_of_work
def plan_sign(
    *,
    plan: Plan,
    actor: User,
    session_id: Any = None,
    signature: bytes | None = None,
    comment: str = "",
) -> Plan:
    """Step 2: the Chủ tịch or the Phó Chủ tịch in charge signs the version they approved.

    `session_id` names what `plan_sign_prepare` prepared; `signature` is the device's answer
    over its `to_be_signed` (ECDSA r‖s or DER). Under the plan's lock: the session must be the
    actor's, for this plan, unused and unexpired; the plan must have no signature yet and still
    await signature; the prepared version must still be the latest with the same content, and the
    PDF it was prepared on unchanged; the device must be usable and the signature must verify.
    Then the PDF is completed (PAdES B-T, time-stamped by the system TSA) and stored.

    Raises `PermissionDenied` (not the signer, revoked device), `InvalidInput` (no session or
    signature, a session of another plan, a bad signature), `NotFound` (unknown session) or
    `StateError` (already signed by another session, version changed, wrong state, session used or
    expired); nothing changes then.
    """
    plan = _lock(plan)
    _ensure_designated_signer(plan, actor)
    if not session_id or not signature:
        raise InvalidInput(
            "Thiếu phiên ký (session_id) hoặc chữ ký số (signature): hãy ký bằng thiết bị ký đã "
            "đăng ký.",
            code="signature_missing",
        )
    session = signing.signing_session_get(session_id=session_id, user=actor)
    if session.document_id != plan.pk:
        raise InvalidInput("Phiên ký này không thuộc văn bản này.", code="session_mismatch")
    if plan.signed_pdf:
        raise StateError(ALREADY_SIGNED, code="already_signed")
    if plan.status != Status.AWAITING_SIGNATURE:
        raise StateError(
            f"Văn bản không ở bước chờ ký (trạng thái hiện tại: “{plan.get_status_display()}”).",
            code="not_awaiting_signature",
        )
    version = latest_version(plan)
    if (
        version is None
        or version.pk != session.version_id
        or version.content_sha256 != session.content_sha256
        or version.content_sha256 != sha256_hex(canonical_json(plan.content))
    ):
        raise _version_changed(session.version_number, version)
    rendered = RenderedPdf.objects.filter(version=version).values_list("sha256", flat=True).first()
    if rendered != session.base_pdf_sha256:
        raise StateError(ALREADY_SIGNED, code="already_signed")
    signed = signing.signing_session_finish(session=session, signature=signature)
    plan.signed_version = version
    plan.signed_pdf = signed
    plan.signed_pdf_sha256 = sha256_hex(signed)
    _arrive(
        plan,
        next_step(plan, after="signature"),
        actor=actor,
        kind=Kind.SIGNED,
        from_status=Status.AWAITING_SIGNATURE,
        comment=clean_comment(comment),
        data={
            "version": version.number,
            "pdf_sha256": plan.signed_pdf_sha256,
            "device": session.device.label,
            "certificate_serial": session.device.serial,
        },
        fields=["signed_version", "signed_pdf", "signed_pdf_sha256"],
        notice=f"{actor.display_name} đã ký kế hoạch: chờ cấp số và phát hành",
    )
    _notify(
        plan, [plan.drafter_id], kind="plan.signed", title=f"{actor.display_name} đã ký kế hoạch"
    )
    return plan
