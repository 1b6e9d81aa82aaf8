"""Signing actions: the CA and time-stamping authority, credentials, signing, sealing, verifying.

Each function is one action with keyword-only arguments. The CA, the TSA and each credential are
created on first use; concurrent first uses create one row (SQLite's IMMEDIATE transactions
serialise them; elsewhere a primary key or a partial unique constraint does). Permission to sign
or issue a given plan is checked by the caller (`documents`); these services only check what
signing itself needs.

Keys: `_provider_for` is the one place that decides who holds a credential's private key. Today it
is the server (`ServerKeyProvider`); a browser or hash-signing provider replaces it there.

pyHanko is slow to import (~0.4 s), so `signing.pdf` is imported inside the functions that use it.
Parsed certificates, keys and the time-stamping authority are cached per process, keyed by their
stored text, so a changed row is never served stale.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.errors import InvalidInput, StateError
from agencies.models import Unit, User

from . import ca as ca_lib
from .keystore import key_decrypt, key_encrypt
from .models import SINGLETON_ID, CertificateAuthority, Credential, TimeStampAuthority
from .providers import ServerKeyProvider, SignatureProvider

if TYPE_CHECKING:
    from .pdf import Fonts, LocalTimeStampAuthority, SignatureAppearance, SignatureReport

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
            "crl_next_update": crl.next_update_utc,
        },
    )
    return ca


@transaction.atomic
def _crl_reissue() -> CertificateAuthority:
    """Sign a new CRL listing every revoked credential; holds the CA row lock while doing so."""
    ca = CertificateAuthority.objects.select_for_update().get(pk=SINGLETON_ID)
    now = timezone.now()
    if ca.crl_next_update - now >= CRL_REFRESH_MARGIN:
        return ca  # another process re-issued it while we waited for the lock
    revoked = [
        (int(serial, 16), revoked_at)
        for serial, revoked_at in Credential.objects.filter(revoked_at__isnull=False).values_list(
            "serial_number", "revoked_at"
        )
    ]
    crl = ca_lib.ca_build_crl(ca=_authority(ca), number=ca.crl_number + 1, now=now, revoked=revoked)
    ca.crl_pem = crl.public_bytes(serialization.Encoding.PEM).decode("ascii")
    ca.crl_number += 1
    ca.crl_next_update = crl.next_update_utc
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


@functools.lru_cache(maxsize=4)
def _local_tsa(certificate_pem: str, key_token: str, root_pem: str) -> LocalTimeStampAuthority:
    from .pdf import LocalTimeStampAuthority

    private_key = _private_key(key_token)
    assert isinstance(private_key, rsa.RSAPrivateKey)  # ca_issue_tsa makes RSA keys
    return LocalTimeStampAuthority(
        certificate=_certificate(certificate_pem),
        private_key=private_key,
        chain=[_certificate(root_pem)],
    )


def _timestamper() -> LocalTimeStampAuthority:
    tsa = _tsa_get_or_create()
    return _local_tsa(tsa.certificate_pem, tsa.private_key_encrypted, trust_pem())


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


def pdf_issue_with_seal(*, pdf: bytes, unit: Unit, number_text: str, date_text: str) -> bytes:
    """Fill in the number and date of a signed PDF and add `unit`'s seal signature (PAdES B-LTA).

    `number_text` is the number before "/KH-…" (e.g. "262"), `date_text` the words from "ngày" to
    the end of the date line (e.g. "ngày 22 tháng 11 năm 2026"). ND30 Điều 32.2.d: the clerk seals
    only what the competent person has signed, so a PDF without a valid, trusted signature of that
    person is refused with `StateError`; so is one whose number and date were already filled.
    """
    from .pdf import pdf_fill_issue_fields_and_seal
    from .seal_image import seal_png

    number_text, date_text = number_text.strip(), date_text.strip()
    if not number_text or not date_text:
        raise InvalidInput("Cần nhập số và ngày ban hành văn bản.", code="issue_fields_empty")
    leader_signed = any(
        report.field_name == PERSON_SIGNATURE_FIELD and report.bottom_line
        for report in pdf_verify(pdf=pdf)
    )
    if not leader_signed:
        raise StateError(
            "Văn bản chưa có chữ ký số hợp lệ của người có thẩm quyền nên chưa thể phát hành.",
            code="not_signed",
        )
    ca = ca_get_or_create()
    return pdf_fill_issue_fields_and_seal(
        pdf,
        number_text=number_text,
        date_text=date_text,
        seal=_provider_for(credential_for_seal(unit=unit)),
        seal_png=seal_png(ring_text=unit.name),
        over_field=PERSON_SIGNATURE_FIELD,
        field_name=SEAL_SIGNATURE_FIELD,
        trust_roots=[_certificate(ca.certificate_pem)],
        crls=[_crl(ca.crl_pem)],
        timestamper=_timestamper(),
        fonts=_fonts(),
    )


def pdf_verify(*, pdf: bytes) -> list[SignatureReport]:
    """Validate every signature and document time-stamp of `pdf` against the system's root CA.

    Offline: trust is our root only, revocation our current CRL. Never raises for bad or foreign
    signatures; see `signing.pdf.pdf_validate`.
    """
    from .pdf import pdf_validate

    ca = ca_get_or_create()
    return pdf_validate(
        pdf, trust_roots=[_certificate(ca.certificate_pem)], crls=[_crl(ca.crl_pem)]
    )
