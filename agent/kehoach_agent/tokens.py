"""USB tokens through PKCS#11: the certificates on them, and signing a SHA-256 digest.

One or more PKCS#11 libraries (the token vendor's middleware, e.g. SafeNet's libeTPkcs11.so, or
SoftHSM2 in tests) are loaded once. Each listing re-initialises them, so a token plugged in (or
pulled out) since is seen. Certificates are public objects, read without a PIN; signing logs in
with the PIN the user typed into the agent's own window, signs, and closes the session (which
logs out). A token is used by one operation at a time.

Signing a digest (what the server's `HashSigningProvider` sends):
- RSA: RSASSA-PKCS1-v1_5 — the DigestInfo (SHA-256 OID + digest) signed with CKM_RSA_PKCS;
- EC: CKM_ECDSA over the digest; the token answers r‖s, which is what the page sends on.
The value is checked against the certificate before it leaves the agent.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from .i18n import _

# DER of DigestInfo for SHA-256 up to the digest (RFC 8017 §9.2, note 1).
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

ALGORITHMS = (
    "RSA-PKCS1-PREHASHED-SHA256",
    "ECDSA-P256-PREHASHED-SHA256",
    "ECDSA-P384-PREHASHED-SHA256",
    "ECDSA-P521-PREHASHED-SHA256",
)

# What a token that was pulled out, or cannot be read any more, makes the library answer.
_GONE = (
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.DeviceRemoved,
    p11.DeviceError,
    p11.NoSuchToken,
    p11.SlotIDInvalid,
    p11.SessionHandleInvalid,
    p11.SessionClosed,
    p11.GeneralError,
    p11.FunctionFailed,
)


class TokenError(Exception):
    """A refusal to show the user and the page: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def token_removed() -> TokenError:
    return TokenError(
        "token_removed",
        _(
            "Không tìm thấy USB token: token đã bị rút ra hoặc không đọc được. Hãy cắm lại token "
            "rồi ký lại."
        ),
    )


def _name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@dataclass(frozen=True)
class TokenCertificate:
    """A person's (or an agency's) certificate found on a token, with the CA certificates there."""

    certificate: x509.Certificate
    token_label: str
    token_serial: str
    object_id: bytes  # CKA_ID, shared with the private key
    object_label: str
    ca_certificates: tuple[x509.Certificate, ...]

    @property
    def sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def subject(self) -> str:
        return _name(self.certificate.subject)

    @property
    def issuer(self) -> str:
        return _name(self.certificate.issuer)

    def summary(self) -> dict[str, Any]:
        """What the page and the agent's window show (certificates as base64 DER for the page)."""
        import base64

        def b64(certificate: x509.Certificate) -> str:
            return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode(
                "ascii"
            )

        public_key = self.certificate.public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            curve = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}.get(
                public_key.curve.name, public_key.curve.name
            )
            algorithm = f"ECDSA-{curve}-PREHASHED-SHA256"
        else:
            algorithm = "RSA-PKCS1-PREHASHED-SHA256"
        return {
            "id": self.sha256,
            "algorithm": algorithm,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": format(self.certificate.serial_number, "x"),
            "not_before": self.certificate.not_valid_before_utc.isoformat(),
            "not_after": self.certificate.not_valid_after_utc.isoformat(),
            "token_label": self.token_label,
            "token_serial": self.token_serial,
            "certificate": b64(self.certificate),
            "chain": [b64(c) for c in self.ca_certificates],
        }


class Tokens:
    """The PKCS#11 libraries given at start-up and the tokens they see."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = list(modules)
        self._libraries: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _library(self, path: str) -> Any:
        library = self._libraries.get(path)
        if library is None:
            try:
                library = pkcs11.lib(path)
            except (OSError, RuntimeError, p11.PKCS11Error) as error:
                raise TokenError(
                    "module_unavailable",
                    _("Không nạp được thư viện PKCS#11 %s: %s") % (path, error),
                ) from error
            self._libraries[path] = library
        return library

    def _fresh_tokens(self) -> Iterator[Any]:
        """Every token present now, in every library (re-initialised to see plug-ins)."""
        for path in self.modules:
            library = self._library(path)
            try:
                library.reinitialize()
            except p11.PKCS11Error:
                continue
            try:
                slots = library.get_slots(token_present=True)
            except p11.PKCS11Error:
                continue
            for slot in slots:
                try:
                    token = slot.get_token()
                except p11.PKCS11Error:
                    continue  # pulled out while we looked
                if token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
                    yield token

    @staticmethod
    def _certificates_of(token: Any) -> list[TokenCertificate]:
        with token.open() as session:
            found = []
            for stored in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                try:
                    certificate = x509.load_der_x509_certificate(bytes(stored[Attribute.VALUE]))
                except (ValueError, p11.PKCS11Error):
                    continue
                try:
                    object_id = bytes(stored[Attribute.ID])
                except p11.PKCS11Error:
                    object_id = b""
                try:
                    object_label = str(stored[Attribute.LABEL])
                except p11.PKCS11Error:
                    object_label = ""
                found.append((certificate, object_id, object_label))
        authorities = tuple(c for c, _i, _l in found if _is_ca(c))
        return [
            TokenCertificate(
                certificate=certificate,
                token_label=str(token.label).strip(),
                token_serial=bytes(token.serial).decode("ascii", "replace").strip()
                if isinstance(token.serial, bytes)
                else str(token.serial).strip(),
                object_id=object_id,
                object_label=object_label,
                ca_certificates=authorities,
            )
            for certificate, object_id, object_label in found
            if not _is_ca(certificate)
        ]

    def certificates(self) -> list[TokenCertificate]:
        """The signing certificates on every token plugged in now (CA certificates excluded)."""
        with self._lock:
            found: list[TokenCertificate] = []
            for token in self._fresh_tokens():
                try:
                    found += self._certificates_of(token)
                except p11.PKCS11Error:
                    continue  # pulled out while we read it
            return found

    def find(self, certificate_sha256: str) -> TokenCertificate:
        for candidate in self.certificates():
            if candidate.sha256 == certificate_sha256.lower():
                return candidate
        raise TokenError(
            "certificate_not_found", _("Không tìm thấy chứng thư này trên USB token đang cắm.")
        )

    @contextmanager
    def _logged_in(self, wanted: TokenCertificate, pin: str) -> Iterator[Any]:
        token = next(
            (
                t
                for t in self._fresh_tokens()
                if str(t.label).strip() == wanted.token_label
                and any(c.sha256 == wanted.sha256 for c in self._certificates_of(t))
            ),
            None,
        )
        if token is None:
            raise token_removed()
        try:
            session = token.open(user_pin=pin)
        except p11.PinIncorrect as error:
            raise TokenError(
                "pin_incorrect", _("Mã PIN không đúng; chưa có gì được ký.")
            ) from error
        except p11.PinLocked as error:
            raise TokenError(
                "pin_locked",
                _("Mã PIN đã bị khóa do nhập sai nhiều lần; hãy liên hệ nơi cấp token."),
            ) from error
        except (p11.PinInvalid, p11.PinLenRange, p11.ArgumentsBad) as error:
            raise TokenError("pin_invalid", _("Mã PIN không hợp lệ.")) from error
        except _GONE as error:
            raise token_removed() from error
        with session:
            yield session

    @staticmethod
    def _private_key(session: Any, wanted: TokenCertificate) -> Any:
        for template in (
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: wanted.object_id},
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: wanted.object_label},
        ):
            if not template.get(Attribute.ID) and not template.get(Attribute.LABEL):
                continue
            keys = list(session.get_objects(template))
            if len(keys) == 1:
                return keys[0]
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        if len(keys) == 1:
            return keys[0]
        raise TokenError("key_not_found", _("USB token không có khóa bí mật đi kèm chứng thư này."))

    def sign_digest(
        self, *, wanted: TokenCertificate, digest: bytes, algorithm: str, pin: str
    ) -> bytes:
        """Sign the SHA-256 `digest` with the key of `wanted` (found earlier with `find`).

        Returns PKCS#1 v1.5 for RSA, r‖s for ECDSA; checked against the certificate. Raises
        `TokenError`: pin_incorrect, pin_locked, pin_invalid, token_removed (the token is no
        longer there, or went in the middle), key_not_found, mechanism_unsupported, token_error,
        bad_signature.
        """
        if algorithm not in ALGORITHMS or len(digest) != 32:
            raise TokenError("bad_request", _("Yêu cầu không hợp lệ: %s") % algorithm)
        with self._lock:
            public_key = wanted.certificate.public_key()
            if algorithm.startswith("RSA") != isinstance(public_key, rsa.RSAPublicKey):
                raise TokenError(
                    "mechanism_unsupported", _("USB token không hỗ trợ thuật toán ký yêu cầu.")
                )
            try:
                with self._logged_in(wanted, pin) as session:
                    key = self._private_key(session, wanted)
                    if key.key_type == KeyType.RSA:
                        value = bytes(
                            key.sign(
                                SHA256_DIGEST_INFO_PREFIX + digest, mechanism=Mechanism.RSA_PKCS
                            )
                        )
                    else:
                        value = bytes(key.sign(digest, mechanism=Mechanism.ECDSA))
            except TokenError:
                raise
            except p11.MechanismInvalid as error:
                raise TokenError(
                    "mechanism_unsupported", _("USB token không hỗ trợ thuật toán ký yêu cầu.")
                ) from error
            except _GONE as error:
                raise token_removed() from error
            except p11.PKCS11Error as error:
                raise TokenError(
                    "token_error", _("USB token báo lỗi khi ký: %s") % type(error).__name__
                ) from error
        _check(public_key, digest, value)
        return value


def _check(public_key: Any, digest: bytes, value: bytes) -> None:
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
            return
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            half = len(value) // 2
            der = encode_dss_signature(
                int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big")
            )
            public_key.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
            return
    except (InvalidSignature, ValueError) as error:
        raise TokenError(
            "bad_signature", _("Chữ ký do USB token tạo ra không khớp với chứng thư.")
        ) from error
    raise TokenError("mechanism_unsupported", _("USB token không hỗ trợ thuật toán ký yêu cầu."))


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
