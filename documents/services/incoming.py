"""Incoming documents (văn bản đến): register from a file, and start a plan answering one."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.errors import InvalidInput, NotFound, PermissionDenied
from agencies.models import Unit, User
from agencies.selectors import user_list_of_units
from agencies.validation import parse_id
from notifications.links import link
from notifications.services import notify_on_commit

from ..models import (
    IncomingDocument,
    IncomingRegister,
    Plan,
    sha256_hex,
)
from ..search import search_index_update_incoming
from ..selectors import incoming_is_visible
from ..types import TYPES_BY_ABBREVIATION
from .base import (
    _unit_of_work,
)
from .plans import plan_create

# ---------------------------------------------------------------------------------------------
# Incoming documents (văn bản đến)


def _parse_optional_date(value: Any, message: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(message) from exc


DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def incoming_import_file(
    *,
    actor: User,
    data: bytes,
    file_name: str = "",
    assigned_unit_id: int | None = None,
    deadline: Any = None,
    progress: Any = None,
) -> IncomingDocument:
    """Register a received document (văn bản đến) from its Word file or PDF (a scan is read by
    OCR), e.g. the ministry's guidance 2905/BTTTT-TTĐN: sender, number, date, "V/v …" subject,
    "Kính gửi", body, "Nơi nhận", signature; it gets the unit's next arrival number (số đến).
    The file is kept as it arrived and a PDF's signatures are verified. Optionally assigned to
    a unit with a deadline (ND30 Đ23), whose users are notified. A bad file, or a file the unit
    has already registered, creates nothing (and takes no number)."""
    from ..importing import import_letter_file, is_pdf

    if actor.unit_id is None:
        raise InvalidInput("Tài khoản của bạn chưa thuộc đơn vị nào.")
    assigned = None
    if assigned_unit_id not in (None, ""):
        unit_id = parse_id(assigned_unit_id, label="Đơn vị được giao xử lý")
        assigned = Unit.objects.filter(pk=unit_id, is_active=True).first()
        if assigned is None:
            raise InvalidInput("Đơn vị được giao xử lý không có trong danh mục.")
    due = _parse_optional_date(deadline, "Hạn xử lý không hợp lệ (định dạng YYYY-MM-DD).")
    data = bytes(data)
    _refuse_registered(actor, sha256_hex(data))
    # Read (OCR may take a while) before the register is locked.
    letter = import_letter_file(data, progress=progress)
    if not (letter.subject or letter.body):
        raise InvalidInput("Tệp không có nội dung văn bản để vào sổ.")
    pdf = is_pdf(data)
    incoming = _incoming_register(
        actor=actor,
        letter=letter,
        data=data,
        file_name=file_name,
        content_type="application/pdf" if pdf else DOCX_CONTENT_TYPE,
        signatures=_signatures_of(data) if pdf else {},
        assigned=assigned,
        deadline=due,
    )
    if assigned is not None and assigned.pk != actor.unit_id:
        notify_on_commit(
            user_ids=user_list_of_units([assigned.pk])
            .exclude(pk=actor.pk)
            .values_list("pk", flat=True),
            kind="incoming.assigned",
            title=f"Văn bản đến giao đơn vị xử lý: {incoming.number or incoming.subject}",
            body=incoming.subject,
            url=_incoming_url(incoming),
            data={"incoming_id": incoming.pk},
        )
    return incoming


#: Kept for callers of the Word-only name.
incoming_import_docx = incoming_import_file


def _refuse_registered(actor: User, digest: str) -> None:
    existing = IncomingDocument.objects.filter(
        registering_unit_id=actor.unit_id, file_sha256=digest
    ).first()
    if existing is not None:
        raise InvalidInput(
            f"Văn bản này đã được vào sổ văn bản đến của đơn vị lúc "
            f"{timezone.localtime(existing.registered_at):%H:%M %d/%m/%Y}"
            f" ({existing.number or existing.subject})."
        )


def _signatures_of(pdf: bytes) -> dict[str, Any]:
    """The verification of a received PDF's signatures (signing.verification), JSON-ready."""
    from signing.verification import pdf_verify_report

    report = pdf_verify_report(pdf=pdf).as_dict()
    return {k: report[k] for k in ("status", "message", "sha256", "signatures", "checked_at")}


@transaction.atomic
def _incoming_register(
    *,
    actor: User,
    letter: Any,
    data: bytes,
    file_name: str,
    content_type: str,
    signatures: dict[str, Any],
    assigned: Unit | None,
    deadline: dt.date | None,
) -> IncomingDocument:
    """Enter the document in the unit's incoming register under its next arrival number: the
    register row is locked until the transaction ends, so numbers are taken one at a time and
    a failure gives its number back (no gaps)."""
    _refuse_registered(actor, sha256_hex(data))
    unit_id = actor.unit_id
    if unit_id is None:  # incoming_register refused it already
        raise PermissionDenied("Tài khoản của bạn chưa thuộc đơn vị nào.")
    now = timezone.now()
    year = timezone.localdate(now).year
    register, _ = IncomingRegister.objects.select_for_update().get_or_create(
        unit_id=unit_id, year=year
    )
    register.last_number += 1
    register.save(update_fields=["last_number"])
    incoming = IncomingDocument.objects.create(
        sender=letter.sender[:255] or "(chưa rõ cơ quan ban hành)",
        parent_sender=letter.parent_sender[:255],
        number=letter.number_text[:80],
        doc_type=letter.doc_type,
        date=dt.date.fromisoformat(letter.date) if letter.date else None,
        place=letter.place[:100],
        subject=letter.subject[:1000] or "(chưa có trích yếu)",
        addressees=letter.addressees,
        body=letter.body,
        recipients=letter.recipients,
        archive=letter.archive[:255],
        signature=letter.signature,
        signer_name=letter.signer_name[:150],
        unplaced=letter.unplaced,
        warnings=letter.warnings,
        file_name=(file_name or "")[:255],
        file_sha256=sha256_hex(data),
        original=data,
        content_type=content_type,
        reading=letter.pdf or {},
        signatures=signatures,
        arrival_number=register.last_number,
        arrival_year=year,
        registered_by=actor,
        registering_unit_id=unit_id,
        registered_at=now,
        assigned_unit=assigned,
        deadline=deadline,
    )
    search_index_update_incoming(incoming)
    return incoming


@dataclass(frozen=True)
class ExchangedDocument:
    """What an edXML package says of a document sent through the exchange (QCVN 102)."""

    sender: str
    number_text: str  # "262/KH-UBND"
    doc_type: str  # "KH"; "" for a công văn
    date: dt.date | None
    place: str
    subject: str
    signer_name: str
    signature: list[str]
    recipients: list[str]
    deadline: dt.date | None


@transaction.atomic
def incoming_register_exchanged(
    *,
    unit: Unit,
    registered_by: User,
    document: ExchangedDocument,
    pdf: bytes,
    file_name: str,
    signatures: dict[str, Any],
) -> IncomingDocument:
    """Enter a document received through the exchange (edXML) in `unit`'s incoming register
    under its next arrival number, as `incoming_import_file` does for an uploaded file: the
    register row is locked until the caller's transaction ends (no gaps), the PDF is kept as it
    arrived with the verification of its signatures, and the unit's users are told."""
    now = timezone.now()
    year = timezone.localdate(now).year
    register, _ = IncomingRegister.objects.select_for_update().get_or_create(
        unit_id=unit.pk, year=year
    )
    register.last_number += 1
    register.save(update_fields=["last_number"])
    incoming = IncomingDocument.objects.create(
        sender=document.sender[:255] or "(chưa rõ cơ quan ban hành)",
        number=document.number_text[:80],
        doc_type=document.doc_type[:8],
        date=document.date,
        place=document.place[:100],
        subject=document.subject[:1000] or "(chưa có trích yếu)",
        recipients=document.recipients,
        signature=document.signature,
        signer_name=document.signer_name[:150],
        file_name=file_name[:255],
        file_sha256=sha256_hex(pdf),
        original=pdf,
        content_type="application/pdf",
        signatures=signatures,
        arrival_number=register.last_number,
        arrival_year=year,
        registered_by=registered_by,
        registering_unit=unit,
        registered_at=now,
        assigned_unit=unit,
        deadline=document.deadline,
    )
    search_index_update_incoming(incoming)
    notify_on_commit(
        user_ids=user_list_of_units([unit.pk]).values_list("pk", flat=True),
        kind="incoming.assigned",
        title=f"Văn bản đến qua trục liên thông: {incoming.number or incoming.subject}",
        body=incoming.subject,
        url=_incoming_url(incoming),
        data={"incoming_id": incoming.pk},
    )
    return incoming


def incoming_original(*, incoming: IncomingDocument) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the file as it arrived; NotFound when it was not
    kept (documents registered before files were kept)."""
    if not incoming.original:
        raise NotFound("Tệp gốc của văn bản đến này không được lưu.")
    extension = ".pdf" if incoming.is_pdf else ".docx"
    name = incoming.file_name or f"van-ban-den-{incoming.pk}{extension}"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name)
    return safe, incoming.content_type or "application/octet-stream", bytes(incoming.original)


def incoming_verify_signatures(*, incoming: IncomingDocument) -> Any:
    """Verify again, now, the signatures of the file as it arrived (signing.verification);
    InvalidInput when the document was not registered from a PDF."""
    if not incoming.is_pdf or not incoming.original:
        raise InvalidInput("Văn bản đến này không được vào sổ từ tệp PDF nên không có chữ ký số.")
    from signing.verification import pdf_verify_report

    return pdf_verify_report(pdf=bytes(incoming.original))


def _incoming_url(incoming: IncomingDocument) -> str:
    return link("incoming", incoming.pk)


def _type_name(doc_type: str) -> str:
    """ "Kế hoạch", "Công văn"…: how a sentence names the type; "Văn bản" when unknown."""
    kind = TYPES_BY_ABBREVIATION.get(doc_type)
    return str(kind.label) if kind is not None else "Văn bản"


def _title_from_subject(about: str, province: str) -> str:
    """ "hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2021" → "Công tác thông tin
    đối ngoại tỉnh Đồng Nai năm 2021": what the plan is about, for the province."""
    title = re.sub(
        r"^(?:việc\s+)?(?:hướng dẫn\s+)?(?:(?:xây dựng|triển khai|thực hiện|ban hành|lập|"
        r"đề xuất|báo cáo)\s+)?(?:(?:kế hoạch|chương trình)\s+)?",
        "",
        about.strip(),
        flags=re.IGNORECASE,
    ).strip(" .;,")
    if len(title.split()) < 2:
        title = f"triển khai {about.strip(' .;,')}"
    if province and province.lower() not in title.lower():
        if re.search(r"\snăm\s+\d{4}\b", title):
            title = re.sub(r"\s(năm\s+\d{4})\b", rf" tỉnh {province} \1", title, count=1)
        else:
            title = f"{title} tỉnh {province}"
    return title[:1].upper() + title[1:]


def incoming_plan_content(incoming: IncomingDocument) -> dict[str, Any]:
    """The first draft of a plan answering `incoming`: its title from the subject, the
    document as legal basis ("Thực hiện Văn bản số … ngày … của … về việc …"), the usual four
    parts, and the sender among the recipients."""
    from ..importing import proper_body_name, unit_key

    province = settings.PROVINCE_NAME
    sender_unit = next(
        (
            unit
            for unit in Unit.objects.filter(is_active=True)
            if unit_key(unit.name) == unit_key(incoming.sender)
        ),
        None,
    )
    sender = sender_unit.name if sender_unit else proper_body_name(incoming.sender)
    subject = (incoming.subject or "").strip()
    match = re.match(r"^V\s*/\s*v\.?\s*:?\s*(.*)$", subject, flags=re.IGNORECASE)
    about = (match.group(1) if match else subject).strip().rstrip(" .;")
    basis = f"Thực hiện {_type_name(incoming.doc_type)}"
    if incoming.number:
        basis += f" số {incoming.number}"
    if incoming.date:
        basis += f" ngày {incoming.date.day:02d}/{incoming.date.month}/{incoming.date.year}"
    basis += f" của {sender}"
    if about:
        basis += f" về việc {about}" if match else f" về {about[:1].lower()}{about[1:]}"
    title = _title_from_subject(about, province)
    year_match = re.search(r"năm\s+(\d{4})", title)
    year = int(year_match.group(1)) if year_match else None
    if year is None or not 2000 <= year <= 2100:
        year = incoming.date.year + 1 if incoming.date else timezone.localdate().year
    recipients: dict[str, Any] = {"units": [], "lines": [], "archive": "Lưu: VT."}
    if sender_unit is not None:
        recipients["units"].append({"name": sender_unit.name, "unit_id": sender_unit.pk})
    else:
        recipients["lines"].append(sender)
    return {
        "title": title,
        "year": year,
        "doc_type": "KH",
        "place": province,
        "legal_bases": [basis],
        "preamble": (
            f"Ủy ban nhân dân tỉnh ban hành Kế hoạch {title[:1].lower()}{title[1:]} như sau:"
        ),
        "sections": [
            {"kind": "purpose", "title": "MỤC ĐÍCH, YÊU CẦU"},
            {"kind": "tasks", "title": "NỘI DUNG, NHIỆM VỤ"},
            {"kind": "budget", "title": "KINH PHÍ THỰC HIỆN"},
            {"kind": "implementation", "title": "TỔ CHỨC THỰC HIỆN"},
        ],
        "closing": "",
        "reporting_deadlines": [],
        "recipients": recipients,
        "signature": {"authority": "TM.", "collective": "ỦY BAN NHÂN DÂN"},
    }


@_unit_of_work
def plan_start_from_incoming(*, actor: User, incoming: IncomingDocument) -> Plan:
    """A drafter starts a new draft plan answering a received document (DOMAIN.md, step 1): the
    document becomes a legal basis, the draft belongs to the drafter's unit, and the creation
    event records which document started it."""
    incoming = IncomingDocument.objects.select_for_update().get(pk=incoming.pk)
    if not incoming_is_visible(user=actor, incoming=incoming):
        raise PermissionDenied("Bạn không có quyền xử lý văn bản đến này.")
    plan = plan_create(
        actor=actor,
        content=incoming_plan_content(incoming),
        data={
            "incoming": {
                "id": incoming.pk,
                "number": incoming.number,
                "date": incoming.date.isoformat() if incoming.date else "",
                "sender": incoming.sender,
                "subject": incoming.subject,
                "file_sha256": incoming.file_sha256,
            }
        },
    )
    incoming.plans.add(plan)
    return plan
