"""A USB token's key in Python: what the signing agent does with a real token, for service tests.

The national CA's tokens hold an RSA key and a certificate it issued. Through the agent the page
gets the certificate (and the CA certificates on the token), and the token signs SHA-256
digests: the proof of possession at enrolment (SHA-256 of the server's nonce) and, when signing a
plan, the digest of the signed attributes (`HashSigningProvider`). `TokenKey` holds such a key
in memory and signs the same way (RSASSA-PKCS1-v1_5 over a prehashed SHA-256 digest); the tests
of the agent itself (tests/signing/test_agent.py, tests/e2e) use SoftHSM2 through the real agent.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from agencies.models import User
from signing import services as signing
from signing.models import SigningDevice

from .national_pki import NationalTestPki, rsa_key


class TokenKey:
    """A key "on a token" and the certificate `pki` issued for it in the name `common_name`."""

    def __init__(
        self,
        pki: NationalTestPki,
        common_name: str,
        *,
        certificate: x509.Certificate | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **issue: Any,
    ) -> None:
        self.pki = pki
        self.key = key or rsa_key()
        self.certificate = certificate or pki.issue_person(
            common_name, self.key.public_key(), **issue
        )

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def chain_der(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in self.pki.chain]

    def sign_digest(self, digest: bytes) -> bytes:
        """What the token does: RSASSA-PKCS1-v1_5 over a SHA-256 digest given to it."""
        assert len(digest) == 32
        return self.key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))

    def enrol(self, user: User, label: str = "") -> SigningDevice:
        """Enrol through the services: a nonce, the token's signature over its SHA-256."""
        nonce = bytes(signing.enrolment_challenge_create(user=user).nonce)
        return signing.token_device_enrol(
            user=user,
            label=label,
            certificate=self.der,
            chain=self.chain_der,
            nonce=nonce,
            proof=self.sign_digest(hashlib.sha256(nonce).digest()),
        )

    def api_enrol(self, client: Any, label: str = "") -> Any:
        """Enrol through the API; returns the response."""
        challenge = client.post("/api/v1/signing/challenge/")
        assert challenge.status_code == 201, challenge.content
        nonce = base64.b64decode(challenge.json()["nonce"])
        return client.post(
            "/api/v1/signing/devices/token/",
            {
                "label": "",
                "certificate": base64.b64encode(self.der).decode(),
                "chain": [base64.b64encode(c).decode() for c in self.chain_der],
                "nonce": challenge.json()["nonce"],
                "proof": base64.b64encode(
                    self.sign_digest(hashlib.sha256(nonce).digest())
                ).decode(),
            },
            format="json",
        )
