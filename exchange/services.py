"""The document exchange's actions (edXML, QCVN 102:2016/BTTTT).

Sending: issuing a plan to an external unit (`on_plan_issued`, inside the issuance's
transaction) builds one document package per external recipient and keeps it in the outbox;
after commit it is sent (a background thread), and the timer dispatcher
(`outbox_send_due`, run by `manage.py run_timers`) retries what is not acknowledged yet, with
backoff. A peer that refuses a package for good (broken, unknown recipient) gets no retry and
the refusal is recorded as status 02.

Receiving (`inbox_receive`, the endpoint `POST /api/v1/exchange/inbox/`): the peer is
authenticated by its shared secret; a document package is checked (structure, attachment
digest, the PDF's signatures), registered in the recipient unit's incoming register with its
arrival number, and answered with status messages 01 (đã đến) and 03 (đã tiếp nhận); a package
already registered (same sender, same DocumentId) is refused as a duplicate and nothing is
registered again. A status package about a document sent from here is recorded in its receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import Unit, User
from agencies.selectors import user_list_with_role
from documents import services as documents
from documents.content import PlanContent
from documents.models import IncomingDocument, Plan, Receipt
from documents.selectors import plan_number_text
from documents.types import TYPES_BY_ABBREVIATION
from notifications.links import link
from notifications.services import notify_on_commit

from . import edxml
from .models import (
    STATUS_ACCEPTED,
    STATUS_ASSIGNED,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_LABELS,
    STATUS_RECEIVED,
    STATUS_REJECTED,
    IncomingPackage,
    OutgoingPackage,
    Peer,
    StatusMessage,
)
from .transports import (
    HttpTransport,
    NationalAxisTransport,
    Refused,
    Transport,
    TransportError,
    request_signature,
)

logger = logging.getLogger(__name__)

#: Statuses a recipient's user reports after registration (04 phân công … 06 hoàn thành).
USER_STATUSES = (STATUS_ASSIGNED, STATUS_IN_PROGRESS, STATUS_DONE)
EXCHANGE_USERNAME = "truc-lien-thong"


def system_id() -> str:
    """This installation's identifier toward its peers."""
    if settings.EXCHANGE_SYSTEM_ID:
        return str(settings.EXCHANGE_SYSTEM_ID)
    from documents.verification import instance_id

    return f"kehoach-{instance_id()[:16]}"


# ---------------------------------------------------------------------------------------------
# Sending: building and keeping document packages


def on_plan_issued(sender: Any, *, plan: Plan, unit_ids: list[int], **kwargs: Any) -> None:
    """documents.signals.plan_issued: one package per external recipient, same transaction."""
    outgoing_enqueue_for_plan(plan=plan, unit_ids=unit_ids)


def outgoing_enqueue_for_plan(*, plan: Plan, unit_ids: Iterable[int]) -> list[OutgoingPackage]:
    """Build and keep a document package for each external recipient of the issued `plan`
    (a unit with an exchange identifier, not a user of this system); sent after commit."""
    external = list(
        Unit.objects.filter(pk__in=list(unit_ids), is_internal=False)
        .exclude(exchange_code="")
        .order_by("pk")
    )
    if not external:
        return []
    receipts = {r.unit_id: r for r in Receipt.objects.filter(plan=plan)}
    now = timezone.now()
    packages = []
    for unit in external:
        document_id = str(uuid.uuid4())
        package = document_package_for(plan=plan, unit=unit, document_id=document_id, now=now)
        packages.append(
            OutgoingPackage.objects.create(
                message_id=document_id,
                kind=OutgoingPackage.Kind.DOCUMENT,
                peer=_route(unit),
                plan=plan,
                receipt=receipts.get(unit.pk),
                unit=unit,
                xml=edxml.build_document(package),
                next_try=now,
            )
        )
    _send_after_commit([p.pk for p in packages])
    return packages


def document_package_for(
    *, plan: Plan, unit: Unit, document_id: str, now: dt.datetime
) -> edxml.DocumentPackage:
    """The edXML message header, trace and signed PDF of the issued `plan` for `unit`."""
    content = PlanContent.from_dict(plan.content)
    number_text = plan_number_text(plan).removeprefix("Số:").strip()  # "01/KH-UBND"
    number, _, notation = number_text.partition("/")
    kind = TYPES_BY_ABBREVIATION.get(plan.doc_type)
    signature = content.signature
    # "KT. CHỦ TỊCH" (a deputy), "TM. ỦY BAN NHÂN DÂN" (the collective): the line above the title
    heads = signature.lines()[:-1] if signature.position else signature.lines()
    competence = heads[-1] if heads else signature.authority
    pdf = bytes(plan.issued_pdf or b"")
    issuer = plan.issuer
    dues = sorted(d.due_date for d in content.reporting_deadlines if d.due_date)
    recipients = [u.name for u in content.recipients.units] + list(content.recipients.lines)
    assert plan.issued_on is not None  # issued
    return edxml.DocumentPackage(
        document_id=document_id,
        sender=edxml.Organ(code=issuer.exchange_code, name=issuer.name),
        recipients=(edxml.Organ(code=unit.exchange_code, name=unit.name),),
        code_number=number,
        code_notation=notation,
        place=content.place or settings.PROVINCE_NAME,
        promulgation_date=plan.issued_on,
        type_code="1",
        type_name=str(kind.label) if kind else plan.doc_type,
        subject=plan.title,
        signer=edxml.Signer(
            competence=competence,
            position=signature.position,
            full_name=signature.signer_name,
        ),
        attachments=(
            edxml.Attachment(
                content_id="1",
                name=f"{number_text.replace('/', '-') or plan.pk}.pdf",
                content_type="application/pdf",
                data=pdf,
                description="Văn bản đã ký số",
            ),
        ),
        to_places=tuple(recipients),
        priority=edxml.PRIORITIES.get(content.urgency.strip().lower(), "0"),
        due_date=_date_or_none(dues[0]) if dues else None,
        steering_type="0",
        page_amount=_page_count(pdf),
        traces=(edxml.Trace(organ_code=issuer.exchange_code, timestamp=now),),
    )


def _date_or_none(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception:  # a count in a header is no reason to hold a delivery
        return 0


def _route(unit: Unit | None) -> Peer | None:
    if unit is None:
        return None
    return Peer.objects.filter(units=unit, is_active=True).order_by("pk").first()


# ---------------------------------------------------------------------------------------------
# Sending: the outbox


def _send_after_commit(package_ids: list[int]) -> None:
    """Once the caller commits, send these packages in a background thread (the request that
    issued does not wait for the peer); the timer dispatcher retries whatever is left."""
    if not package_ids or not settings.EXCHANGE_SEND_ON_COMMIT:
        return

    def start() -> None:
        threading.Thread(target=_send_in_thread, args=(package_ids,), daemon=True).start()

    transaction.on_commit(start)


def _send_in_thread(package_ids: list[int]) -> None:
    try:
        outbox_send(package_ids)
    except Exception:
        logger.exception("exchange: sending packages %s failed", package_ids)
    finally:
        connections.close_all()


def outbox_send_due(*, now: dt.datetime | None = None, limit: int = 50) -> int:
    """One sweep of the outbox (the timer dispatcher): send what is due; returns how many
    packages were acknowledged."""
    now = now or timezone.now()
    due = list(
        OutgoingPackage.objects.filter(state=OutgoingPackage.State.PENDING, next_try__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return outbox_send(due, now=now)


def outbox_send(package_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    delivered = 0
    for package_id in package_ids:
        if _deliver(package_id, now=now):
            delivered += 1
    return delivered


def _backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, 2 min … at most an hour between tries."""
    return dt.timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


def _claim(package_id: int, now: dt.datetime) -> OutgoingPackage | None:
    """Take the package for one try, or None when it is not due or another sender has it: a
    compare-and-set on `next_try` moves it past the try's time-out (works on every database,
    with several dispatchers)."""
    package = OutgoingPackage.objects.filter(
        pk=package_id, state=OutgoingPackage.State.PENDING
    ).first()
    if package is None or package.next_try is None or package.next_try > now:
        return None
    lease = now + dt.timedelta(seconds=settings.EXCHANGE_HTTP_TIMEOUT + 30)
    taken = OutgoingPackage.objects.filter(
        pk=package_id, state=OutgoingPackage.State.PENDING, next_try=package.next_try
    ).update(next_try=lease, attempts=package.attempts + 1)
    if not taken:
        return None
    package.attempts += 1
    package.next_try = lease
    return package


def transport_for(peer: Peer) -> Transport:
    if peer.transport == Peer.Transport.NATIONAL_AXIS:
        return NationalAxisTransport()
    return HttpTransport(
        base_url=peer.base_url,
        secret=peer.secret,
        own_code=system_id(),
        timeout=settings.EXCHANGE_HTTP_TIMEOUT,
    )


def _deliver(package_id: int, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    package = _claim(package_id, now)
    if package is None:
        return False
    peer = package.peer or _route(package.unit)
    if peer is None or not peer.is_active:
        _retry_later(package, "Chưa cấu hình hệ thống liên thông nào cho đơn vị nhận.")
        return False
    if package.peer_id is None:
        package.peer = peer
        package.save(update_fields=["peer"])
    try:
        transport_for(peer).send(xml=bytes(package.xml))
    except Refused as refusal:
        _refused(package, refusal.detail)
        return False
    except TransportError as error:
        _retry_later(package, str(error))
        return False
    OutgoingPackage.objects.filter(pk=package.pk).update(
        state=OutgoingPackage.State.DELIVERED, delivered_at=timezone.now(), last_error=""
    )
    return True


def _retry_later(package: OutgoingPackage, error: str) -> None:
    logger.warning("exchange: package %s not delivered: %s", package.message_id, error)
    OutgoingPackage.objects.filter(pk=package.pk).update(
        next_try=timezone.now() + _backoff(package.attempts), last_error=error[:2000]
    )


@transaction.atomic
def _refused(package: OutgoingPackage, detail: str) -> None:
    OutgoingPackage.objects.filter(pk=package.pk).update(
        state=OutgoingPackage.State.REFUSED, next_try=None, last_error=detail[:2000]
    )
    if package.kind == OutgoingPackage.Kind.DOCUMENT:
        _status_record(
            package=package,
            code=STATUS_REJECTED,
            description=detail,
            timestamp=timezone.now(),
        )


# ---------------------------------------------------------------------------------------------
# Receiving


def peer_authenticate(*, peer_code: str, timestamp: str, signature: str, body: bytes) -> Peer:
    """The peer that signed this request with its shared secret; PermissionDenied otherwise
    (unknown or inactive peer, a timestamp too far from now, a wrong signature)."""
    peer = Peer.objects.filter(code=peer_code[:100], is_active=True).first() if peer_code else None
    try:
        moment = int(timestamp)
    except ValueError:
        moment = 0
    if abs(time.time() - moment) > settings.EXCHANGE_CLOCK_SKEW_SECONDS:
        peer = None
    expected = (
        request_signature(secret=peer.secret, peer_code=peer.code, timestamp=timestamp, body=body)
        if peer is not None
        else ""
    )
    if peer is None or not hmac.compare_digest(expected, signature or "-"):
        raise PermissionDenied(
            "Yêu cầu liên thông không xác thực được (hệ thống gửi, thời điểm hoặc chữ ký HMAC).",
            code="exchange_unauthenticated",
        )
    return peer


def inbox_receive(*, peer: Peer, body: bytes) -> dict[str, Any]:
    """A package from an authenticated peer: a document (checked, registered, answered) or a
    status message (recorded). InvalidInput for a broken package, StateError("duplicate")
    for a document registered before; in both cases nothing is registered."""
    digest = hashlib.sha256(body).hexdigest()
    if len(body) > settings.EXCHANGE_MAX_BYTES:
        raise _refuse(peer, digest, len(body), "Gói tin vượt quá dung lượng cho phép.")
    try:
        package = edxml.parse(body)
    except edxml.EdxmlError as error:
        raise _refuse(peer, digest, len(body), str(error)) from error
    if isinstance(package, edxml.StatusPackage):
        return _receive_status(peer=peer, status=package, digest=digest, size=len(body))
    return _receive_document(peer=peer, package=package, digest=digest, size=len(body))


def _refuse(
    peer: Peer,
    digest: str,
    size: int,
    error: str,
    *,
    kind: str = "",
    message_id: str = "",
    sender_code: str = "",
) -> InvalidInput:
    """Log the refused package (nothing else is written) and return the error to raise."""
    IncomingPackage.objects.create(
        peer=peer,
        kind=kind,
        message_id=message_id[:100],
        sender_code=sender_code[:40],
        state=IncomingPackage.State.REFUSED,
        error=error[:2000],
        sha256=digest,
        size=size,
    )
    return InvalidInput(error, code="invalid_package")


def _duplicate(existing: IncomingPackage) -> StateError:
    return StateError(
        f"Gói tin {existing.message_id} đã được tiếp nhận lúc "
        f"{timezone.localtime(existing.received_at):%H:%M %d/%m/%Y}; không vào sổ lần nữa.",
        code="duplicate",
        extra={
            "message_id": existing.message_id,
            "arrival_number": (
                existing.incoming_document.arrival_number if existing.incoming_document else None
            ),
        },
    )


def _accepted(sender_code: str, message_id: str) -> IncomingPackage | None:
    return (
        IncomingPackage.objects.select_related("incoming_document")
        .filter(
            sender_code=sender_code,
            message_id=message_id,
            kind=IncomingPackage.Kind.DOCUMENT,
            state=IncomingPackage.State.ACCEPTED,
        )
        .first()
    )


def _signature_problem(report: dict[str, Any]) -> str:
    """Why the signatures of a received PDF refuse it, or "" when they hold. A signature from
    a CA this installation does not trust (another province's own CA) is accepted and its
    verdict kept with the document; a broken, altered or revoked one, or none, is refused."""
    if report.get("status") in ("unsigned", "error"):
        return f"Tệp PDF đính kèm không có chữ ký số hợp lệ: {report.get('message', '')}"
    for signature in report.get("signatures") or []:
        if signature.get("error") or not signature.get("intact") or not signature.get("valid"):
            return f"Chữ ký số của {signature.get('signer_name') or '?'} không còn nguyên vẹn."
        if signature.get("revoked"):
            return f"Chứng thư của {signature.get('signer_name') or '?'} đã bị thu hồi."
    return ""


def _receive_document(
    *, peer: Peer, package: edxml.DocumentPackage, digest: str, size: int
) -> dict[str, Any]:
    def refuse(error: str) -> InvalidInput:
        return _refuse(
            peer,
            digest,
            size,
            error,
            kind=IncomingPackage.Kind.DOCUMENT,
            message_id=package.document_id,
            sender_code=package.sender.code,
        )

    existing = _accepted(package.sender.code, package.document_id)
    if existing is not None:
        _log_duplicate(peer, package, digest, size)
        raise _duplicate(existing)
    unit = next(
        (
            u
            for organ in package.recipients
            for u in Unit.objects.filter(
                exchange_code=organ.code, is_internal=True, is_active=True
            )[:1]
        ),
        None,
    )
    if unit is None:
        raise refuse(
            "Không có đơn vị nhận nào của gói tin dùng hệ thống này: "
            + ", ".join(o.code for o in package.recipients)[:300]
        )
    pdfs = [a for a in package.attachments if a.content_type == "application/pdf"]
    if len(pdfs) != 1 or not pdfs[0].data.startswith(b"%PDF-"):
        raise refuse("Gói tin phải có đúng một tệp PDF văn bản đã ký số.")
    pdf = pdfs[0]
    from signing.verification import pdf_verify_report

    report = pdf_verify_report(pdf=pdf.data).as_dict()
    problem = _signature_problem(report)
    if problem:
        raise refuse(problem)
    signatures = {k: report[k] for k in ("status", "message", "sha256", "signatures", "checked_at")}
    try:
        with transaction.atomic():
            log = IncomingPackage.objects.create(
                peer=peer,
                kind=IncomingPackage.Kind.DOCUMENT,
                message_id=package.document_id[:100],
                sender_code=package.sender.code[:40],
                state=IncomingPackage.State.ACCEPTED,
                sha256=digest,
                size=size,
                header=_header_facts(package),
                unit=unit,
            )
            incoming = documents.incoming_register_exchanged(
                unit=unit,
                registered_by=_exchange_user(),
                document=_exchanged_document(package),
                pdf=pdf.data,
                file_name=pdf.name,
                signatures=signatures,
            )
            log.incoming_document = incoming
            log.save(update_fields=["incoming_document"])
            now = timezone.now()
            answers = [
                _status_enqueue(log=log, unit=unit, code=STATUS_RECEIVED, now=now),
                _status_enqueue(
                    log=log,
                    unit=unit,
                    code=STATUS_ACCEPTED,
                    now=now,
                    description=(
                        f"Đã vào sổ văn bản đến, số đến {incoming.arrival_number}/"
                        f"{incoming.arrival_year}."
                    ),
                ),
            ]
    except IntegrityError as error:  # the same package, registered in parallel
        existing = _accepted(package.sender.code, package.document_id)
        if existing is None:
            raise
        _log_duplicate(peer, package, digest, size)
        raise _duplicate(existing) from error
    _send_after_commit([a.pk for a in answers])
    return {
        "result": "accepted",
        "message_id": package.document_id,
        "arrival_number": incoming.arrival_number,
        "arrival_year": incoming.arrival_year,
        "unit": unit.exchange_code,
    }


def _log_duplicate(peer: Peer, package: edxml.DocumentPackage, digest: str, size: int) -> None:
    IncomingPackage.objects.create(
        peer=peer,
        kind=IncomingPackage.Kind.DOCUMENT,
        message_id=package.document_id[:100],
        sender_code=package.sender.code[:40],
        state=IncomingPackage.State.DUPLICATE,
        sha256=digest,
        size=size,
    )


def _header_facts(package: edxml.DocumentPackage) -> dict[str, Any]:
    return {
        "from": {"code": package.sender.code, "name": package.sender.name},
        "to": [{"code": o.code, "name": o.name} for o in package.recipients],
        "code": f"{package.code_number}/{package.code_notation}",
        "place": package.place,
        "date": package.promulgation_date.isoformat(),
        "type": package.type_name,
        "subject": package.subject,
        "signer": [package.signer.competence, package.signer.position, package.signer.full_name],
        "to_places": list(package.to_places),
        "priority": package.priority,
        "due_date": package.due_date.isoformat() if package.due_date else "",
        "steering_type": package.steering_type,
        "page_amount": package.page_amount,
        "traces": [
            {"organ": t.organ_code, "timestamp": t.timestamp.isoformat()} for t in package.traces
        ],
    }


def _exchanged_document(package: edxml.DocumentPackage) -> documents.ExchangedDocument:
    abbreviation = package.code_notation.split("-", 1)[0]
    signer = package.signer
    return documents.ExchangedDocument(
        sender=package.sender.name or package.sender.code,
        number_text=f"{package.code_number}/{package.code_notation}".strip("/"),
        doc_type=abbreviation if abbreviation in TYPES_BY_ABBREVIATION else "",
        date=package.promulgation_date,
        place=package.place,
        subject=package.subject,
        signer_name=signer.full_name,
        signature=[line for line in (signer.competence, signer.position, signer.full_name) if line],
        recipients=list(package.to_places),
        deadline=package.due_date,
    )


def _exchange_user() -> User:
    """Who registers what arrives through the exchange: a system account nobody signs in as."""
    user, created = User.objects.get_or_create(
        username=EXCHANGE_USERNAME,
        defaults={"full_name": "Trục liên thông văn bản (edXML)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _status_enqueue(
    *,
    log: IncomingPackage,
    unit: Unit,
    code: str,
    now: dt.datetime,
    description: str = "",
    staff: str = "",
) -> OutgoingPackage:
    """A status message about the received document `log`, to the peer that sent it."""
    status = edxml.StatusPackage(
        response_for_organ=log.sender_code,
        response_for_document_id=log.message_id,
        response_for_code=str((log.header or {}).get("code", "")),
        sender=edxml.Organ(code=unit.exchange_code, name=unit.name),
        status_code=code,
        description=description or STATUS_LABELS[code],
        timestamp=now,
        staff=staff,
        department=unit.name,
    )
    return OutgoingPackage.objects.create(
        message_id=str(uuid.uuid4()),
        kind=OutgoingPackage.Kind.STATUS,
        peer=log.peer,
        unit=unit,
        answers=log,
        status_code=code,
        xml=edxml.build_status(status),
        next_try=now,
    )


def _receive_status(
    *, peer: Peer, status: edxml.StatusPackage, digest: str, size: int
) -> dict[str, Any]:
    package = (
        OutgoingPackage.objects.select_related("unit", "plan", "receipt")
        .filter(message_id=status.response_for_document_id, kind=OutgoingPackage.Kind.DOCUMENT)
        .first()
    )
    unit = package.unit if package is not None else None
    if package is None or package.peer_id != peer.pk or unit is None:
        raise _refuse(
            peer,
            digest,
            size,
            "Trạng thái phản hồi cho một văn bản không được gửi tới hệ thống này.",
            kind=IncomingPackage.Kind.STATUS,
            message_id=status.response_for_document_id,
            sender_code=status.sender.code,
        )
    if status.sender.code != unit.exchange_code:
        raise _refuse(
            peer,
            digest,
            size,
            "Bên gửi trạng thái không phải đơn vị nhận văn bản.",
            kind=IncomingPackage.Kind.STATUS,
            message_id=status.response_for_document_id,
            sender_code=status.sender.code,
        )
    with transaction.atomic():
        # A status from the recipient proves that it holds the package, even when it comes
        # back before the sending thread has recorded the recipient's answer.
        OutgoingPackage.objects.filter(pk=package.pk, state=OutgoingPackage.State.PENDING).update(
            state=OutgoingPackage.State.DELIVERED, delivered_at=timezone.now(), last_error=""
        )
        created = _status_record(
            package=package,
            code=status.status_code,
            description=status.description,
            timestamp=status.timestamp,
            staff=status.staff,
            department=status.department,
        )
        IncomingPackage.objects.create(
            peer=peer,
            kind=IncomingPackage.Kind.STATUS,
            message_id=status.response_for_document_id[:100],
            sender_code=status.sender.code[:40],
            state=(IncomingPackage.State.ACCEPTED if created else IncomingPackage.State.DUPLICATE),
            sha256=digest,
            size=size,
            header={"status_code": status.status_code, "description": status.description},
            unit=unit,
        )
    return {
        "result": "accepted" if created else "duplicate",
        "message_id": status.response_for_document_id,
        "arrival_number": None,
        "arrival_year": None,
        "unit": unit.exchange_code,
    }


def _status_record(
    *,
    package: OutgoingPackage,
    code: str,
    description: str,
    timestamp: dt.datetime,
    staff: str = "",
    department: str = "",
) -> bool:
    """Record a status of a sent document in its receipt; False when it was recorded before.
    Accepted (03) and later statuses acknowledge the receipt; everyone who follows the plan is
    told (the plan's page updates live)."""
    if StatusMessage.objects.filter(package=package, code=code, timestamp=timestamp).exists():
        return False
    StatusMessage.objects.create(
        package=package,
        code=code,
        description=description[:1000],
        staff=staff[:255],
        department=department[:255],
        timestamp=timestamp,
    )
    receipt = package.receipt
    if (
        receipt is not None
        and code in (STATUS_ACCEPTED, *USER_STATUSES)
        and receipt.acknowledged_at is None
    ):
        Receipt.objects.filter(pk=receipt.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timestamp
        )
    plan = package.plan
    if plan is not None:
        clerks = list(user_list_with_role(User.Role.CLERK).values_list("pk", flat=True))
        unit_name = package.unit.name if package.unit else ""
        notify_on_commit(
            user_ids=[plan.drafter_id, *clerks],
            kind="exchange.status",
            title=f"{unit_name}: {STATUS_LABELS.get(code, code)}",
            body=description[:500] or plan.title,
            url=link("plan", plan.pk),
            data={"plan_id": plan.pk, "status": plan.status, "exchange_status": code},
        )
    return True


# ---------------------------------------------------------------------------------------------
# A recipient reports what it does with a document received through the exchange


STATUS_CHOICES_FOR_USERS = {code: STATUS_LABELS[code] for code in USER_STATUSES}


@transaction.atomic
def incoming_status_send(
    *, actor: User, incoming: IncomingDocument, code: str, description: str = ""
) -> OutgoingPackage:
    """A user of the unit that registered a document received through the exchange tells its
    sender what happens to it: 04 phân công, 05 đang xử lý, 06 hoàn thành."""
    if code not in USER_STATUSES:
        raise InvalidInput(
            "Mã trạng thái phải là một trong: "
            + ", ".join(f"{c} ({label})" for c, label in STATUS_CHOICES_FOR_USERS.items())
            + "."
        )
    description = (description or "").strip()
    if len(description) > 1000:
        raise InvalidInput("Mô tả dài quá 1000 ký tự.")
    log = (
        IncomingPackage.objects.select_related("peer", "unit")
        .filter(
            incoming_document=incoming,
            kind=IncomingPackage.Kind.DOCUMENT,
            state=IncomingPackage.State.ACCEPTED,
        )
        .first()
    )
    if log is None or log.unit is None:
        raise NotFound("Văn bản đến này không nhận qua trục liên thông.")
    if actor.unit_id != log.unit_id:
        raise PermissionDenied("Chỉ đơn vị đã vào sổ văn bản mới báo được trạng thái xử lý.")
    package = _status_enqueue(
        log=log,
        unit=log.unit,
        code=code,
        now=timezone.now(),
        description=description,
        staff=actor.display_name,
    )
    _send_after_commit([package.pk])
    return package


def incoming_get(*, incoming_id: int) -> IncomingDocument:
    incoming = IncomingDocument.objects.filter(pk=incoming_id).first()
    if incoming is None:
        raise NotFound("Không tìm thấy văn bản đến.")
    return incoming


# ---------------------------------------------------------------------------------------------
# Peers (the administrator's set-up)


@transaction.atomic
def peer_configure(
    *,
    code: str,
    name: str,
    secret: str,
    base_url: str = "",
    transport: str = Peer.Transport.HTTP,
    unit_codes: Iterable[str] = (),
) -> Peer:
    """Add or change a peer and the units reached through it (which become external)."""
    if len(secret) < 32:
        raise InvalidInput("Khóa bí mật dùng chung phải dài ít nhất 32 ký tự.")
    if transport == Peer.Transport.HTTP and not base_url.startswith(("http://", "https://")):
        raise InvalidInput("Địa chỉ hệ thống liên thông phải bắt đầu bằng http:// hoặc https://.")
    peer, _ = Peer.objects.update_or_create(
        code=code,
        defaults={"name": name, "secret": secret, "base_url": base_url, "transport": transport},
    )
    codes = list(unit_codes)
    units = list(Unit.objects.filter(code__in=codes))
    missing = set(codes) - {u.code for u in units}
    if missing:
        raise InvalidInput(f"Không có đơn vị mã {', '.join(sorted(missing))} trong danh mục.")
    for unit in units:
        if not unit.exchange_code:
            raise InvalidInput(f"Đơn vị {unit.name} chưa có mã định danh.")
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(is_internal=False)
    peer.units.add(*units)
    return peer
