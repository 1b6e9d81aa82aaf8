"""The system's own certificate authority: root, end-entity and time-stamping certificates, CRLs.

Pure module (``cryptography`` only, no models, no settings): every function takes what it needs and
returns new objects; `signing.services` stores them. Times are explicit and aware (UTC inside the
certificates). Profiles follow notes/signing-pdf.md §2.5:

- root: EC P-384, BasicConstraints ca=True and KeyUsage keyCertSign + cRLSign (both critical),
  SKI;
- people and seals: KeyUsage digitalSignature + nonRepudiation (critical), SKI/AKI and a CRL
  distribution point;
- time-stamping authority: RSA (pyHanko's in-process TSA is RSA-only), EKU timeStamping (critical).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

ROOT_VALIDITY = timedelta(days=20 * 365)
END_ENTITY_VALIDITY = timedelta(days=730)
TSA_VALIDITY = timedelta(days=10 * 365)
CRL_VALIDITY = timedelta(days=30)
# Allow for clocks that run slightly behind ours.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key: the root CA, the TSA or a server-held credential."""

    certificate: x509.Certificate
    private_key: PrivateKey


def key_generate_ec() -> ec.EllipticCurvePrivateKey:
    """Create an EC P-256 key, the curve a browser's WebCrypto key will also use."""
    return ec.generate_private_key(ec.SECP256R1())


def _name(*, common_name: str, organisation: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"))
    return x509.Name(attributes)


def ca_root_create(*, province_name: str, now: datetime) -> KeyPair:
    """Create the self-signed root CA of the province's system.

    Subject: CN "UBND tỉnh <province> Root CA", O "Ủy ban nhân dân tỉnh <province>", C=VN.
    """
    key = ec.generate_private_key(ec.SECP384R1())
    subject = _name(
        common_name=f"UBND tỉnh {province_name} Root CA",
        organisation=f"Ủy ban nhân dân tỉnh {province_name}",
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    return KeyPair(certificate=certificate, private_key=key)


def _end_entity_builder(
    *,
    ca: KeyPair,
    subject: x509.Name,
    public_key: PublicKey,
    now: datetime,
    validity: timedelta,
    crl_url: str,
) -> x509.CertificateBuilder:
    not_after = min(now + validity, ca.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder


def ca_issue_signing_certificate(
    *,
    ca: KeyPair,
    public_key: PublicKey,
    common_name: str,
    organisation: str,
    now: datetime,
    crl_url: str = "",
) -> x509.Certificate:
    """Certify `public_key` for digital signatures of a person or of an agency's seal.

    `common_name` is the person's full name (UTF-8, e.g. "Nguyễn Văn A") or the agency's name;
    `organisation` the unit. Valid two years (never beyond the root). Only the public key is needed,
    so a key created elsewhere (a browser, a token) can be certified the same way.
    """
    builder = _end_entity_builder(
        ca=ca,
        subject=_name(common_name=common_name, organisation=organisation),
        public_key=public_key,
        now=now,
        validity=END_ENTITY_VALIDITY,
        crl_url=crl_url,
    ).add_extension(
        x509.KeyUsage(
            digital_signature=True,
            content_commitment=True,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    return builder.sign(ca.private_key, hashes.SHA384())


def ca_issue_tsa(*, ca: KeyPair, organisation: str, now: datetime, crl_url: str = "") -> KeyPair:
    """Create the RFC 3161 time-stamping authority's RSA-2048 key and certificate (EKU critical)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        _end_entity_builder(
            ca=ca,
            subject=_name(common_name=f"{organisation} TSA", organisation=organisation),
            public_key=key.public_key(),
            now=now,
            validity=TSA_VALIDITY,
            crl_url=crl_url,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    return KeyPair(certificate=builder.sign(ca.private_key, hashes.SHA384()), private_key=key)


def ca_build_crl(
    *,
    ca: KeyPair,
    number: int,
    now: datetime,
    revoked: Iterable[tuple[int, datetime]] = (),
) -> x509.CertificateRevocationList:
    """Sign a full CRL numbered `number`, listing `revoked` as (serial number, revocation time).

    Valid for `CRL_VALIDITY`; the caller re-issues it before `next_update_utc`.
    """
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - BACKDATE)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    for serial_number, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial_number)
            .revocation_date(revoked_at)
            .build()
        )
    return builder.sign(ca.private_key, hashes.SHA384())
