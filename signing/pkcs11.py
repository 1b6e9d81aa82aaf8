"""The agency's seal key in a PKCS#11 token (an HSM; SoftHSM2 stands in for one in tests).

The private key is created inside the token, marked sensitive and non-extractable, and never
leaves it: `Pkcs11SealProvider.sign` sends the token the bytes to sign (RSA) or their SHA-256
digest (EC) and gets the signature back. Our CA certifies the public key once (`seal_key_init`,
also `manage.py seal_key_init`); the certificate is written into the token next to the key (same
CKA_ID and label) and recorded as the unit's seal `Credential` with no private key, so that the
CRL lists it if it is ever revoked.

Configuration (config/settings/base.py): `SEAL_PKCS11_MODULE` (the vendor's PKCS#11 library),
`SEAL_PKCS11_TOKEN_LABEL`, `SEAL_PKCS11_PIN` (the user PIN), `SEAL_PKCS11_KEY_TYPE` ("ec" for
P-256, the default, or "rsa" for RSA-3072). One key pair per unit, labelled "seal-<unit code>"
unless `SEAL_PKCS11_KEY_LABEL` names another.

The agency's own token may instead carry a key and a certificate that an external CA issued (the
national CA for government gives agencies such tokens): `seal_token_register` (also
`manage.py seal_token_register`) checks that certificate like a signer's (path to an imported
root, valid, not revoked: `signing.external`) and records it as the unit's seal credential with
its chain; sealing then uses it, checked again each time.

Pitfalls (notes/signing-pdf.md §3): SoftHSM2 2.6 offers only the raw `ECDSA` mechanism, so EC
signatures are made over a digest we compute, and the token's raw r‖s is DER-encoded here. The
login state of a PKCS#11 library is shared by all sessions of the process, and closing the session
that logged in logs every session out, so the token is used under one process-wide lock. SoftHSM2
reads `SOFTHSM2_CONF` when the library is first loaded in the process.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11_errors
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from agencies.errors import StateError
from agencies.models import Unit

from . import ca as ca_lib
from .models import Credential

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
RSA_KEY_SIZE = 3072
EC_CURVE = "secp256r1"

_token_lock = threading.RLock()


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the token is and how to log in to it."""

    module_path: str
    token_label: str
    pin: str
    key_type: str = "ec"  # "ec" (P-256) or "rsa" (RSA-3072)
    key_label: str = ""  # the key pair's and certificate's CKA_LABEL; "" for "seal-<unit code>"

    @classmethod
    def from_settings(cls) -> Pkcs11Config:
        return cls(
            module_path=getattr(settings, "SEAL_PKCS11_MODULE", "") or DEFAULT_MODULE,
            token_label=getattr(settings, "SEAL_PKCS11_TOKEN_LABEL", "seal"),
            pin=getattr(settings, "SEAL_PKCS11_PIN", ""),
            key_type=getattr(settings, "SEAL_PKCS11_KEY_TYPE", "ec"),
            key_label=getattr(settings, "SEAL_PKCS11_KEY_LABEL", ""),
        )


def seal_key_label(unit: Unit, config: Pkcs11Config | None = None) -> str:
    """The CKA_LABEL of `unit`'s seal key pair and certificate in the token."""
    if config is not None and config.key_label:
        return config.key_label
    return f"seal-{unit.code}"


@functools.lru_cache(maxsize=4)
def _library(module_path: str) -> Any:
    return pkcs11.lib(module_path)


@contextmanager
def _session(config: Pkcs11Config, *, read_write: bool = False) -> Iterator[Any]:
    """A logged-in session on the configured token, held under the process-wide token lock."""
    with _token_lock:
        try:
            token = _library(config.module_path).get_token(token_label=config.token_label)
        except (p11_errors.NoSuchToken, p11_errors.MultipleTokensReturned) as error:
            raise StateError(
                f"Không tìm thấy thiết bị lưu khóa (token) “{config.token_label}”.",
                code="seal_token_missing",
            ) from error
        except (OSError, RuntimeError, pkcs11.PKCS11Error) as error:
            raise StateError(
                "Không kết nối được thiết bị lưu khóa con dấu (PKCS#11).",
                code="seal_token_unavailable",
            ) from error
        try:
            session = token.open(rw=read_write, user_pin=config.pin)
        except p11_errors.UserAlreadyLoggedIn:
            # another session of this process logged in (e.g. pyHanko's own PKCS#11 signer):
            # a new session shares that login
            session = token.open(rw=read_write)
        except p11_errors.PinIncorrect as error:
            raise StateError(
                "Mã PIN của thiết bị lưu khóa con dấu không đúng.", code="seal_token_pin"
            ) from error
        with session:
            yield session


def _find_one(session: Any, object_class: ObjectClass, label: str) -> Any | None:
    found = list(session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label}))
    return found[0] if found else None


def _certificate_in_token(session: Any, label: str) -> x509.Certificate | None:
    stored = _find_one(session, ObjectClass.CERTIFICATE, label)
    if stored is None:
        return None
    return x509.load_der_x509_certificate(bytes(stored[Attribute.VALUE]))


class Pkcs11SealProvider:
    """A `SignatureProvider` whose private key stays in a PKCS#11 token.

    `sign(data)` returns a DER-encoded ECDSA-SHA256 signature for an EC key (the token signs our
    SHA-256 digest with the raw ECDSA mechanism), or RSASSA-PKCS1-v1_5 with SHA-256 for an RSA key.
    """

    def __init__(
        self,
        *,
        config: Pkcs11Config,
        key_label: str,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
    ) -> None:
        self._config = config
        self._key_label = key_label
        self._certificate = certificate
        self._chain = tuple(chain)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    def sign(self, data: bytes) -> bytes:
        with _session(self._config) as session:
            key = _find_one(session, ObjectClass.PRIVATE_KEY, self._key_label)
            if key is None:
                raise StateError(
                    f"Thiết bị lưu khóa không có khóa con dấu “{self._key_label}”.",
                    code="seal_key_missing",
                )
            if key.key_type == KeyType.EC:
                raw = key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
                half = len(raw) // 2  # r‖s, each as long as the curve order
                return encode_dss_signature(
                    int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
                )
            if key.key_type == KeyType.RSA:
                return bytes(key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
        raise StateError("Loại khóa con dấu không được hỗ trợ.", code="seal_key_type")


def _generate_key_pair(session: Any, *, label: str, key_type: str) -> tuple[Any, Any]:
    """Create a sensitive, non-extractable key pair in the token; returns (public, private)."""
    key_id = hashlib.sha256(label.encode()).digest()[:8]
    private_template = {
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
        Attribute.PRIVATE: True,
    }
    if key_type == "rsa":
        return session.generate_keypair(
            KeyType.RSA,
            RSA_KEY_SIZE,
            store=True,
            label=label,
            id=key_id,
            private_template=private_template,
        )
    if key_type != "ec":
        raise StateError("SEAL_PKCS11_KEY_TYPE phải là “ec” hoặc “rsa”.", code="seal_key_type")
    parameters = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(EC_CURVE)}, local=True
    )
    return parameters.generate_keypair(
        store=True, label=label, id=key_id, private_template=private_template
    )


def _public_key(public: Any) -> ca_lib.PublicKey:
    key: Any
    if public.key_type == KeyType.EC:
        key = serialization.load_der_public_key(encode_ec_public_key(public))
    else:
        modulus = int.from_bytes(bytes(public[Attribute.MODULUS]), "big")
        exponent = int.from_bytes(bytes(public[Attribute.PUBLIC_EXPONENT]), "big")
        key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise StateError("Loại khóa con dấu không được hỗ trợ.", code="seal_key_type")
    return key


def _store_certificate(
    session: Any, *, label: str, key_id: bytes, certificate: x509.Certificate
) -> None:
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.LABEL: label,
            Attribute.ID: key_id,
            Attribute.SUBJECT: certificate.subject.public_bytes(),
            Attribute.ISSUER: certificate.issuer.public_bytes(),
            Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
        }
    )


def _active_seal_credential(unit: Unit) -> Credential | None:
    return Credential.objects.filter(
        kind=Credential.Kind.SEAL, unit=unit, revoked_at__isnull=True
    ).first()


def seal_key_init(
    *, unit: Unit, config: Pkcs11Config | None = None, replace: bool = False
) -> Credential:
    """Create `unit`'s seal key in the token, have our CA certify it, store the certificate.

    Idempotent: if the token already holds the key pair and its certificate, the matching
    credential is returned (and recorded if it was missing). A unit has at most one active seal
    credential: if it already has another one (e.g. a server-held key of the "file" backend), this
    refuses with `StateError` unless `replace` is set, which revokes that credential. A revoked
    credential is listed on the next CRL, so documents sealed with it then show it as revoked.
    """
    from .services import _authority, _crl_reissue, _crl_url, _pem, ca_get_or_create

    config = config or Pkcs11Config.from_settings()
    label = seal_key_label(unit, config)
    existing = _active_seal_credential(unit)
    with _session(config, read_write=True) as session:
        certificate = _certificate_in_token(session, label)
        private = _find_one(session, ObjectClass.PRIVATE_KEY, label)
        is_recorded = (
            certificate is not None
            and existing is not None
            and existing.serial_number == format(certificate.serial_number, "x")
        )
        if existing is not None and not is_recorded and not replace:
            raise StateError(
                f"{unit.name} đã có chứng thư con dấu đang hiệu lực (số hiệu "
                f"{existing.serial_number}). Dùng --replace để thu hồi chứng thư đó và chuyển "
                "sang khóa con dấu trong thiết bị.",
                code="seal_credential_exists",
            )
        if certificate is None or private is None:
            if private is None:
                public, private = _generate_key_pair(session, label=label, key_type=config.key_type)
            else:
                public = _find_one(session, ObjectClass.PUBLIC_KEY, label)
                if public is None:
                    raise StateError(
                        f"Thiết bị có khóa bí mật “{label}” nhưng thiếu khóa công khai đi kèm.",
                        code="seal_key_incomplete",
                    )
            certificate = ca_lib.ca_issue_signing_certificate(
                ca=_authority(ca_get_or_create()),
                public_key=_public_key(public),
                common_name=unit.name,
                organisation=unit.name,
                now=timezone.now(),
                crl_url=_crl_url(),
            )
            _store_certificate(
                session, label=label, key_id=bytes(private[Attribute.ID]), certificate=certificate
            )
    serial = format(certificate.serial_number, "x")
    with transaction.atomic():
        credential = Credential.objects.filter(serial_number=serial).first()
        if credential is not None:
            return credential
        now = timezone.now()
        replaced = Credential.objects.select_for_update().filter(
            kind=Credential.Kind.SEAL, unit=unit, revoked_at__isnull=True
        )
        if replaced.update(revoked_at=now):
            _crl_reissue(force=True)
        return Credential.objects.create(
            kind=Credential.Kind.SEAL,
            unit=unit,
            subject_name=unit.name,
            certificate_pem=_pem(certificate),
            private_key_encrypted="",  # the key is in the token
            serial_number=serial,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )


def _token_certificates(session: Any) -> list[x509.Certificate]:
    return [
        x509.load_der_x509_certificate(bytes(c[Attribute.VALUE]))
        for c in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
    ]


def seal_token_register(
    *, unit: Unit, config: Pkcs11Config | None = None, replace: bool = False
) -> Credential:
    """Record the seal certificate an external CA issued on the agency's own token.

    The token holds the key pair and its certificate under the configured label (the CA's CA
    certificates may be there too). The certificate is checked now — it must chain to an imported
    root, be valid, be meant for signing and not be revoked (CRL, OCSP) — and recorded as `unit`'s
    seal credential with its chain. Idempotent. If the unit has another active seal credential,
    this refuses with `StateError` unless `replace`, which revokes it. Raises `StateError` for a
    missing token, key or certificate, or a certificate the checks refuse (its code says why).
    """
    from . import external
    from .services import _chain_pem, _crl_reissue, _pem, external_certificate_check

    config = config or Pkcs11Config.from_settings()
    label = seal_key_label(unit, config)
    with _session(config) as session:
        certificate = _certificate_in_token(session, label)
        has_key = _find_one(session, ObjectClass.PRIVATE_KEY, label) is not None
        others = [c for c in _token_certificates(session) if c != certificate]
    if certificate is None or not has_key:
        raise StateError(
            f"Thiết bị lưu khóa “{config.token_label}” không có khóa và chứng thư “{label}”.",
            code="seal_key_missing",
        )
    try:
        checked = external_certificate_check(certificate=certificate, intermediates=others)
    except external.CertificateProblem as problem:
        raise StateError(
            f"Chứng thư con dấu trong thiết bị không dùng được: {problem.message}",
            code=problem.code,
        ) from problem
    serial = format(certificate.serial_number, "x")
    with transaction.atomic():
        recorded = Credential.objects.filter(serial_number=serial).first()
        if recorded is not None and recorded.revoked_at is None:
            return recorded
        existing = (
            Credential.objects.select_for_update()
            .filter(kind=Credential.Kind.SEAL, unit=unit, revoked_at__isnull=True)
            .first()
        )
        if existing is not None and not replace:
            raise StateError(
                f"{unit.name} đã có chứng thư con dấu đang hiệu lực (số hiệu "
                f"{existing.serial_number}). Dùng --replace để thay bằng chứng thư trong thiết bị.",
                code="seal_credential_exists",
            )
        if existing is not None:
            existing.revoked_at = timezone.now()
            existing.save(update_fields=["revoked_at"])
            if not existing.chain_pem:  # ours: list it on our CRL
                _crl_reissue(force=True)
        if recorded is not None:  # revoked here before: register it again under a new row
            recorded.delete()
        return Credential.objects.create(
            kind=Credential.Kind.SEAL,
            unit=unit,
            subject_name=external.common_name(certificate.subject)[:255],
            certificate_pem=_pem(certificate),
            chain_pem=_chain_pem(checked.chain),
            private_key_encrypted="",  # the key is in the token
            serial_number=serial,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )


def pkcs11_seal_provider(*, unit: Unit, config: Pkcs11Config | None = None) -> Pkcs11SealProvider:
    """The provider for `unit`'s seal key in the token; its certificate is read from the token.

    A certificate of our CA comes with our root; one of an imported CA must have been registered
    (`seal_token_register`) and is checked again now (not revoked, valid). Raises `StateError` if
    the token or the key is missing (run `manage.py seal_key_init` or `seal_token_register`), if
    the certificate has expired, its credential was revoked or its CA revoked it.
    """
    from . import external
    from .services import _certificate, _chain, external_certificate_check, trust_pem

    config = config or Pkcs11Config.from_settings()
    label = seal_key_label(unit, config)
    with _session(config) as session:
        certificate = _certificate_in_token(session, label)
        has_key = _find_one(session, ObjectClass.PRIVATE_KEY, label) is not None
    if certificate is None or not has_key:
        raise StateError(
            f"Chưa có khóa con dấu của {unit.name} trong thiết bị lưu khóa "
            "(chạy manage.py seal_key_init).",
            code="seal_key_missing",
        )
    if certificate.not_valid_after_utc <= timezone.now():
        raise StateError("Chứng thư số của con dấu đã hết hạn.", code="credential_expired")
    credential = Credential.objects.filter(
        serial_number=format(certificate.serial_number, "x")
    ).first()
    if credential is not None and credential.revoked_at is not None:
        raise StateError("Chứng thư số của con dấu đã bị thu hồi.", code="credential_revoked")
    ours = _certificate(trust_pem())
    if certificate.issuer == ours.subject:
        chain: Sequence[x509.Certificate] = [ours]
    elif credential is None or not credential.chain_pem:
        raise StateError(
            "Chứng thư con dấu trong thiết bị do tổ chức chứng thực khác cấp và chưa được đăng ký "
            "(chạy manage.py seal_token_register).",
            code="seal_credential_missing",
        )
    else:
        chain = _chain(credential.chain_pem)
        try:
            external_certificate_check(certificate=certificate, intermediates=chain, fresh=False)
        except external.CertificateProblem as problem:
            raise StateError(
                f"Chứng thư con dấu không dùng được: {problem.message}", code=problem.code
            ) from problem
    return Pkcs11SealProvider(config=config, key_label=label, certificate=certificate, chain=chain)
