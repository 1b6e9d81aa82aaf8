"""edXML packages of QCVN 102:2016/BTTTT (amended 2022): build and parse, pure functions.

A document package is

    <edXML:edXML>
      <edXML:edXMLEnvelope>
        <edXML:edXMLHeader>
          <edXML:MessageHeader> From, To…, DocumentId, Code, PromulgationInfo, DocumentType,
            Subject, Content, SignerInfo, DueDate, ToPlaces, OtherInfo (Priority, PageAmount…),
            SteeringType </edXML:MessageHeader>
          <edXML:TraceHeaderList> TraceHeader (OrganId, Timestamp)… </edXML:TraceHeaderList>
        </edXML:edXMLHeader>
        <edXML:edXMLBody><edXML:edXMLManifest> Reference (ContentId, ContentType, Description,
          AttachmentName, DigestValue)… </edXML:edXMLManifest></edXML:edXMLBody>
      </edXML:edXMLEnvelope>
      <edXML:AttachmentEncoded> Attachment (ContentId, AttachmentName, ContentType,
        ContentTransferEncoded: base64)… </edXML:AttachmentEncoded>
    </edXML:edXML>

and a status package carries `edXML:Status` (ResponseFor, From, StatusCode, Description,
Timestamp, StaffInfo) in its header instead. `DigestValue` (SHA-256 of the attachment, hex) is
ours: the checks on arrival compare it with the decoded attachment.

Parsing never resolves entities, reads no DTD and touches no network; a DOCTYPE is refused.
Anything missing or malformed raises `EdxmlError` with a Vietnamese message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
_Q = f"{{{NS}}}"

#: Priority (độ khẩn) of OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc.
PRIORITIES = {"": "0", "khẩn": "1", "thượng khẩn": "2", "hỏa tốc": "3"}


class EdxmlError(ValueError):
    """A package that is not well-formed edXML, or lacks what QCVN 102 requires."""


@dataclass(frozen=True)
class Organ:
    code: str  # OrganId: mã định danh
    name: str
    in_charge: str = ""  # OrganizationInCharge


@dataclass(frozen=True)
class Signer:
    competence: str  # "KT. CHỦ TỊCH"
    position: str  # "PHÓ CHỦ TỊCH"
    full_name: str


@dataclass(frozen=True)
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Trace:
    organ_code: str
    timestamp: dt.datetime


@dataclass(frozen=True)
class DocumentPackage:
    document_id: str
    sender: Organ
    recipients: tuple[Organ, ...]
    code_number: str
    code_notation: str
    place: str
    promulgation_date: dt.date
    type_code: str
    type_name: str
    subject: str
    signer: Signer
    attachments: tuple[Attachment, ...]
    content: str = ""
    to_places: tuple[str, ...] = ()
    priority: str = "0"
    due_date: dt.date | None = None
    steering_type: str = "0"
    page_amount: int = 0
    traces: tuple[Trace, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StatusPackage:
    #: The document the status is about: its sender's OrganId, its DocumentId, its number.
    response_for_organ: str
    response_for_document_id: str
    response_for_code: str
    sender: Organ
    status_code: str
    description: str
    timestamp: dt.datetime
    staff: str = ""
    department: str = ""


# ---------------------------------------------------------------------------------------------
# Build


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _Q + name)
    if text is not None:
        element.text = text
    return element


def _organ(parent: etree._Element, name: str, organ: Organ) -> None:
    box = _el(parent, name)
    _el(box, "OrganId", organ.code)
    _el(box, "OrganizationInCharge", organ.in_charge)
    _el(box, "OrganName", organ.name)
    for empty in ("OrganAdd", "Email", "Telephone", "Fax", "Website"):
        _el(box, empty, "")


def _root() -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_Q + "edXML", nsmap={PREFIX: NS})
    envelope = _el(root, "edXMLEnvelope")
    return root, envelope


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be aware")
    return moment.isoformat(timespec="seconds")


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_document(package: DocumentPackage) -> bytes:
    """The edXML of a document package (UTF-8 bytes)."""
    root, envelope = _root()
    header = _el(envelope, "edXMLHeader")
    message = _el(header, "MessageHeader")
    _organ(message, "From", package.sender)
    for recipient in package.recipients:
        _organ(message, "To", recipient)
    _el(message, "DocumentId", package.document_id)
    code = _el(message, "Code")
    _el(code, "CodeNumber", package.code_number)
    _el(code, "CodeNotation", package.code_notation)
    promulgation = _el(message, "PromulgationInfo")
    _el(promulgation, "Place", package.place)
    _el(promulgation, "PromulgationDate", package.promulgation_date.isoformat())
    doc_type = _el(message, "DocumentType")
    _el(doc_type, "Type", package.type_code)
    _el(doc_type, "TypeName", package.type_name)
    _el(message, "Subject", package.subject)
    _el(message, "Content", package.content)
    signer = _el(message, "SignerInfo")
    _el(signer, "Competence", package.signer.competence)
    _el(signer, "Position", package.signer.position)
    _el(signer, "FullName", package.signer.full_name)
    _el(message, "DueDate", package.due_date.isoformat() if package.due_date else "")
    places = _el(message, "ToPlaces")
    for place in package.to_places:
        _el(places, "Place", place)
    other = _el(message, "OtherInfo")
    _el(other, "Priority", package.priority)
    _el(other, "SphereOfPromulgation", "")
    _el(other, "TyperNotation", "")
    _el(other, "PromulgationAmount", "")
    _el(other, "PageAmount", str(package.page_amount))
    _el(message, "SteeringType", package.steering_type)
    traces = _el(header, "TraceHeaderList")
    for trace in package.traces:
        box = _el(traces, "TraceHeader")
        _el(box, "OrganId", trace.organ_code)
        _el(box, "Timestamp", _iso(trace.timestamp))
    body = _el(envelope, "edXMLBody")
    manifest = _el(body, "edXMLManifest")
    for attachment in package.attachments:
        reference = _el(manifest, "Reference")
        _el(reference, "ContentId", attachment.content_id)
        _el(reference, "ContentType", attachment.content_type)
        _el(reference, "Description", attachment.description)
        _el(reference, "AttachmentName", attachment.name)
        digest = _el(reference, "DigestValue", attachment.sha256)
        digest.set("Algorithm", "SHA-256")
    encoded = _el(root, "AttachmentEncoded")
    for attachment in package.attachments:
        box = _el(encoded, "Attachment")
        _el(box, "ContentId", attachment.content_id)
        _el(box, "AttachmentName", attachment.name)
        _el(box, "ContentType", attachment.content_type)
        _el(box, "ContentTransferEncoded", base64.b64encode(attachment.data).decode("ascii"))
    return _bytes(root)


def build_status(status: StatusPackage) -> bytes:
    """The edXML of a status message (UTF-8 bytes)."""
    root, envelope = _root()
    header = _el(envelope, "edXMLHeader")
    box = _el(header, "Status")
    response = _el(box, "ResponseFor")
    _el(response, "OrganId", status.response_for_organ)
    _el(response, "Code", status.response_for_code)
    _el(response, "DocumentId", status.response_for_document_id)
    _organ(box, "From", status.sender)
    _el(box, "StatusCode", status.status_code)
    _el(box, "Description", status.description)
    _el(box, "Timestamp", _iso(status.timestamp))
    staff = _el(box, "StaffInfo")
    _el(staff, "Department", status.department)
    _el(staff, "Staff", status.staff)
    return _bytes(root)


# ---------------------------------------------------------------------------------------------
# Parse

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
    "remove_comments": True,
}


def _find(parent: etree._Element, path: str) -> etree._Element | None:
    return parent.find("/".join(_Q + part for part in path.split("/")))


def _text(parent: etree._Element, path: str, *, required: str = "") -> str:
    element = _find(parent, path)
    value = (element.text or "").strip() if element is not None else ""
    if required and not value:
        raise EdxmlError(f"Gói tin thiếu {required} ({path}).")
    return value


def _date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise EdxmlError(f"{label} không hợp lệ: {value[:40]!r}.") from exc


def _datetime(value: str, label: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise EdxmlError(f"{label} không hợp lệ: {value[:40]!r}.") from exc
    if moment.tzinfo is None:
        raise EdxmlError(f"{label} thiếu múi giờ: {value[:40]!r}.")
    return moment


def _organ_of(element: etree._Element | None, label: str) -> Organ:
    if element is None:
        raise EdxmlError(f"Gói tin thiếu {label}.")
    return Organ(
        code=_text(element, "OrganId", required=f"mã định danh của {label}"),
        name=_text(element, "OrganName"),
        in_charge=_text(element, "OrganizationInCharge"),
    )


def parse(data: bytes) -> DocumentPackage | StatusPackage:
    """Read a package; EdxmlError for anything that is not a whole edXML package."""
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise EdxmlError("Gói tin không được chứa khai báo DOCTYPE hoặc ENTITY.")
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(**_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise EdxmlError(f"Gói tin không phải XML hợp lệ: {str(exc)[:200]}") from exc
    if root.tag != _Q + "edXML":
        raise EdxmlError("Gói tin không phải edXML (phần tử gốc edXML, QCVN 102:2016).")
    envelope = _find(root, "edXMLEnvelope")
    header = _find(root, "edXMLEnvelope/edXMLHeader")
    if envelope is None or header is None:
        raise EdxmlError("Gói tin thiếu edXMLEnvelope/edXMLHeader.")
    status = _find(header, "Status")
    if status is not None:
        return _parse_status(status)
    message = _find(header, "MessageHeader")
    if message is None:
        raise EdxmlError("Gói tin không có MessageHeader hay Status.")
    return _parse_document(root, envelope, header, message)


def _parse_status(box: etree._Element) -> StatusPackage:
    code = _text(box, "StatusCode", required="mã trạng thái")
    if len(code) != 2 or not code.isdigit():
        raise EdxmlError(f"Mã trạng thái không hợp lệ: {code[:10]!r}.")
    return StatusPackage(
        response_for_organ=_text(box, "ResponseFor/OrganId", required="ResponseFor/OrganId"),
        response_for_document_id=_text(
            box, "ResponseFor/DocumentId", required="mã văn bản được phản hồi"
        ),
        response_for_code=_text(box, "ResponseFor/Code"),
        sender=_organ_of(_find(box, "From"), "bên gửi trạng thái"),
        status_code=code,
        description=_text(box, "Description")[:1000],
        timestamp=_datetime(_text(box, "Timestamp", required="thời điểm"), "Thời điểm"),
        staff=_text(box, "StaffInfo/Staff")[:255],
        department=_text(box, "StaffInfo/Department")[:255],
    )


def _parse_document(
    root: etree._Element,
    envelope: etree._Element,
    header: etree._Element,
    message: etree._Element,
) -> DocumentPackage:
    recipients = tuple(_organ_of(element, "nơi nhận") for element in message.findall(_Q + "To"))
    if not recipients:
        raise EdxmlError("Gói tin thiếu nơi nhận (To).")
    page_text = _text(message, "OtherInfo/PageAmount") or "0"
    if not page_text.isdigit():
        raise EdxmlError(f"Số trang không hợp lệ: {page_text[:20]!r}.")
    due_text = _text(message, "DueDate")
    trace_list = _find(header, "TraceHeaderList")
    traces = tuple(
        Trace(
            organ_code=_text(trace, "OrganId", required="mã định danh trong TraceHeader"),
            timestamp=_datetime(_text(trace, "Timestamp", required="thời điểm"), "Thời điểm"),
        )
        for trace in (trace_list.findall(_Q + "TraceHeader") if trace_list is not None else [])
    )
    places = _find(message, "ToPlaces")
    return DocumentPackage(
        document_id=_text(message, "DocumentId", required="mã văn bản (DocumentId)"),
        sender=_organ_of(_find(message, "From"), "cơ quan gửi (From)"),
        recipients=recipients,
        code_number=_text(message, "Code/CodeNumber", required="số văn bản"),
        code_notation=_text(message, "Code/CodeNotation"),
        place=_text(message, "PromulgationInfo/Place"),
        promulgation_date=_date(
            _text(message, "PromulgationInfo/PromulgationDate", required="ngày ban hành"),
            "Ngày ban hành",
        ),
        type_code=_text(message, "DocumentType/Type"),
        type_name=_text(message, "DocumentType/TypeName"),
        subject=_text(message, "Subject", required="trích yếu"),
        content=_text(message, "Content"),
        signer=Signer(
            competence=_text(message, "SignerInfo/Competence"),
            position=_text(message, "SignerInfo/Position"),
            full_name=_text(message, "SignerInfo/FullName"),
        ),
        to_places=tuple(
            (p.text or "").strip()
            for p in (places.findall(_Q + "Place") if places is not None else [])
        ),
        priority=_text(message, "OtherInfo/Priority") or "0",
        due_date=_date(due_text, "Hạn xử lý") if due_text else None,
        steering_type=_text(message, "SteeringType") or "0",
        page_amount=int(page_text),
        traces=traces,
        attachments=_attachments(root, envelope),
    )


def _attachments(root: etree._Element, envelope: etree._Element) -> tuple[Attachment, ...]:
    """The attachments, each decoded and checked against its manifest reference's digest."""
    references: dict[str, etree._Element] = {}
    manifest = _find(envelope, "edXMLBody/edXMLManifest")
    for reference in manifest.findall(_Q + "Reference") if manifest is not None else []:
        references[_text(reference, "ContentId", required="ContentId")] = reference
    encoded = _find(root, "AttachmentEncoded")
    boxes = encoded.findall(_Q + "Attachment") if encoded is not None else []
    if not boxes:
        raise EdxmlError("Gói tin không có tệp đính kèm.")
    attachments = []
    for box in boxes:
        content_id = _text(box, "ContentId", required="ContentId của tệp đính kèm")
        reference = references.get(content_id)
        if reference is None:
            raise EdxmlError(f"Tệp đính kèm {content_id[:40]!r} không có trong danh mục.")
        raw = _text(box, "ContentTransferEncoded", required="nội dung tệp đính kèm")
        try:
            data = base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EdxmlError(f"Tệp đính kèm {content_id[:40]!r} sai mã base64.") from exc
        expected = _text(reference, "DigestValue", required="mã băm của tệp đính kèm").lower()
        attachment = Attachment(
            content_id=content_id,
            name=_text(box, "AttachmentName") or _text(reference, "AttachmentName"),
            content_type=_text(box, "ContentType") or _text(reference, "ContentType"),
            data=data,
            description=_text(reference, "Description"),
        )
        if attachment.sha256 != expected:
            raise EdxmlError(
                f"Mã băm của tệp đính kèm {attachment.name[:80]!r} không khớp: tệp đã bị thay "
                "đổi hoặc hỏng trên đường truyền."
            )
        attachments.append(attachment)
    return tuple(attachments)
