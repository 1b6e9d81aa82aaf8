"""Verification of any PDF, for anyone: one verdict per signature, in Vietnamese, never a crash.

`verify_pdf` is pure (no models, no settings): it takes the PDF, the trusted roots (which of them
are the system's own) and the CRLs, and returns a `VerificationReport`. `pdf_verify_report` is the
service that supplies the system's roots, the imported ones and the current CRL.

Per signature the report says who signed, with which certificate and CA, whether that CA is ours,
imported or unknown, when (the signer's claimed time and the time-stamp), whether it is intact,
trusted and revoked, what changed after it, and the SHA-256 of the revision it signed (the bytes
up to the end of its byte range), so `documents` can match a revision to a stored PDF.

Validation is at the current time: trust is the given roots only; revocation is checked against
the given CRLs, any embedded in the PDF's DSS, and what the optional `revocation` source gives
for each signature's certificates — the service fetches the CRLs and OCSP answers of the imported
CAs (e.g. the national CA) there (hard-fail: a certificate that names a CRL and has none is not
trusted). Garbage, encrypted or unsigned input gives a report with
a Vietnamese message, never an exception.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

logger = logging.getLogger(__name__)

#: Given a signature's certificates, the CRLs and OCSP answers (DER) known about them.
RevocationSource = Callable[
    [Sequence[x509.Certificate]], tuple[Sequence[x509.CertificateRevocationList], Sequence[bytes]]
]

CA_OURS = "ours"
CA_IMPORTED = "imported"
CA_UNKNOWN = "unknown"
UNTRUSTED_ROOT = "Chứng thư số không thuộc tổ chức chứng thực được tin cậy"
CA_STATUS_TEXT = {
    CA_OURS: "Tổ chức chứng thực của hệ thống",
    CA_IMPORTED: "Tổ chức chứng thực được tin cậy (đã nhập vào hệ thống)",
    CA_UNKNOWN: UNTRUSTED_ROOT,
}
NO_SIGNATURES = "Tệp không có chữ ký số"
NOT_A_PDF = "Tệp không phải là tệp PDF."
UNREADABLE = "Không đọc được tệp PDF: tệp bị hỏng hoặc không đúng định dạng."
ENCRYPTED = "Tệp PDF được mã hóa nên không kiểm tra được chữ ký số."
ALL_VALID = "Tất cả chữ ký số hợp lệ; văn bản còn nguyên vẹn."
SOME_INVALID = "Có chữ ký số không hợp lệ hoặc không được tin cậy."
MODIFICATION_TEXT = {
    "NONE": "Không thay đổi",
    "LTA_UPDATES": "Bổ sung dữ liệu kiểm tra dài hạn",
    "FORM_FILLING": "Chỉ điền số, ngày (điền biểu mẫu)",
    "ANNOTATIONS": "Thêm chú thích",
}
OTHER_CHANGES = "Có thay đổi khác — không hợp lệ"
UNKNOWN_CHANGES = "Không xác định được"

# The overall verdict on a file (VerificationReport.status).
STATUS_VALID, STATUS_INVALID, STATUS_UNSIGNED, STATUS_ERROR = (
    "valid",
    "invalid",
    "unsigned",
    "error",
)


@dataclass(frozen=True)
class CertificateDetails:
    """The signer's certificate as a reader needs it (names in RFC 4514 form, UTC times)."""

    subject: str
    common_name: str
    organisation: str
    issuer: str
    issuer_common_name: str
    serial: str  # hex
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str


@dataclass(frozen=True)
class SignatureVerdict:
    """The verdict on one signature (`kind` "signature") or document time-stamp ("timestamp").

    `ca_status` is "ours", "imported" or "unknown" for the root the certificate chains to (via the
    certificates embedded in the signature); `ca_name` names that root, or the issuer when the
    root is unknown. `revision_sha256` hashes bytes [0:`revision_end`], the revision this
    signature covers. `problems` lists, in Vietnamese, why `bottom_line` is False. `error` is set
    when the signature could not be read at all (then every flag is False).
    """

    field_name: str
    kind: str
    signer_name: str
    certificate: CertificateDetails | None
    ca_name: str
    ca_status: str
    ca_status_text: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    revoked_at: datetime | None
    bottom_line: bool
    modification_level: str
    modification_text: str
    coverage: str
    byte_range: tuple[int, ...]
    revision_end: int
    revision_sha256: str
    covers_whole_file: bool
    verdict: str
    problems: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class VerificationReport:
    """Everything said about one file. `status` is "valid", "invalid", "unsigned" or "error".

    `message` is the one-line Vietnamese verdict; `error` is set (status "error") when the file
    could not be read as a PDF.
    """

    sha256: str
    size: int
    status: str
    message: str
    signatures: tuple[SignatureVerdict, ...] = ()
    timestamps: tuple[SignatureVerdict, ...] = ()
    error: str | None = None
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_valid(self) -> bool:
        return self.status == STATUS_VALID

    @property
    def revision_sha256s(self) -> set[str]:
        """The hashes of every signed revision and of the whole file."""
        return {v.revision_sha256 for v in (*self.signatures, *self.timestamps)} | {self.sha256}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _error_report(pdf: bytes, message: str) -> VerificationReport:
    return VerificationReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        status=STATUS_ERROR,
        message=message,
        error=message,
    )


# CERTIFICATES AND THEIR CA


def _name_part(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _details(certificate: x509.Certificate) -> CertificateDetails:
    return CertificateDetails(
        subject=certificate.subject.rfc4514_string(),
        common_name=_name_part(certificate.subject, NameOID.COMMON_NAME),
        organisation=_name_part(certificate.subject, NameOID.ORGANIZATION_NAME),
        issuer=certificate.issuer.rfc4514_string(),
        issuer_common_name=_name_part(certificate.issuer, NameOID.COMMON_NAME),
        serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
    )


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError):  # also: an unsupported key type
        return False
    return True


def _root_of(
    certificate: x509.Certificate,
    *,
    embedded: Sequence[x509.Certificate],
    own_roots: Sequence[x509.Certificate],
    imported_roots: Sequence[x509.Certificate],
) -> tuple[str, x509.Certificate | None]:
    """Walk up through the embedded certificates to one of our or the imported roots."""
    current = certificate
    for _depth in range(8):
        for status, roots in ((CA_OURS, own_roots), (CA_IMPORTED, imported_roots)):
            for root in roots:
                if current == root or _issued_by(current, root):
                    return status, root
        parent = next(
            (
                c
                for c in embedded
                if c != current and c.subject != current.subject and _issued_by(current, c)
            ),
            None,
        )
        if parent is None:
            break
        current = parent
    return CA_UNKNOWN, None


# VERDICTS


def _modification(status: Any) -> tuple[str, str, bool]:
    """(level name, Vietnamese text, acceptable) of what changed after the signature."""
    level = status.modification_level
    name = level.name if level is not None else ""
    if status.docmdp_ok is False:
        return name or "OTHER", OTHER_CHANGES, False
    if level is None:
        return "", UNKNOWN_CHANGES, True
    return name, MODIFICATION_TEXT.get(name, OTHER_CHANGES), name in MODIFICATION_TEXT


def _problems(
    *,
    status: Any,
    ca_status: str,
    certificate: x509.Certificate,
    modification_ok: bool,
    now: datetime,
) -> list[str]:
    problems = []
    if not status.intact:
        problems.append("Nội dung đã bị thay đổi sau khi ký: chữ ký không còn nguyên vẹn.")
    elif not status.valid:
        problems.append("Giá trị chữ ký không khớp với chứng thư số.")
    if status.revoked:
        when = status.revocation_details.revocation_date
        problems.append(f"Chứng thư số đã bị thu hồi (từ {when:%d/%m/%Y %H:%M} UTC).")
    elif ca_status == CA_UNKNOWN:
        problems.append(f"{UNTRUSTED_ROOT}.")
    elif status.intact and status.valid and not status.trusted:
        if certificate.not_valid_after_utc < now:
            problems.append("Chứng thư số đã hết hạn.")
        elif certificate.not_valid_before_utc > now:
            problems.append("Chứng thư số chưa có hiệu lực.")
        else:
            problems.append(
                "Không xác thực được chứng thư số (sai mục đích sử dụng hoặc thiếu thông tin "
                "về tình trạng thu hồi)."
            )
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None and not (timestamp.intact and timestamp.valid and timestamp.trusted):
        problems.append("Dấu thời gian kèm chữ ký không hợp lệ hoặc không được tin cậy.")
    if not modification_ok:
        problems.append("Văn bản có thay đổi không được phép sau khi ký.")
    return problems


def _failed_verdict(*, embedded: Any, kind: str, pdf: bytes, error: str) -> SignatureVerdict:
    byte_range = tuple(int(v) for v in embedded.byte_range)
    end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else 0
    return SignatureVerdict(
        field_name=embedded.field_name or "",
        kind=kind,
        signer_name="",
        certificate=None,
        ca_name="",
        ca_status=CA_UNKNOWN,
        ca_status_text=CA_STATUS_TEXT[CA_UNKNOWN],
        signing_time=None,
        timestamp_time=None,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        revoked_at=None,
        bottom_line=False,
        modification_level="",
        modification_text=UNKNOWN_CHANGES,
        coverage="",
        byte_range=byte_range,
        revision_end=end,
        revision_sha256=hashlib.sha256(pdf[:end]).hexdigest(),
        covers_whole_file=end == len(pdf),
        verdict="Không kiểm tra được chữ ký",
        problems=(f"Không đọc được chữ ký: {error}",),
        error=error,
    )


def _verdict(
    *,
    embedded: Any,
    kind: str,
    status: Any,
    pdf: bytes,
    own_roots: Sequence[x509.Certificate],
    imported_roots: Sequence[x509.Certificate],
    now: datetime,
) -> SignatureVerdict:
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    embedded_certificates = []
    for choice in embedded.signed_data["certificates"] or ():
        try:
            embedded_certificates.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:
            continue  # attribute certificates and the like
    ca_status, root = _root_of(
        certificate,
        embedded=embedded_certificates,
        own_roots=own_roots,
        imported_roots=imported_roots,
    )
    level, text, modification_ok = _modification(status)
    if not status.intact:
        text = OTHER_CHANGES  # the signed bytes themselves were changed
    if kind == "timestamp":
        signing_time, timestamp_time = None, status.timestamp
        bottom_line = bool(
            status.intact and status.valid and status.trusted and status.docmdp_ok is not False
        )
    else:
        signing_time = status.signer_reported_dt
        timestamp_time = status.timestamp_validity.timestamp if status.timestamp_validity else None
        bottom_line = bool(status.bottom_line)
    problems = _problems(
        status=status,
        ca_status=ca_status,
        certificate=certificate,
        modification_ok=modification_ok,
        now=now,
    )
    if problems:
        bottom_line = False
    byte_range = tuple(int(v) for v in embedded.byte_range)
    end = byte_range[2] + byte_range[3]
    details = _details(certificate)
    return SignatureVerdict(
        field_name=embedded.field_name or "",
        kind=kind,
        signer_name=details.common_name or details.subject,
        certificate=details,
        ca_name=(
            _name_part(root.subject, NameOID.COMMON_NAME) or root.subject.rfc4514_string()
            if root is not None
            else details.issuer_common_name or details.issuer
        ),
        ca_status=ca_status,
        ca_status_text=CA_STATUS_TEXT[ca_status],
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        revoked_at=status.revocation_details.revocation_date if status.revoked else None,
        bottom_line=bottom_line,
        modification_level=level,
        modification_text=text,
        coverage=status.coverage.name if status.coverage is not None else "",
        byte_range=byte_range,
        revision_end=end,
        revision_sha256=hashlib.sha256(pdf[:end]).hexdigest(),
        covers_whole_file=end == len(pdf),
        verdict=(
            ("Chữ ký hợp lệ" if kind == "signature" else "Dấu thời gian hợp lệ")
            if bottom_line
            else ("Chữ ký không hợp lệ" if kind == "signature" else "Dấu thời gian không hợp lệ")
        ),
        problems=tuple(problems),
    )


async def _verify(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    own_roots: Sequence[x509.Certificate],
    revocation: RevocationSource | None = None,
) -> VerificationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import (
        async_validate_pdf_signature,
        async_validate_pdf_timestamp,
    )
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko_certvalidator import ValidationContext

    from .pdf import _asn1_certificate, _embedded_certificates

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sha256 = hashlib.sha256(pdf).hexdigest()
    if reader.encrypted:
        return _error_report(pdf, ENCRYPTED)
    embedded_signatures = list(reader.embedded_signatures)
    if not embedded_signatures:
        return VerificationReport(
            sha256=sha256, size=len(pdf), status=STATUS_UNSIGNED, message=NO_SIGNATURES
        )
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS, or one that cannot be read: validate without it
        dss = None
    own = list(own_roots)
    imported = [r for r in trust_roots if r not in own]
    context_arguments = {
        "trust_roots": [_asn1_certificate(c) for c in [*own, *imported]],
        "crls": [c.public_bytes(serialization.Encoding.DER) for c in crls],
        "allow_fetching": False,
        "revocation_mode": "hard-fail",
    }
    now = datetime.now(UTC)
    signatures, timestamps = [], []
    for embedded in embedded_signatures:
        kind = "timestamp" if embedded.sig_object_type == "/DocTimeStamp" else "signature"
        try:
            arguments = dict(context_arguments)
            if revocation is not None:
                extra_crls, ocsps = revocation(_embedded_certificates(embedded))
                arguments["crls"] = [
                    *arguments["crls"],
                    *(c.public_bytes(serialization.Encoding.DER) for c in extra_crls),
                ]
                arguments["ocsps"] = list(ocsps)
            # a fresh context per signature: pyHanko caches validation results in it
            context = (
                dss.as_validation_context(arguments)
                if dss is not None
                else ValidationContext(**arguments)
            )
            if kind == "timestamp":
                status = await async_validate_pdf_timestamp(embedded, validation_context=context)
            else:
                status = await async_validate_pdf_signature(
                    embedded, signer_validation_context=context
                )
            verdict = _verdict(
                embedded=embedded,
                kind=kind,
                status=status,
                pdf=pdf,
                own_roots=own,
                imported_roots=imported,
                now=now,
            )
        except Exception as error:  # a broken signature is a verdict, not a crash
            logger.info("Signature %s could not be validated: %s", embedded.field_name, error)
            verdict = _failed_verdict(embedded=embedded, kind=kind, pdf=pdf, error=str(error))
        (timestamps if kind == "timestamp" else signatures).append(verdict)
    verdicts = [*signatures, *timestamps]
    is_valid = bool(signatures) and all(v.bottom_line for v in verdicts)
    if not signatures:
        status_name, message = STATUS_INVALID, NO_SIGNATURES
    else:
        status_name = STATUS_VALID if is_valid else STATUS_INVALID
        message = ALL_VALID if is_valid else SOME_INVALID
    return VerificationReport(
        sha256=sha256,
        size=len(pdf),
        status=status_name,
        message=message,
        signatures=tuple(signatures),
        timestamps=tuple(timestamps),
    )


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList] = (),
    own_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationSource | None = None,
) -> VerificationReport:
    """Verify every signature and document time-stamp of `pdf`, offline, at the current time.

    `trust_roots` are every root we trust; those also in `own_roots` are the system's own CA,
    the others are reported as imported. Never raises for bad input: a file that is not a PDF,
    cannot be parsed or is encrypted gives status "error" with a Vietnamese `message`; a PDF
    without signatures status "unsigned" ("Tệp không có chữ ký số").
    """
    from .pdf import _run

    if b"%PDF-" not in pdf[:1024]:
        return _error_report(pdf, NOT_A_PDF)
    try:
        return _run(
            _verify(
                pdf,
                trust_roots=trust_roots,
                crls=crls,
                own_roots=own_roots,
                revocation=revocation,
            )
        )
    except Exception as error:  # unreadable input is reported, not raised
        logger.info("PDF could not be read for verification: %s", error)
        return _error_report(pdf, UNREADABLE)


def pdf_verify_report(*, pdf: bytes) -> VerificationReport:
    """Verify `pdf` against the system's root CA (ours), the imported roots and our current CRL;
    certificates of an imported CA are checked against its CRLs and OCSP answers (fetched)."""
    from .services import _certificate, _crl, ca_get_or_create, revocation_source, trust_roots

    ca = ca_get_or_create()
    return verify_pdf(
        pdf,
        trust_roots=trust_roots(),
        crls=[_crl(ca.crl_pem)],
        own_roots=[_certificate(ca.certificate_pem)],
        revocation=revocation_source(),
    )
