"""Who holds the private key: the one step of signing that needs it, behind one small interface.

Every PDF signature here is made in the same three steps (`signing.pdf`):

1. **prepare** — the PDF gets its signature field and appearance, `/Contents` is reserved, the
   byte range is hashed and the CMS *signed attributes* are built. Their DER encoding
   (`PreparedSignature.signed_attributes`) is what the key signs, hashed with SHA-256.
2. **sign** — the key holder returns a signature value over those bytes.
3. **finish** — the value is checked against the certificate, wrapped in CMS with an RFC 3161
   time-stamp (PAdES B-T) and written into the reserved space.

Only step 2 depends on where the key is, so that is all a provider does:

- `SignatureProvider` answers at once (`sign`): the key is in this process (`ServerKeyProvider`,
  used for the agency seal, tests and benchmarks) or behind a synchronous API (a PKCS#11 token).
- `DeferredSignatureProvider` answers later, in another request: `to_be_signed` says what to send
  to the key holder, `signature_value` turns what comes back into the value to embed (and checks
  it). `BrowserKeyProvider` is a WebCrypto key (it signs the DER itself and answers IEEE P1363
  r‖s); `HashSigningProvider` is an agent for a USB token or a remote signing service that signs a
  SHA-256 digest.

`signing.services._deferred_provider_for` is the one place that picks the provider for an
enrolled device; a new kind of key holder is a new class here and a branch there — the documents
services and the workflow do not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

from .ca import PrivateKey


class InvalidSignatureValue(ValueError):
    """The value returned by a key holder is malformed or does not verify with the certificate."""


# ECDSA ENCODINGS


def ecdsa_raw_to_der(value: bytes, *, curve: ec.EllipticCurve) -> bytes:
    """Turn an IEEE P1363 ECDSA signature (r‖s, as WebCrypto returns it) into DER.

    r and s are each exactly the curve's size in bytes (32 for P-256, 48 for P-384, 66 for P-521),
    so the value is twice that. Raises `InvalidSignatureValue` for another length or for r or s
    outside 1 … 2^bits - 1 (zero is never a valid ECDSA component).
    """
    size = (curve.key_size + 7) // 8
    if len(value) != 2 * size:
        raise InvalidSignatureValue(
            f"An r‖s signature for {curve.name} has {2 * size} bytes, not {len(value)}."
        )
    r = int.from_bytes(value[:size], "big")
    s = int.from_bytes(value[size:], "big")
    if r == 0 or s == 0:
        raise InvalidSignatureValue("r and s of an ECDSA signature cannot be zero.")
    return encode_dss_signature(r, s)


def ecdsa_der_to_raw(value: bytes, *, curve: ec.EllipticCurve) -> bytes:
    """The inverse of `ecdsa_raw_to_der`: DER → r‖s, each padded to the curve's size."""
    size = (curve.key_size + 7) // 8
    try:
        r, s = decode_dss_signature(value)
    except ValueError as error:
        raise InvalidSignatureValue("Not a DER-encoded ECDSA signature.") from error
    if r.bit_length() > 8 * size or s.bit_length() > 8 * size:
        raise InvalidSignatureValue(f"r or s is too large for {curve.name}.")
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _ecdsa_der_candidates(value: bytes, curve: ec.EllipticCurve) -> list[bytes]:
    """The DER encodings `value` may stand for: r‖s (exactly twice the curve size) and/or DER.

    A DER signature can, rarely, have exactly the r‖s length, so both readings are tried.
    """
    size = (curve.key_size + 7) // 8
    candidates = []
    if len(value) == 2 * size:
        candidates.append(ecdsa_raw_to_der(value, curve=curve))
    if value[:1] == b"\x30":
        try:
            ecdsa_der_to_raw(value, curve=curve)  # parses and fits the curve
        except InvalidSignatureValue:
            pass
        else:
            candidates.append(value)
    if not candidates:
        raise InvalidSignatureValue(
            f"An ECDSA signature for {curve.name} is {2 * size} bytes (r‖s) or DER, "
            f"not {len(value)} bytes."
        )
    return candidates


def signature_value_check(
    certificate: x509.Certificate, data: bytes, value: bytes, *, prehashed: bool = False
) -> bytes:
    """Normalise `value` to what CMS embeds and verify it over `data` with `certificate`'s key.

    `data` is the message (hashed here with SHA-256) or, with `prehashed`, its SHA-256 digest.
    EC: r‖s or DER in, DER out. RSA: RSASSA-PKCS1-v1_5, as is. Raises `InvalidSignatureValue`.
    """
    return public_key_verify(certificate.public_key(), data, value, prehashed=prehashed)


def public_key_verify(
    public_key: object, data: bytes, value: bytes, *, prehashed: bool = False
) -> bytes:
    """`signature_value_check` for a bare public key (e.g. a proof of possession at enrolment)."""
    algorithm: hashes.HashAlgorithm | Prehashed = (
        Prehashed(hashes.SHA256()) if prehashed else hashes.SHA256()
    )
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        for der in _ecdsa_der_candidates(value, public_key.curve):
            try:
                public_key.verify(der, data, ec.ECDSA(algorithm))
            except InvalidSignature:
                continue
            return der
        raise InvalidSignatureValue("The signature does not match the certificate.")
    if isinstance(public_key, rsa.RSAPublicKey):
        if len(value) != public_key.key_size // 8:
            raise InvalidSignatureValue(
                f"An RSA-{public_key.key_size} signature has {public_key.key_size // 8} bytes."
            )
        try:
            public_key.verify(value, data, padding.PKCS1v15(), algorithm)
        except InvalidSignature as error:
            raise InvalidSignatureValue("The signature does not match the certificate.") from error
        return value
    raise InvalidSignatureValue(f"Unsupported key type: {type(public_key).__name__}")


def algorithm_name(certificate: x509.Certificate) -> str:
    """What the key holder must do, as a client names it: "ECDSA-P256-SHA256", "RSA-PKCS1-SHA256"."""
    public_key = certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}.get(
            public_key.curve.name, public_key.curve.name
        )
        return f"ECDSA-{curve}-SHA256"
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA-PKCS1-SHA256"
    raise TypeError(f"Unsupported key type: {type(public_key).__name__}")


# WHAT PREPARE GIVES


@dataclass(frozen=True)
class PreparedSignature:
    """A PDF with its signature reserved, waiting for the signature value (notes §1.1).

    Plain bytes and integers, so the server can keep it between two requests. Never give
    `prepared_pdf` or the offsets to the client: only what the provider's `to_be_signed` returns.
    """

    prepared_pdf: bytes
    document_digest: bytes  # SHA-256 over the /ByteRange of `prepared_pdf`
    reserved_start: int  # the hex /Contents placeholder, [start, end)
    reserved_end: int
    signed_attributes: bytes  # DER SET OF Attribute (first byte 0x31): what the key signs
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def signed_attributes_digest(self) -> bytes:
        """SHA-256 of `signed_attributes`: what a hash-signing key holder signs."""
        return hashlib.sha256(self.signed_attributes).digest()


# PROVIDERS


class KeyHolder(Protocol):
    """Whoever holds the private key of `certificate`."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Issuer certificates up to and including the root, to embed next to `certificate`."""
        ...


class SignatureProvider(KeyHolder, Protocol):
    """Signs at once with the private key that belongs to `certificate`.

    Contract of `sign`: return the signature over `data` with SHA-256 — DER-encoded ECDSA for an EC
    key, RSASSA-PKCS1-v1_5 for an RSA key. `data` is hashed by the signer, not by the caller.
    """

    def sign(self, data: bytes) -> bytes: ...


class DeferredSignatureProvider(KeyHolder, Protocol):
    """A key holder that answers in a later request (a browser, a token agent, a remote service).

    `to_be_signed(signed_attributes)` is what the key holder receives; `signature_value` turns its
    answer into the value CMS embeds, after checking it against `certificate` (raises
    `InvalidSignatureValue`). `algorithm` tells the client what to do, e.g. "ECDSA-P256-SHA256".
    """

    @property
    def algorithm(self) -> str: ...

    def to_be_signed(self, signed_attributes: bytes) -> bytes: ...

    def signature_value(self, signed_attributes: bytes, value: bytes) -> bytes: ...


class _CertifiedKey:
    def __init__(self, *, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> None:
        self._certificate = certificate
        self._chain = tuple(chain)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    @property
    def algorithm(self) -> str:
        return algorithm_name(self._certificate)


class BrowserKeyProvider(_CertifiedKey):
    """A WebCrypto key in the signer's browser (non-extractable, in IndexedDB).

    The browser receives the DER signed attributes themselves — WebCrypto hashes its input — and
    answers `crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, key, tbs)`: 64 bytes r‖s for
    P-256. DER is accepted too (a client library may produce it).
    """

    def to_be_signed(self, signed_attributes: bytes) -> bytes:
        return signed_attributes

    def signature_value(self, signed_attributes: bytes, value: bytes) -> bytes:
        return signature_value_check(self.certificate, signed_attributes, value)


class HashSigningProvider(_CertifiedKey):
    """A key holder that signs a SHA-256 digest: a USB-token agent or a remote signing service.

    It receives SHA-256(DER signed attributes) and answers a raw signature over that digest (ECDSA
    r‖s or DER, or RSASSA-PKCS1-v1_5 with the DigestInfo built by the holder). Given `sign_digest`
    (a synchronous client of such a service), it also works as an immediate `SignatureProvider`.
    """

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
        sign_digest: Callable[[bytes], bytes] | None = None,
    ) -> None:
        super().__init__(certificate=certificate, chain=chain)
        self._sign_digest = sign_digest

    @property
    def algorithm(self) -> str:
        return algorithm_name(self.certificate).replace("SHA256", "PREHASHED-SHA256")

    def to_be_signed(self, signed_attributes: bytes) -> bytes:
        return hashlib.sha256(signed_attributes).digest()

    def signature_value(self, signed_attributes: bytes, value: bytes) -> bytes:
        return signature_value_check(
            self.certificate, self.to_be_signed(signed_attributes), value, prehashed=True
        )

    def sign(self, data: bytes) -> bytes:
        if self._sign_digest is None:
            raise TypeError("This hash-signing provider answers later; use signature_value().")
        return self.signature_value(data, self._sign_digest(self.to_be_signed(data)))


class ServerKeyProvider(_CertifiedKey):
    """A key in this process's memory (from the database): signs at once, or checks a value."""

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        private_key: PrivateKey,
        chain: Sequence[x509.Certificate],
    ) -> None:
        super().__init__(certificate=certificate, chain=chain)
        self._private_key = private_key

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        raise TypeError(f"Unsupported key type: {type(self._private_key).__name__}")

    def to_be_signed(self, signed_attributes: bytes) -> bytes:
        return signed_attributes

    def signature_value(self, signed_attributes: bytes, value: bytes) -> bytes:
        return signature_value_check(self.certificate, signed_attributes, value)
