"""Issuance (phát hành): number, date, seal and delivery; receipts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agencies.errors import PermissionDenied, StateError
from agencies.models import User
from agencies.selectors import user_list_of_units, user_list_with_role
from signing import services as signing

from ..content import PlanContent
from ..models import (
    NumberReservation,
    OutgoingRegister,
    Plan,
    PlanAccess,
    Receipt,
    sha256_hex,
)
from ..search import search_index_update
from ..selectors import issue_texts, version_pdf_anchors
from ..signals import plan_issued
from ..steps import STEPS_BY_CODE
from ..verification import plan_verify_url, public_address_check
from .base import (
    CHAIN_HEAD,
    Kind,
    Status,
    _acting_for,
    _lock,
    _notify,
    _record,
    _unit_of_work,
)


def _recipient_unit_ids(plan: Plan) -> list[int]:
    content = PlanContent.from_dict(plan.content)
    return sorted(set(content.recipients.unit_ids()))


@dataclass(frozen=True)
class PreparedIssue:
    """What `plan_issue_prepare` made outside any lock: the number held and the sealed PDF."""

    reservation_id: int
    number: int
    year: int
    issued_on: dt.date
    number_text: str
    date_text: str
    pdf: bytes


def plan_issue(*, plan: Plan, actor: User, issued_on: dt.date | None = None) -> Plan:
    """The clerk issues the signed plan: next number of the year's register, date, seal, delivery.

    Numbering without gaps or duplicates while the seal (the slow part) is made outside the
    register's lock, so that clerks issue in parallel:

    1. Checks, before any number is taken (a refused issuance takes none): the clerk, a signed
       plan, the public address printed in the PDF, and the leader's signature on the PDF.
    2. Reservation, in a short transaction holding the plan's row, then the register's: the
       register's next number is written down for this plan (NumberReservation). A plan that
       already holds one (its earlier attempt failed, or another clerk is issuing it) reuses it,
       with the date it was taken for.
    3. The seal is made, holding no lock and no transaction.
    4. Completion, in one transaction holding the plan's row: the plan takes the number, the
       date and the sealed PDF, is delivered, and the reservation is removed.

    If the seal fails (3), the number is given back when it is still the register's last one
    (no gap: the next issuance takes it again); otherwise the plan keeps it and the retry reuses
    it — until then it is the only number not yet issued, and it is this plan's. A number is
    never taken twice (unique per register among reservations and among issued plans), and a
    plan is issued once (completion checks the state under the row lock). The workflow runs 1-3
    before its own transaction (`TaskSpec.prepare`) and 4 inside it.
    """
    prepared = plan_issue_prepare(plan=plan, actor=actor, issued_on=issued_on)
    return plan_issue_complete(plan=plan, actor=actor, prepared=prepared)


def plan_issue_prepare(
    *, plan: Plan, actor: User, issued_on: dt.date | None = None
) -> PreparedIssue:
    """Steps 1-3 of `plan_issue`: check, hold the number, seal. Call outside any transaction."""
    plan = Plan.objects.select_related("issuer", "signed_version").get(pk=plan.pk)
    _ensure_issuer(plan, actor)
    public_address_check()  # before a number is taken: the PDF will print this address
    signed = bytes(plan.signed_pdf or b"")  # _ensure_issuer refused a plan without one
    signing.pdf_issue_check(pdf=signed)
    reservation = _number_reserve(plan, actor, issued_on or timezone.localdate())
    number, year = reservation.number, reservation.register.year
    texts = issue_texts(plan, number=number, issued_on=reservation.issued_on)
    number_text, date_text = texts.number_text, texts.date_text
    anchors = None
    if plan.signed_version is not None:
        anchors = version_pdf_anchors(version=plan.signed_version)
    try:
        sealed = signing.pdf_issue_with_seal(
            pdf=signed,
            unit=plan.issuer,
            number_text=texts.number_field,
            date_text=texts.date_field,
            verify_url=plan_verify_url(plan_id=plan.pk, number=number, year=year),
            anchors=anchors,
            leader_checked=True,
        )
    except BaseException:
        _number_give_back(reservation)
        raise
    return PreparedIssue(
        reservation_id=reservation.pk,
        number=number,
        year=year,
        issued_on=reservation.issued_on,
        number_text=number_text,
        date_text=date_text,
        pdf=sealed,
    )


def _ensure_issuer(plan: Plan, actor: User, *, record: bool = False) -> None:
    """A văn thư, or the stand-in of one who is away (`record`: the history says so)."""
    step = STEPS_BY_CODE["issue"]
    if not step.actor.qualifies(plan, actor):
        principal = step.actor.acting_for(plan, actor)
        if principal is None:
            raise PermissionDenied("Chỉ văn thư mới được phát hành văn bản.")
        if record:
            _acting_for(actor, principal)
    if plan.status != Status.SIGNED:
        raise StateError("Chỉ phát hành được văn bản đã được ký số.")
    if not plan.signed_pdf:
        raise StateError("Văn bản chưa có chữ ký số của người có thẩm quyền.")


def _number_reserve(plan: Plan, actor: User, issued_on: dt.date) -> NumberReservation:
    """Hold the register's next number for `plan` (or the one it already holds)."""
    with transaction.atomic():
        locked = _lock(plan)
        _ensure_issuer(locked, actor)
        held = NumberReservation.objects.select_related("register").filter(plan=locked).first()
        if held is not None:
            return held
        register, _ = OutgoingRegister.objects.select_for_update().get_or_create(
            issuer=locked.issuer, year=issued_on.year
        )
        register.last_number += 1
        register.save(update_fields=["last_number"])
        return NumberReservation.objects.create(
            register=register,
            number=register.last_number,
            plan=locked,
            issued_on=issued_on,
            reserved_by=actor,
        )


def _number_give_back(reservation: NumberReservation) -> None:
    """After a failed seal: give the number back if it is still the register's last one."""
    with transaction.atomic():
        _lock(reservation.plan)  # the plan's row first, as everywhere
        register = OutgoingRegister.objects.select_for_update().get(pk=reservation.register_id)
        still_held = NumberReservation.objects.filter(pk=reservation.pk).exists()
        if still_held and register.last_number == reservation.number:
            NumberReservation.objects.filter(pk=reservation.pk).delete()
            register.last_number -= 1
            register.save(update_fields=["last_number"])


@_unit_of_work
def plan_issue_complete(*, plan: Plan, actor: User, prepared: PreparedIssue) -> Plan:
    """Step 4 of `plan_issue`: the plan takes its number, date and sealed PDF, and is delivered."""
    plan = _lock(plan)
    _ensure_issuer(plan, actor, record=True)
    reservation = (
        NumberReservation.objects.select_for_update()
        .filter(pk=prepared.reservation_id, plan=plan)
        .first()
    )
    if reservation is None:
        raise StateError(
            "Số đã giữ cho văn bản này không còn; vui lòng phát hành lại.", code="number_lost"
        )
    plan.advance(Status.ISSUED)
    plan.number, plan.register_year = prepared.number, prepared.year
    plan.issued_on, plan.issued_at = prepared.issued_on, timezone.now()
    plan.issued_pdf, plan.issued_pdf_sha256 = prepared.pdf, sha256_hex(prepared.pdf)
    unit_ids = _recipient_unit_ids(plan)
    _record(
        plan,
        actor=actor,
        kind=Kind.ISSUED,
        from_status=Status.SIGNED,
        data={
            "number": prepared.number_text,
            "date": prepared.date_text,
            "recipients": len(unit_ids),
            "pdf_sha256": plan.issued_pdf_sha256,
        },
        save=False,
    )
    plan.save(
        update_fields=[
            "status",
            "number",
            "register_year",
            "issued_on",
            "issued_at",
            "issued_pdf",
            "issued_pdf_sha256",
            "updated_at",
            *CHAIN_HEAD,
        ]
    )
    reservation.delete()
    now = timezone.now()
    Receipt.objects.bulk_create([Receipt(plan=plan, unit_id=u, delivered_at=now) for u in unit_ids])
    PlanAccess.objects.bulk_create(
        [PlanAccess(plan=plan, unit_id=u, reason="recipient") for u in unit_ids],
        ignore_conflicts=True,
    )
    search_index_update(plan)
    plan_issued.send(sender=Plan, plan=plan, unit_ids=unit_ids)
    _notify(
        plan,
        user_list_of_units(unit_ids).values_list("pk", flat=True),
        kind="plan.issued",
        title=f"Văn bản đến: Kế hoạch {prepared.number_text.removeprefix('Số: ')}",
    )
    _notify(
        plan,
        [plan.drafter_id],
        kind="plan.issued",
        title=f"Kế hoạch đã được phát hành, {prepared.number_text}",
    )
    return plan


@_unit_of_work
def receipt_acknowledge(*, plan: Plan, actor: User) -> Receipt:
    """A user of a recipient unit acknowledges receipt of the issued plan."""
    plan = _lock(plan)
    if plan.status != Status.ISSUED:
        raise StateError("Văn bản chưa được phát hành.")
    if actor.unit_id is None:
        raise PermissionDenied("Tài khoản của bạn chưa thuộc đơn vị nào.")
    receipt = Receipt.objects.select_for_update().filter(plan=plan, unit_id=actor.unit_id).first()
    if receipt is None:
        raise PermissionDenied("Đơn vị của bạn không có trong danh sách nơi nhận.")
    if receipt.acknowledged_at is not None:
        raise StateError(
            f"Đơn vị đã xác nhận nhận văn bản lúc "
            f"{timezone.localtime(receipt.acknowledged_at):%H:%M %d/%m/%Y}."
        )
    receipt.acknowledged_by, receipt.acknowledged_at = actor, timezone.now()
    receipt.save(update_fields=["acknowledged_by", "acknowledged_at"])
    _record(
        plan,
        actor=actor,
        kind=Kind.RECEIPT_ACKNOWLEDGED,
        from_status=plan.status,
        data={"unit": receipt.unit.name},
    )
    clerks = list(user_list_with_role(User.Role.CLERK).values_list("pk", flat=True))
    _notify(
        plan,
        [plan.drafter_id, *clerks],
        kind="receipt.acknowledged",
        title=f"{receipt.unit.name} đã xác nhận nhận kế hoạch",
    )
    return receipt
