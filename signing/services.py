"""Signing actions: the CA and time-stamping authority, credentials, signing, sealing, verifying.

Each function is one action with keyword-only arguments. The CA, the TSA and each credential are
created on first use; concurrent first uses create one row (SQLite's IMMEDIATE transactions
serialise them; elsewhere a primary key or a partial unique constraint does). Permission to sign
or issue a given plan is checked by the caller (`documents`); these services only check what
signing itself needs.

Keys: a person signs with a key held in their browser, or on their USB token through the signing
agent, enrolled as a `SigningDevice` (the private key never reaches the server). A token's
certificate comes from an external CA and is checked with it (`signing.external`: path to an
imported root, validity, CRL and OCSP) at enrolment and at each signature. A signature is made
in two requests: `signing_session_prepare` keeps the prepared PDF server-side and returns what the
device must sign, `signing_session_finish` checks the answer and completes the PDF (B-T; B-LT for
a token when its CA answers). `_deferred_provider_for` is the one place that decides who answers
for a device's key (`BrowserKeyProvider`, or `HashSigningProvider` for a token). `_provider_for`
decides the same for credentials whose key this server holds (the agency seal; people's
server-held credentials remain for tests and the benchmark).

pyHanko is slow to import (~0.4 s), so `signing.pdf` is imported inside the functions that use it.
Parsed certificates, keys and the time-stamping authority are cached per process, keyed by their
stored text, so a changed row is never served stale.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import logging
import secrets
import threading
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import Unit, User

from . import ca as ca_lib
from . import external
from .keystore import key_decrypt, key_encrypt
from .models import (
    SINGLETON_ID,
    CertificateAuthority,
    Credential,
    EnrolmentChallenge,
    SignatureImage,
    SigningDevice,
    SigningSession,
    TimeStampAuthority,
    TrustRoot,
)
from .providers import (
    BrowserKeyProvider,
    DeferredSignatureProvider,
    HashSigningProvider,
    InvalidSignatureValue,
    PreparedSignature,
    ServerKeyProvider,
    SignatureProvider,
    public_key_verify,
)

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

    from .pdf import Fonts, LocalTimeStampAuthority, SignatureAppearance, SignatureReport

logger = logging.getLogger(__name__)

PERSON_SIGNATURE_FIELD = "signer_signature"
SEAL_SIGNATURE_FIELD = "agency_seal"
# Re-issue the CRL this long before it expires.
CRL_REFRESH_MARGIN = timedelta(days=7)
# Where relying parties fetch the CRL; written into every certificate issued from now on.
DEFAULT_CRL_URL = "http://localhost:8000/signing/ca.crl"


def _crl_url() -> str:
    return getattr(settings, "SIGNING_CRL_URL", DEFAULT_CRL_URL)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@functools.lru_cache(maxsize=256)
def _certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


@functools.lru_cache(maxsize=256)
def _private_key(token: str) -> ca_lib.PrivateKey:
    return key_decrypt(token)


@functools.lru_cache(maxsize=4)
def _crl(pem: str) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl(pem.encode("ascii"))


def _authority(ca: CertificateAuthority) -> ca_lib.KeyPair:
    return ca_lib.KeyPair(
        certificate=_certificate(ca.certificate_pem),
        private_key=_private_key(ca.private_key_encrypted),
    )


# CERTIFICATE AUTHORITY


def ca_get_or_create() -> CertificateAuthority:
    """Return the system's root CA, creating it with an empty CRL on first use.

    Two parallel first uses create one CA. On SQLite the IMMEDIATE transaction's write lock
    serialises them; on PostgreSQL the second INSERT of the singleton primary key waits for the
    first and `get_or_create` then reads the row it committed. The CRL is re-issued when it is
    within `CRL_REFRESH_MARGIN` of expiring.
    """
    ca = CertificateAuthority.objects.filter(pk=SINGLETON_ID).first()
    if ca is None:
        with transaction.atomic():
            ca = CertificateAuthority.objects.select_for_update().filter(pk=SINGLETON_ID).first()
            if ca is None:
                ca = _ca_create()
    if ca.crl_next_update - timezone.now() < CRL_REFRESH_MARGIN:
        ca = _crl_reissue()
    return ca


def _ca_create() -> CertificateAuthority:
    now = timezone.now()
    authority = ca_lib.ca_root_create(province_name=settings.PROVINCE_NAME, now=now)
    crl = ca_lib.ca_build_crl(ca=authority, number=1, now=now)
    ca, _created = CertificateAuthority.objects.get_or_create(
        pk=SINGLETON_ID,
        defaults={
            "certificate_pem": _pem(authority.certificate),
            "private_key_encrypted": key_encrypt(authority.private_key),
            "crl_pem": crl.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "crl_number": 1,
            "crl_next_update": _next_update(crl),
        },
    )
    return ca


def _next_update(crl: x509.CertificateRevocationList) -> datetime:
    """Our CRLs always say when the next one comes (ca_lib.ca_build_crl sets it)."""
    next_update = crl.next_update_utc
    if next_update is None:
        raise RuntimeError("A CRL of the system's CA without nextUpdate.")
    return next_update


@transaction.atomic
def _crl_reissue(*, force: bool = False) -> CertificateAuthority:
    """Sign a new CRL listing every revoked credential and device; holds the CA row lock.

    Without `force` only when due (another process may have re-issued it while we waited for the
    lock); with it at once, as after a revocation.
    """
    ca = CertificateAuthority.objects.select_for_update().get(pk=SINGLETON_ID)
    now = timezone.now()
    if not force and ca.crl_next_update - now >= CRL_REFRESH_MARGIN:
        return ca  # another process re-issued it while we waited for the lock
    # Only what our CA issued: a token's or an imported seal's certificate is another CA's.
    revoked = [
        (int(serial, 16), revoked_at)
        for serial, revoked_at in [
            *Credential.objects.filter(revoked_at__isnull=False, chain_pem="").values_list(
                "serial_number", "revoked_at"
            ),
            *SigningDevice.objects.filter(
                revoked_at__isnull=False, kind=SigningDevice.Kind.BROWSER
            ).values_list("serial", "revoked_at"),
        ]
        if revoked_at is not None
    ]
    crl = ca_lib.ca_build_crl(ca=_authority(ca), number=ca.crl_number + 1, now=now, revoked=revoked)
    ca.crl_pem = crl.public_bytes(serialization.Encoding.PEM).decode("ascii")
    ca.crl_number += 1
    ca.crl_next_update = _next_update(crl)
    ca.save(update_fields=["crl_pem", "crl_number", "crl_next_update"])
    return ca


def trust_pem() -> str:
    """Return the root certificate (PEM) that relying parties import as a trust anchor."""
    return ca_get_or_create().certificate_pem


def crl_pem() -> str:
    """The current certificate revocation list of the system's CA (PEM), re-issued when due."""
    return ca_get_or_create().crl_pem


def _tsa_get_or_create() -> TimeStampAuthority:
    tsa = TimeStampAuthority.objects.filter(pk=SINGLETON_ID).first()
    if tsa is not None:
        return tsa
    ca = ca_get_or_create()
    with transaction.atomic():
        tsa = TimeStampAuthority.objects.select_for_update().filter(pk=SINGLETON_ID).first()
        if tsa is None:
            pair = ca_lib.ca_issue_tsa(
                ca=_authority(ca),
                organisation=f"UBND tỉnh {settings.PROVINCE_NAME}",
                now=timezone.now(),
                crl_url=_crl_url(),
            )
            tsa, _created = TimeStampAuthority.objects.get_or_create(
                pk=SINGLETON_ID,
                defaults={
                    "certificate_pem": _pem(pair.certificate),
                    "private_key_encrypted": key_encrypt(pair.private_key),
                },
            )
    return tsa


#: Time-stampers kept per thread (the last argument of the two below is the thread's id): pyHanko's
#: TimeStamper caches asn1crypto objects that parse themselves lazily, on first use, and two
#: threads parsing one object at once corrupt it — concurrent seals failed with "UTF8String value
#: must be a unicode string, not NoneType" or "No field numbered 5" (tests/signing/test_threads).
TIMESTAMPERS_KEPT = 64


@functools.lru_cache(maxsize=TIMESTAMPERS_KEPT)
def _local_tsa(
    certificate_pem: str, key_token: str, root_pem: str, thread: int
) -> LocalTimeStampAuthority:
    from .pdf import LocalTimeStampAuthority

    private_key = _private_key(key_token)
    assert isinstance(private_key, rsa.RSAPrivateKey)  # ca_issue_tsa makes RSA keys
    return LocalTimeStampAuthority(
        certificate=_certificate(certificate_pem),
        private_key=private_key,
        chain=[_certificate(root_pem)],
    )


@functools.lru_cache(maxsize=TIMESTAMPERS_KEPT)
def _http_tsa(url: str, timeout: float, thread: int) -> TimeStamper:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=timeout)


def _timestamper() -> TimeStamper:
    """The time-stamping authority: an external one (settings.SIGNING_TSA_URL, e.g. the national
    CA's) when configured, else the system's own, run in this process; this thread's own."""
    url = getattr(settings, "SIGNING_TSA_URL", "")
    thread = threading.get_ident()
    if url:
        return _http_tsa(url, float(getattr(settings, "SIGNING_FETCH_TIMEOUT", 5)), thread)
    tsa = _tsa_get_or_create()
    return _local_tsa(tsa.certificate_pem, tsa.private_key_encrypted, trust_pem(), thread)


TSA_UNAVAILABLE = (
    "Không lấy được dấu thời gian từ dịch vụ cấp dấu thời gian; chưa có gì được ký. Vui lòng "
    "thử lại sau ít phút."
)


def _tsa_certificates(timestamper: TimeStamper) -> list[x509.Certificate]:
    """The certificates a token of `timestamper` carries (its own and its issuers')."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    from .pdf import _run

    try:
        token = _run(timestamper.async_dummy_response("sha256"))
    except (TimestampRequestError, OSError) as error:
        raise StateError(TSA_UNAVAILABLE, code="tsa_unavailable") from error
    return [
        x509.load_der_x509_certificate(c.chosen.dump())
        for c in token["content"]["certificates"] or ()
        if c.name == "certificate"
    ]


# CREDENTIALS


def credential_for_person(*, user: User) -> Credential:
    """Return the person's signing credential, creating and certifying a key on first use.

    Certificate subject: CN the person's full name, O their unit, C=VN.
    """
    credential = Credential.objects.filter(
        kind=Credential.Kind.PERSON, user=user, revoked_at__isnull=True
    ).first()
    if credential is not None:
        return credential
    return _credential_create(
        kind=Credential.Kind.PERSON,
        user=user,
        unit=None,
        common_name=user.full_name or user.get_username(),
        organisation=user.unit.name if user.unit else "",
    )


def credential_for_seal(*, unit: Unit) -> Credential:
    """Return the unit's seal credential (khóa con dấu), creating and certifying it on first use."""
    credential = Credential.objects.filter(
        kind=Credential.Kind.SEAL, unit=unit, revoked_at__isnull=True
    ).first()
    if credential is not None:
        return credential
    return _credential_create(
        kind=Credential.Kind.SEAL,
        user=None,
        unit=unit,
        common_name=unit.name,
        organisation=unit.name,
    )


def _credential_create(
    *,
    kind: str,
    user: User | None,
    unit: Unit | None,
    common_name: str,
    organisation: str,
) -> Credential:
    """Create a server-held key and certificate; if a parallel call won, return its credential."""
    authority = _authority(ca_get_or_create())
    key = ca_lib.key_generate_ec()
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=authority,
        public_key=key.public_key(),
        common_name=common_name,
        organisation=organisation,
        now=timezone.now(),
        crl_url=_crl_url(),
    )
    try:
        with transaction.atomic():
            return Credential.objects.create(
                kind=kind,
                user=user,
                unit=unit,
                subject_name=common_name,
                certificate_pem=_pem(certificate),
                private_key_encrypted=key_encrypt(key),
                serial_number=format(certificate.serial_number, "x"),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
            )
    except IntegrityError:
        # The partial unique constraint: another request created this owner's credential first.
        return Credential.objects.get(kind=kind, user=user, unit=unit, revoked_at__isnull=True)


def _provider_for(credential: Credential) -> SignatureProvider:
    """The holder of `credential`'s private key; today always this server."""
    if credential.not_after <= timezone.now():
        raise StateError("Chứng thư ký số đã hết hạn.", code="credential_expired")
    if not credential.private_key_encrypted:
        raise StateError(
            "Khóa bí mật của chứng thư này không do máy chủ lưu giữ.", code="key_not_on_server"
        )
    return ServerKeyProvider(
        certificate=_certificate(credential.certificate_pem),
        private_key=_private_key(credential.private_key_encrypted),
        chain=[_certificate(trust_pem())],
    )


def _fonts() -> Fonts:
    from .pdf import fonts_prepare

    return fonts_prepare(Path(settings.SIGNING_DIR) / "fonts")


# SIGNING AND VERIFYING


def pdf_sign_as_person(
    *,
    pdf: bytes,
    user: User,
    position_line: str,
    appearance: SignatureAppearance | None = None,
    issue_fields: bool = True,
) -> bytes:
    """Sign `pdf` as `user` (PAdES B-T, visible) and return the signed PDF.

    The appearance goes between the line `position_line` of the signature block (e.g. "PHÓ CHỦ
    TỊCH") and the name below it, on the last page. It shows `appearance`, by default the user's
    name, position and the current local time. With `issue_fields` (the default, for documents the
    clerk numbers at issuance) the empty number and date fields are added first if missing,
    so that filling them later keeps this signature valid. Raises `InvalidInput` if the position
    line or the blank number/date is not found.
    """
    from .pdf import SignatureAppearance, pdf_add_issue_fields, pdf_sign

    if issue_fields:
        pdf = pdf_add_issue_fields(pdf, fonts=_fonts())
    appearance = appearance or SignatureAppearance(
        signer_name=user.full_name or user.get_username(),
        position=user.position or position_line,
        signed_at=timezone.localtime(),
    )
    return pdf_sign(
        pdf,
        signer=_provider_for(credential_for_person(user=user)),
        field_name=PERSON_SIGNATURE_FIELD,
        anchor_text=position_line,
        appearance=appearance,
        timestamper=_timestamper(),
        fonts=_fonts(),
    )


def pdf_anchors_find(*, pdf: bytes, position_line: str) -> dict[str, Any]:
    """Where the blanks, the signature box and the verification link go on `pdf` (one reading);
    JSON to keep with the rendered PDF and give to `signing_session_prepare` and
    `pdf_issue_with_seal`."""
    from .pdf import pdf_anchors

    return pdf_anchors(pdf, position_line=position_line, fonts=_fonts()).to_json()


def pdf_issue_check(*, pdf: bytes) -> None:
    """Refuse (`StateError` "not_signed") a PDF without a valid, trusted signature of the
    competent person: ND30 Điều 32.2.d, the clerk seals only what that person has signed."""
    leader_signed = any(
        report.field_name == PERSON_SIGNATURE_FIELD and report.bottom_line
        for report in pdf_verify(pdf=pdf)
    )
    if not leader_signed:
        raise StateError(
            "Văn bản chưa có chữ ký số hợp lệ của người có thẩm quyền nên chưa thể phát hành.",
            code="not_signed",
        )


def pdf_issue_preview(*, pdf: bytes, number_text: str, date_text: str) -> bytes:
    """The signed `pdf` as issuing will print it (number and date filled the same way), unsealed
    and marked "BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH" at the foot of every page, for the clerk to read first.
    Arguments as `pdf_issue_with_seal`."""
    from .pdf import pdf_issue_preview as preview

    return preview(
        pdf, number_text=number_text.strip(), date_text=date_text.strip(), fonts=_fonts()
    )


def pdf_issue_with_seal(
    *,
    pdf: bytes,
    unit: Unit,
    number_text: str,
    date_text: str,
    verify_url: str | None = None,
    anchors: dict[str, Any] | None = None,
    leader_checked: bool = False,
) -> bytes:
    """Fill in the number and date of a signed PDF and add `unit`'s seal signature (PAdES B-LTA).

    `number_text` is the number before "/KH-…" (e.g. "262"), `date_text` the words from "ngày" to
    the end of the date line (e.g. "ngày 22 tháng 11 năm 2026"). ND30 Điều 32.2.d: the clerk seals
    only what the competent person has signed, so a PDF without a valid, trusted signature of that
    person is refused with `StateError`; so is one whose number and date were already filled.
    The seal key is the one `signing.seal.seal_provider` picks (settings.SEAL_KEY_BACKEND). With
    `verify_url` (the public verification page of this document), the seal also shows a QR code
    of it and the text "Kiểm tra văn bản tại: <verify_url>" at the bottom of page 1.
    `anchors` (`pdf_anchors_find` of the rendered PDF) spare reading the PDF to place the link;
    `leader_checked` says the caller has just run `pdf_issue_check` on these bytes.
    """
    from .pdf import PdfAnchors, pdf_fill_issue_fields_and_seal
    from .seal import seal_provider
    from .seal_image import seal_png

    number_text, date_text = number_text.strip(), date_text.strip()
    if not number_text or not date_text:
        raise InvalidInput("Cần nhập số và ngày ban hành văn bản.", code="issue_fields_empty")
    if not leader_checked:
        pdf_issue_check(pdf=pdf)
    seal = seal_provider(unit=unit)
    timestamper = _timestamper()
    # The seal's certificate and the time-stamp's may come from an imported CA (a seal token
    # certified by the national CA, the national time-stamping service): their paths and
    # revocation data go into the PDF too (B-LTA).
    revocation = _revocation_for([seal.certificate, *seal.chain, *_tsa_certificates(timestamper)])
    return pdf_fill_issue_fields_and_seal(
        pdf,
        number_text=number_text,
        date_text=date_text,
        seal=seal,
        seal_png=seal_png(ring_text=unit.name),
        over_field=PERSON_SIGNATURE_FIELD,
        field_name=SEAL_SIGNATURE_FIELD,
        trust_roots=trust_roots(),
        crls=[_crl(ca_get_or_create().crl_pem), *revocation.crls],
        ocsps=revocation.ocsp_responses,
        timestamper=timestamper,
        fonts=_fonts(),
        verify_url=verify_url,
        anchors=PdfAnchors.from_json(anchors) if anchors else None,
    )


def pdf_verify(*, pdf: bytes) -> list[SignatureReport]:
    """Validate every signature and document time-stamp of `pdf` against the trusted roots.

    Trust is our root and the imported ones (`trust_roots`); revocation our current CRL and, for
    certificates of an imported CA, its CRLs and OCSP answers (`revocation_source`). Never raises
    for bad or foreign signatures; see `signing.pdf.pdf_validate`.
    """
    from .pdf import pdf_validate

    ca = ca_get_or_create()
    return pdf_validate(
        pdf, trust_roots=trust_roots(), crls=[_crl(ca.crl_pem)], revocation=revocation_source()
    )


# TRUST ROOTS


def trust_roots() -> list[x509.Certificate]:
    """Every CA that validation trusts: the system's root, then the imported ones (oldest first)."""
    roots = [_certificate(ca_get_or_create().certificate_pem)]
    roots += [_certificate(pem) for pem in TrustRoot.objects.values_list("pem", flat=True)]
    return roots


def trust_root_list() -> list[TrustRoot]:
    """The imported roots, oldest first."""
    return list(TrustRoot.objects.all())


def trust_root_import(*, pem: str, actor: User) -> TrustRoot:
    """An administrator imports the CA certificate of another authority (e.g. the government CA).

    `pem` is one certificate with BasicConstraints ca=True, not expired. Signatures chaining to it
    validate from then on (`pdf_verify`). Raises `PermissionDenied` unless `actor.is_staff`,
    `InvalidInput` for anything that is not a valid CA certificate, `StateError` if it is trusted
    already.
    """
    if not actor.is_staff:
        raise PermissionDenied("Chỉ quản trị viên mới được nhập chứng thư gốc.", code="staff_only")
    text = pem.strip() if isinstance(pem, str) else ""
    try:
        certificate = x509.load_pem_x509_certificate(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise InvalidInput(
            "Không đọc được chứng thư: cần một chứng thư X.509 dạng PEM "
            "(“-----BEGIN CERTIFICATE-----”).",
            code="bad_certificate",
        ) from error
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise InvalidInput(
            "Chứng thư này không phải của một tổ chức chứng thực (thiếu BasicConstraints CA=True).",
            code="not_a_ca",
        )
    if certificate.not_valid_after_utc <= timezone.now():
        raise InvalidInput("Chứng thư gốc này đã hết hạn.", code="certificate_expired")
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    ours = _certificate(ca_get_or_create().certificate_pem)
    if fingerprint == ours.fingerprint(hashes.SHA256()).hex():
        raise StateError(
            "Đây là chứng thư gốc của chính hệ thống, đã được tin cậy.", code="trust_root_exists"
        )
    try:
        with transaction.atomic():
            return TrustRoot.objects.create(
                pem=_pem(certificate),
                subject=certificate.subject.rfc4514_string()[:1000],
                fingerprint_sha256=fingerprint,
                imported_by=actor,
            )
    except IntegrityError as error:
        raise StateError("Chứng thư gốc này đã được nhập.", code="trust_root_exists") from error


# CERTIFICATES OF IMPORTED CAS (USB TOKENS, A SEAL TOKEN, AN EXTERNAL TIME-STAMPING SERVICE)

NO_TRUST_ROOTS = (
    "Hệ thống chưa nhập chứng thư gốc của tổ chức chứng thực nào (ví dụ của Ban Cơ yếu Chính "
    "phủ), nên chưa nhận chứng thư số từ USB token; quản trị viên cần nhập chứng thư gốc trước."
)


@functools.lru_cache(maxsize=1)
def _fetcher() -> external.Fetcher:
    """Fetches CRLs, OCSP answers and issuer certificates for this process (with its caches)."""
    return external.Fetcher(timeout=float(getattr(settings, "SIGNING_FETCH_TIMEOUT", 5)))


def imported_roots() -> list[x509.Certificate]:
    """The CA roots imported by an administrator (not the system's own), oldest first."""
    return [_certificate(pem) for pem in TrustRoot.objects.values_list("pem", flat=True)]


@functools.lru_cache(maxsize=256)
def _chain(pem: str) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(pem.encode("ascii"))) if pem.strip() else ()


def _chain_pem(certificates: Sequence[x509.Certificate]) -> str:
    return "".join(_pem(c) for c in certificates)


def external_certificate_check(
    *,
    certificate: x509.Certificate,
    intermediates: Sequence[x509.Certificate] = (),
    fresh: bool = True,
) -> external.CheckedCertificate:
    """Check a certificate of an external CA now: path to an imported root, validity, usage, not
    revoked (CRL and OCSP, fetched). Raises `external.CertificateProblem` (see `signing.external`).
    """
    roots = imported_roots()
    if not roots:
        raise external.CertificateProblem("no_trust_roots", NO_TRUST_ROOTS)
    return external.certificate_check(
        certificate,
        intermediates=intermediates,
        roots=roots,
        fetcher=_fetcher(),
        now=timezone.now(),
        fresh=fresh,
    )


def _revocation_for(
    certificates: Sequence[x509.Certificate], *, roots: Sequence[x509.Certificate] | None = None
) -> external.RevocationData:
    """The CRLs and OCSP answers an imported CA gives about `certificates` (and their issuers).

    Pass `roots` (the imported ones) to call this where the database must not be used.
    """
    roots = imported_roots() if roots is None else roots
    if not roots:
        return external.RevocationData()
    return external.revocation_data(
        certificates,
        pool=list(certificates),
        roots=roots,
        fetcher=_fetcher(),
        now=timezone.now(),
    )


def revocation_source() -> Callable[
    [Sequence[x509.Certificate]],
    tuple[list[x509.CertificateRevocationList], list[bytes]],
]:
    """What validation checks revocation against beyond our CRL: the CRLs and OCSP answers of the
    imported CAs, fetched (`signing.pdf`'s hook; it reads no database, the roots are read now)."""
    roots = imported_roots()

    def source(
        certificates: Sequence[x509.Certificate],
    ) -> tuple[list[x509.CertificateRevocationList], list[bytes]]:
        data = _revocation_for(certificates, roots=roots)
        return list(data.crls), list(data.ocsp_responses)

    return source


def _name_key(name: str) -> str:
    """A person's name without case, diacritics or extra spaces: "Nguyễn  Văn Đức" → "nguyen van duc"."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.casefold().split())


def names_match(certificate_name: str, person_name: str) -> bool:
    """True if the name in a certificate is the person's, ignoring case, diacritics and spacing
    (certificates write "NGUYỄN VĂN A" or "Nguyen Van A" as often as "Nguyễn Văn A")."""
    key = _name_key(person_name)
    return bool(key) and _name_key(certificate_name) == key


# SIGNATURE IMAGES

SIGNATURE_IMAGE_MAX_BYTES = 1024 * 1024
SIGNATURE_IMAGE_MAX_SIDE = 3000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def signature_image_upload(*, user: User, png: bytes) -> SignatureImage:
    """Store the image of `user`'s handwritten signature, replacing the previous one.

    ND30 Phụ lục I II.7.d: blue ink, PNG with a transparent background; it is drawn centred
    between the position line and the name of every signature the person makes from now on.
    Checked here: PNG, at most 1 MB and 3000 px a side, with an alpha channel (or a transparent
    colour). Raises `InvalidInput` otherwise.
    """
    from PIL import Image, UnidentifiedImageError

    if len(png) > SIGNATURE_IMAGE_MAX_BYTES:
        raise InvalidInput("Ảnh chữ ký không được lớn hơn 1 MB.", code="image_too_large")
    if not png.startswith(PNG_MAGIC):
        raise InvalidInput("Ảnh chữ ký phải là tệp PNG.", code="image_not_png")
    try:
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size  # from the header, before decoding anything
            if max(width, height) > SIGNATURE_IMAGE_MAX_SIDE:
                raise InvalidInput(
                    f"Ảnh chữ ký quá lớn ({width}×{height} điểm ảnh; tối đa "
                    f"{SIGNATURE_IMAGE_MAX_SIDE} mỗi chiều).",
                    code="image_too_large",
                )
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidInput("Không đọc được tệp PNG (tệp bị hỏng).", code="image_broken") from error
    if not has_alpha:
        raise InvalidInput(
            "Ảnh chữ ký phải có nền trong suốt (PNG có kênh alpha), theo Nghị định 30/2020/NĐ-CP.",
            code="image_not_transparent",
        )
    image_row, _created = SignatureImage.objects.update_or_create(
        user=user,
        defaults={
            "png": png,
            "sha256": hashlib.sha256(png).hexdigest(),
            "uploaded_at": timezone.now(),
        },
    )
    return image_row


def signature_image_get(*, user: User) -> SignatureImage | None:
    """The person's current signature image, or None if they have not uploaded one."""
    return SignatureImage.objects.filter(user=user).first()


# SIGNING DEVICES (BROWSER KEYS)

CHALLENGE_VALIDITY = timedelta(minutes=5)
NONCE_BYTES = 32
DEVICE_LABEL_MAX = 100


def _device_roles() -> tuple[str, ...]:
    """Roles that may enrol a signing device (settings.SIGNING_DEVICE_ROLES; signers by default)."""
    return tuple(getattr(settings, "SIGNING_DEVICE_ROLES", (User.Role.SIGNER,)))


def ensure_may_enrol(user: User) -> None:
    """Raise `PermissionDenied` unless `user`'s role may enrol signing devices."""
    if user.role not in _device_roles():
        raise PermissionDenied(
            "Chỉ người có thẩm quyền ký mới được đăng ký thiết bị ký số.", code="not_a_signer"
        )


def enrolment_challenge_create(*, user: User) -> EnrolmentChallenge:
    """A fresh random nonce (32 bytes) for `user`'s new device to sign; single use, 5 minutes."""
    ensure_may_enrol(user)
    now = timezone.now()
    EnrolmentChallenge.objects.filter(user=user, expires_at__lt=now).delete()
    return EnrolmentChallenge.objects.create(
        user=user,
        nonce=secrets.token_bytes(NONCE_BYTES),
        created_at=now,
        expires_at=now + CHALLENGE_VALIDITY,
    )


def _challenge_consume(*, user: User, nonce: bytes) -> None:
    """Mark `user`'s challenge `nonce` used (committed even if the proof then fails)."""
    now = timezone.now()
    with transaction.atomic():
        challenge = (
            EnrolmentChallenge.objects.select_for_update()
            .filter(user=user, nonce=nonce, used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if challenge is None:
            raise InvalidInput(
                "Mã thử thách không hợp lệ, đã được dùng hoặc đã hết hạn; vui lòng thử lại.",
                code="bad_nonce",
            )
        challenge.used_at = now
        challenge.save(update_fields=["used_at"])


def _p256_public_key(spki: bytes) -> ec.EllipticCurvePublicKey:
    try:
        public_key = serialization.load_der_public_key(spki)
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "Khóa công khai không hợp lệ: cần SubjectPublicKeyInfo (DER) của khóa ECDSA P-256.",
            code="bad_public_key",
        ) from error
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise InvalidInput("Chỉ nhận khóa ECDSA trên đường cong P-256.", code="bad_public_key")
    return public_key


def device_enrol(
    *, user: User, label: str, spki: bytes, nonce: bytes, proof: bytes
) -> SigningDevice:
    """Certify a key that `user` holds in a browser, after it proved possession of it.

    `spki` is the DER SubjectPublicKeyInfo of an EC P-256 key (WebCrypto `exportKey("spki")`);
    `proof` its ECDSA-SHA256 signature over the raw bytes of a nonce from
    `enrolment_challenge_create` (r‖s as WebCrypto gives it, or DER). The nonce is used up by
    this call whatever the outcome. The certificate says CN the person's name, O their unit, C=VN.
    Raises `PermissionDenied` for a user who may not enrol, `InvalidInput` for a bad label, key,
    nonce or proof, or a key enrolled before.
    """
    ensure_may_enrol(user)
    label = (label or "").strip() if isinstance(label, str) else ""
    if not label or len(label) > DEVICE_LABEL_MAX:
        raise InvalidInput(
            f"Vui lòng đặt tên cho thiết bị (tối đa {DEVICE_LABEL_MAX} ký tự).", code="bad_label"
        )
    public_key = _p256_public_key(spki)
    _challenge_consume(user=user, nonce=nonce)
    try:
        public_key_verify(public_key, nonce, proof)
    except InvalidSignatureValue as error:
        raise InvalidInput(
            "Không chứng minh được quyền giữ khóa: chữ ký trên mã thử thách không khớp với khóa "
            "công khai.",
            code="bad_proof",
        ) from error
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_hash = hashlib.sha256(spki).hexdigest()
    if SigningDevice.objects.filter(public_key_sha256=key_hash).exists():
        raise InvalidInput("Khóa này đã được đăng ký trước đây.", code="key_enrolled")
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=_authority(ca_get_or_create()),
        public_key=public_key,
        common_name=user.full_name or user.get_username(),
        organisation=user.unit.name if user.unit else "",
        now=timezone.now(),
        crl_url=_crl_url(),
    )
    try:
        with transaction.atomic():
            return SigningDevice.objects.create(
                user=user,
                label=label,
                public_key_der=spki,
                public_key_sha256=key_hash,
                certificate_pem=_pem(certificate),
                subject_name=user.full_name or user.get_username(),
                issuer_name=external.common_name(certificate.issuer),
                fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
                serial=format(certificate.serial_number, "x"),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
            )
    except IntegrityError as error:
        raise InvalidInput("Khóa này đã được đăng ký trước đây.", code="key_enrolled") from error


# SIGNING DEVICES (USB TOKENS, THROUGH THE SIGNING AGENT)

TOKEN_KEY_TYPES = "RSA (2048 bit trở lên) hoặc ECDSA P-256/P-384/P-521"


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise InvalidInput(
            "Không đọc được chứng thư số: cần một chứng thư X.509 (DER hoặc PEM).",
            code="bad_certificate",
        ) from error


def _ensure_token_key(public_key: object) -> None:
    supported = (isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= 2048) or (
        isinstance(public_key, ec.EllipticCurvePublicKey)
        and public_key.curve.name in ("secp256r1", "secp384r1", "secp521r1")
    )
    if not supported:
        raise InvalidInput(
            f"Loại khóa của chứng thư này không được hỗ trợ; cần {TOKEN_KEY_TYPES}.",
            code="bad_public_key",
        )


def _certificate_refusal(problem: external.CertificateProblem) -> InvalidInput | StateError:
    """A problem of the certificate itself is bad input; an unreachable CA is a state to retry."""
    if problem.code == "revocation_unavailable":
        return StateError(problem.message, code=problem.code)
    return InvalidInput(problem.message, code=problem.code)


def token_device_enrol(
    *,
    user: User,
    label: str,
    certificate: bytes,
    chain: Sequence[bytes],
    nonce: bytes,
    proof: bytes,
) -> SigningDevice:
    """Enrol the certificate of a key on `user`'s USB token, read through the signing agent.

    The certificate comes from an external CA. `chain` holds issuer certificates found on the
    token (DER or PEM; the AIA address is used for a missing one). `proof` is the token key's
    signature over SHA-256(nonce) of a nonce from `enrolment_challenge_create` (used up by this
    call whatever the outcome): RSASSA-PKCS1-v1_5, or ECDSA r‖s or DER. Then, in this order:
    the certificate must chain to an imported root, be valid now, be meant for signing and not be
    revoked — CRL and, when it names one, OCSP (`signing.external`). Its name is compared with
    the person's (ignoring case and diacritics): a match makes the device usable at once, a
    mismatch leaves it "pending" until a staff member confirms it (`device_confirm`).

    Raises `PermissionDenied` for a user who may not enrol; `InvalidInput` for a bad certificate,
    key, label, nonce or proof, a key enrolled already, or a certificate refused by the checks
    (its code says why: untrusted_root, certificate_expired, certificate_revoked, …);
    `StateError` "revocation_unavailable" when the CA cannot be reached. Nothing is stored then.
    """
    ensure_may_enrol(user)
    parsed = _load_certificate(certificate)
    intermediates = [_load_certificate(c) for c in list(chain)[:10]]
    public_key = parsed.public_key()
    _ensure_token_key(public_key)
    subject = external.common_name(parsed.subject)
    label = (label.strip() if isinstance(label, str) else "") or f"USB token – {subject}"[:100]
    if len(label) > DEVICE_LABEL_MAX:
        raise InvalidInput(f"Tên thiết bị tối đa {DEVICE_LABEL_MAX} ký tự.", code="bad_label")
    _challenge_consume(user=user, nonce=nonce)
    try:
        public_key_verify(public_key, hashlib.sha256(nonce).digest(), proof, prehashed=True)
    except InvalidSignatureValue as error:
        raise InvalidInput(
            "Không chứng minh được quyền giữ khóa: chữ ký của USB token trên mã thử thách không "
            "khớp với chứng thư.",
            code="bad_proof",
        ) from error
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_hash = hashlib.sha256(spki).hexdigest()
    if SigningDevice.objects.filter(public_key_sha256=key_hash, revoked_at__isnull=True).exists():
        raise InvalidInput("Chứng thư này đã được đăng ký.", code="key_enrolled")
    try:
        checked = external_certificate_check(certificate=parsed, intermediates=intermediates)
    except external.CertificateProblem as problem:
        raise _certificate_refusal(problem) from problem
    matches = names_match(subject, user.full_name or "")
    now = timezone.now()
    try:
        with transaction.atomic():
            return SigningDevice.objects.create(
                user=user,
                kind=SigningDevice.Kind.TOKEN,
                status=SigningDevice.Status.ACTIVE if matches else SigningDevice.Status.PENDING,
                label=label,
                public_key_der=spki,
                public_key_sha256=key_hash,
                certificate_pem=_pem(parsed),
                chain_pem=_chain_pem(checked.chain),
                subject_name=subject[:255],
                issuer_name=external.common_name(parsed.issuer)[:255],
                fingerprint_sha256=parsed.fingerprint(hashes.SHA256()).hex(),
                serial=format(parsed.serial_number, "x"),
                not_before=parsed.not_valid_before_utc,
                not_after=parsed.not_valid_after_utc,
                confirmed_at=now if matches else None,
            )
    except IntegrityError as error:
        raise InvalidInput("Chứng thư này đã được đăng ký.", code="key_enrolled") from error


def _ensure_staff(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied(
            "Chỉ quản trị viên mới được xác nhận chứng thư số.", code="staff_only"
        )


def device_list_pending(*, actor: User) -> list[SigningDevice]:
    """Token devices waiting for a staff member's confirmation (their name did not match)."""
    _ensure_staff(actor)
    return list(
        SigningDevice.objects.filter(
            kind=SigningDevice.Kind.TOKEN,
            status=SigningDevice.Status.PENDING,
            revoked_at__isnull=True,
        )
        .select_related("user", "user__unit")
        .order_by("created_at", "id")
    )


@transaction.atomic
def device_confirm(*, device_id: int, actor: User) -> SigningDevice:
    """A staff member confirms that a pending token certificate is the person's own.

    The certificate's name differed from the person's (e.g. another spelling); from now on the
    device signs. Refusing is revoking it (`device_revoke`). Raises `PermissionDenied` unless
    `actor.is_staff`, `NotFound`, `StateError` for a revoked device or one not pending.
    """
    _ensure_staff(actor)
    device = SigningDevice.objects.select_for_update().filter(pk=device_id).first()
    if device is None:
        raise NotFound("Không tìm thấy thiết bị ký.", code="device_not_found")
    if device.revoked_at is not None:
        raise StateError("Thiết bị ký này đã bị thu hồi.", code="device_revoked")
    if not device.is_pending:
        raise StateError("Thiết bị ký này không chờ xác nhận.", code="device_not_pending")
    device.status = SigningDevice.Status.ACTIVE
    device.confirmed_at, device.confirmed_by = timezone.now(), actor
    device.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    return device


def device_list_of(*, user: User) -> list[SigningDevice]:
    """The person's devices, newest first, revoked ones included."""
    return list(SigningDevice.objects.filter(user=user))


@transaction.atomic
def device_revoke(*, device_id: int, actor: User) -> SigningDevice:
    """Revoke a device's certificate: the owner or an administrator (`is_staff`).

    The CRL is re-issued at once, and every later signature with the device is refused (open
    signing sessions included). Raises `NotFound` for a device the actor may not see,
    `StateError` if it is revoked already.
    """
    device = SigningDevice.objects.select_for_update().filter(pk=device_id).first()
    if device is None or (device.user_id != actor.pk and not actor.is_staff):
        raise NotFound("Không tìm thấy thiết bị ký.", code="device_not_found")
    if device.revoked_at is not None:
        raise StateError("Thiết bị ký này đã bị thu hồi trước đó.", code="device_revoked")
    device.revoked_at, device.revoked_by = timezone.now(), actor
    device.save(update_fields=["revoked_at", "revoked_by"])
    _crl_reissue(force=True)
    return device


def _ensure_device_usable(device: SigningDevice, *, fresh: bool = True) -> None:
    """Refuse a revoked or pending device, or one whose certificate is not valid now or revoked.

    A browser key's certificate is checked against our CRL; a token's against its CA, fetched:
    with `fresh` (when preparing) the CA must answer; without it (when finishing, minutes later)
    an unreachable CA is tolerated, since the check at preparation passed.
    """
    now = timezone.now()
    if device.revoked_at is not None:
        raise PermissionDenied(
            "Chứng thư của thiết bị ký này đã bị thu hồi; không thể ký bằng thiết bị này.",
            code="device_revoked",
        )
    if device.is_pending:
        raise PermissionDenied(
            "Chứng thư trên USB token này có tên khác với tên của bạn nên đang chờ quản trị viên "
            "xác nhận; chưa thể ký bằng chứng thư này.",
            code="device_pending",
        )
    if not device.not_before <= now < device.not_after:
        raise PermissionDenied(
            "Chứng thư của thiết bị ký này đã hết hạn hoặc chưa có hiệu lực.",
            code="certificate_expired",
        )
    if device.is_token:
        try:
            external_certificate_check(
                certificate=_certificate(device.certificate_pem),
                intermediates=_chain(device.chain_pem),
                fresh=fresh,
            )
        except external.CertificateProblem as problem:
            if problem.code == "revocation_unavailable":
                if not fresh:
                    logger.warning("Token certificate %s: %s", device.serial, problem.message)
                    return
                raise StateError(problem.message, code=problem.code) from problem
            raise PermissionDenied(problem.message, code=problem.code) from problem
        return
    crl = _crl(ca_get_or_create().crl_pem)
    if crl.get_revoked_certificate_by_serial_number(int(device.serial, 16)) is not None:
        raise PermissionDenied(
            "Chứng thư của thiết bị ký này có trong danh sách thu hồi (CRL).",
            code="device_revoked",
        )


def _deferred_provider_for(device: SigningDevice) -> DeferredSignatureProvider:
    """Who answers for `device`'s key. The one place to plug in another kind of key holder.

    A WebCrypto key signs the DER signed attributes (`BrowserKeyProvider`); a USB token, through
    the signing agent, signs their SHA-256 digest (`HashSigningProvider`), and its certificate
    comes with the chain of its CA. Nothing above (documents, workflows) changes.
    """
    if device.is_token:
        return HashSigningProvider(
            certificate=_certificate(device.certificate_pem), chain=_chain(device.chain_pem)
        )
    return BrowserKeyProvider(
        certificate=_certificate(device.certificate_pem),
        chain=[_certificate(trust_pem())],
    )


# DEFERRED SIGNING (PREPARE IN ONE REQUEST, FINISH IN THE NEXT)

SESSION_VALIDITY = timedelta(minutes=10)
# Sessions are kept this long after they expire, to tell "expired" from "unknown".
SESSION_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class PendingSignature:
    """A prepared session and what the key holder must sign (`to_be_signed`, with `algorithm`)."""

    session: SigningSession
    to_be_signed: bytes
    algorithm: str


def signing_session_prepare(
    *,
    user: User,
    device_id: int,
    pdf: bytes,
    position_line: str,
    document_id: int,
    version_id: int,
    version_number: int,
    content_sha256: str,
    appearance: SignatureAppearance | None = None,
    issue_fields: bool = True,
    anchors: dict[str, Any] | None = None,
) -> PendingSignature:
    """Prepare `user`'s signature of `pdf` with the device `device_id`; keep it as a session.

    The issue-number and date fields are added first (`issue_fields`), then the signature field
    between `position_line` and the name on the last page, showing the person's signature image
    (if uploaded) and "Ký bởi / Chức vụ / Thời gian" (`appearance`, by default their name,
    position and now). B-T: the system TSA's token is sized in now and added at finish. Nothing
    but the session row is written. Raises `NotFound` for a device that is not the user's,
    `PermissionDenied` for a revoked or expired one, `InvalidInput` if the position line or the
    blank number/date is not found. `anchors` (`pdf_anchors_find` of this PDF) spare reading the
    PDF again to find the blanks and the box.
    """
    from .pdf import PdfAnchors, SignatureAppearance, pdf_add_issue_fields, pdf_prepare_signature

    device = SigningDevice.objects.filter(pk=device_id, user=user).first()
    if device is None:
        raise NotFound("Không tìm thấy thiết bị ký của bạn.", code="device_not_found")
    _ensure_device_usable(device)
    provider = _deferred_provider_for(device)
    base_sha256 = hashlib.sha256(pdf).hexdigest()
    found = PdfAnchors.from_json(anchors) if anchors else None
    if issue_fields:
        pdf = pdf_add_issue_fields(pdf, fonts=_fonts(), anchors=found)
    image = signature_image_get(user=user)
    now = timezone.now()
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    try:
        prepared = pdf_prepare_signature(
            pdf,
            signer=provider,
            field_name=PERSON_SIGNATURE_FIELD,
            anchor_text=position_line,
            appearance=appearance
            or SignatureAppearance(
                signer_name=user.full_name or user.get_username(),
                position=user.position or position_line,
                signed_at=timezone.localtime(now),
            ),
            timestamper=_timestamper(),
            signature_png=bytes(image.png) if image is not None else None,
            fonts=_fonts(),
            anchors=found,
        )
    except TimestampRequestError as error:  # an external TSA that does not answer
        raise StateError(TSA_UNAVAILABLE, code="tsa_unavailable") from error
    SigningSession.objects.filter(user=user, expires_at__lt=now - SESSION_RETENTION).delete()
    session = SigningSession.objects.create(
        user=user,
        device=device,
        document_id=document_id,
        version_id=version_id,
        version_number=version_number,
        field_name=PERSON_SIGNATURE_FIELD,
        prepared_pdf=prepared.prepared_pdf,
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_start,
        reserved_end=prepared.reserved_end,
        signed_attributes=prepared.signed_attributes,
        base_pdf_sha256=base_sha256,
        content_sha256=content_sha256,
        created_at=now,
        expires_at=now + SESSION_VALIDITY,
    )
    return PendingSignature(
        session=session,
        to_be_signed=provider.to_be_signed(prepared.signed_attributes),
        algorithm=provider.algorithm,
    )


def signing_session_get(*, session_id: object, user: User) -> SigningSession:
    """`user`'s open session `session_id`, locked until the transaction ends.

    Raises `InvalidInput` for an id that is not a UUID, `NotFound` for a session that is not the
    user's, `StateError` for one used or expired.
    """
    try:
        key = uuid.UUID(str(session_id))
    except ValueError as error:
        raise InvalidInput("Mã phiên ký không hợp lệ.", code="bad_session") from error
    session = (
        SigningSession.objects.select_for_update()
        .select_related("device")
        .filter(pk=key, user=user)
        .first()
    )
    if session is None:
        raise NotFound("Không tìm thấy phiên ký.", code="session_not_found")
    if session.used_at is not None:
        raise StateError("Phiên ký này đã được dùng.", code="session_used")
    if session.expires_at <= timezone.now():
        raise StateError(
            "Phiên ký đã hết hạn; vui lòng mở lại văn bản và ký lại.", code="session_expired"
        )
    return session


def signing_session_finish(*, session: SigningSession, signature: bytes) -> bytes:
    """Check the device's answer and complete the prepared PDF; mark the session used.

    Call while holding the session's lock (`signing_session_get`), after the caller checked that
    what was prepared is still what must be signed. `signature` is the key holder's answer over
    `to_be_signed` (r‖s or DER for ECDSA; PKCS#1 v1.5 for an RSA token). The device must still
    be usable (not revoked, its certificate valid and not on the CRL, or for a token not revoked
    by its CA). Returns the signed PDF: PAdES B-T, and for a token B-LT when its validation data
    can be fetched. Raises `PermissionDenied` for a revoked or expired device, `InvalidInput` if
    the signature is malformed or does not verify with the device's certificate, `StateError`
    if the time-stamping service does not answer.
    """
    from .pdf import pdf_finish_signature

    device = SigningDevice.objects.select_for_update().get(pk=session.device_id)
    _ensure_device_usable(device, fresh=False)
    provider = _deferred_provider_for(device)
    signed_attributes = bytes(session.signed_attributes)
    try:
        value = provider.signature_value(signed_attributes, bytes(signature))
    except InvalidSignatureValue as error:
        raise InvalidInput(
            "Chữ ký số không hợp lệ: không khớp với chứng thư của thiết bị ký hoặc sai định dạng "
            "(ECDSA P-256: 64 byte r‖s hoặc DER).",
            code="bad_signature",
        ) from error
    prepared = PreparedSignature(
        prepared_pdf=bytes(session.prepared_pdf),
        document_digest=bytes(session.document_digest),
        reserved_start=session.reserved_start,
        reserved_end=session.reserved_end,
        signed_attributes=signed_attributes,
        certificate=provider.certificate,
        chain=tuple(provider.chain),
    )
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    try:
        signed = pdf_finish_signature(prepared, signature_value=value, timestamper=_timestamper())
    except TimestampRequestError as error:
        raise StateError(TSA_UNAVAILABLE, code="tsa_unavailable") from error
    if device.is_token:
        signed = _with_validation_data(signed, field_name=session.field_name)
    session.used_at = timezone.now()
    session.save(update_fields=["used_at"])
    return signed


def _with_validation_data(pdf: bytes, *, field_name: str) -> bytes:
    """PAdES B-LT: embed the signature's validation data (chains, CRLs, OCSP answers) if they can
    be fetched; otherwise keep the B-T signature as it is (it validates online later)."""
    from .pdf import pdf_add_validation_info, pdf_signature_certificates

    try:
        certificates = pdf_signature_certificates(pdf, field_name)
        data = _revocation_for(certificates)
        return pdf_add_validation_info(
            pdf,
            field_name=field_name,
            trust_roots=trust_roots(),
            crls=[_crl(ca_get_or_create().crl_pem), *data.crls],
            ocsps=data.ocsp_responses,
        )
    except Exception as error:  # any failure leaves a valid B-T signature
        logger.warning("Validation data not embedded (kept PAdES B-T): %s", error)
        return pdf


# ENCODING AT THE EDGES


def base64_field(value: object, *, name: str) -> bytes:
    """Decode a base64 (standard or URL-safe, padding optional) request field, or `InvalidInput`."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"Thiếu trường “{name}” (base64).", code="missing_field")
    text = "".join(value.split()).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(
            f"Trường “{name}” không phải base64 hợp lệ.", code="bad_base64"
        ) from error


def signing_sessions_expire(*, document_id: int, now: datetime | None = None) -> int:
    """End every open signature session of a document (its signer changed): none can be finished
    afterwards. Returns how many."""
    now = now or timezone.now()
    return SigningSession.objects.filter(
        document_id=document_id, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
