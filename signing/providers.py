"""Who holds the private key: the one step of signing that needs it, behind a small interface.

`signing.pdf` builds the PDF signature around a `SignatureProvider`: it asks for the certificate and
chain, computes what must be signed (the DER of the CMS signed attributes) and calls `sign` once.
Today the key is held by the server (`ServerKeyProvider`). A PKCS#11 token or a remote hash-signing
service implements the same three members; a browser key fits by answering `sign` with the value the
browser returned for the same bytes (notes/signing-pdf.md §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .ca import PrivateKey


class SignatureProvider(Protocol):
    """Signs with the private key that belongs to `certificate`.

    Contract of `sign`: return the signature over `data` with SHA-256 — DER-encoded ECDSA for an EC
    key, RSASSA-PKCS1-v1_5 for an RSA key. `data` is hashed by the signer, not by the caller.
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Issuer certificates up to and including the root, to embed next to `certificate`."""
        ...

    def sign(self, data: bytes) -> bytes: ...


class ServerKeyProvider:
    """A `SignatureProvider` whose private key is in this process's memory (from the database)."""

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        private_key: PrivateKey,
        chain: Sequence[x509.Certificate],
    ) -> None:
        self._certificate = certificate
        self._private_key = private_key
        self._chain = tuple(chain)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        raise TypeError(f"Unsupported key type: {type(self._private_key).__name__}")
