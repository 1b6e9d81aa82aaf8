"""What the signer's browser does, in Python: a P-256 key, enrolment with a proof, raw signatures.

The browser (WebCrypto) creates a non-extractable ECDSA P-256 key, sends its SPKI with a signature
over the server's nonce, and later signs the DER signed attributes it receives; WebCrypto answers
IEEE P1363 r‖s (64 bytes), not DER. `BrowserKey` does the same with `cryptography`, so service,
workflow and API tests (and the benchmark) sign exactly as a browser would.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from agencies.models import User
from signing import services as signing
from signing.models import SigningDevice


def raw_signature(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA-SHA256 over `data` as WebCrypto returns it: r‖s, each 32 bytes for P-256."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class BrowserKey:
    """One browser of one person: its key and, once enrolled, its device row."""

    def __init__(self, user: User, *, label: str = "Trình duyệt thử nghiệm") -> None:
        self.user = user
        self.label = label
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.device: SigningDevice | None = None

    @property
    def spki(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, data: bytes) -> bytes:
        """`crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, key, data)`."""
        return raw_signature(self.private_key, data)

    def enrol(self) -> SigningDevice:
        """Ask for a nonce, prove possession, get the certificate (through the services)."""
        challenge = signing.enrolment_challenge_create(user=self.user)
        nonce = bytes(challenge.nonce)
        self.device = signing.device_enrol(
            user=self.user, label=self.label, spki=self.spki, nonce=nonce, proof=self.sign(nonce)
        )
        return self.device

    def is_enrolled(self) -> bool:
        """True if this key's device exists in the current database and is not revoked."""
        return (
            self.device is not None
            and SigningDevice.objects.filter(
                pk=self.device.pk, user=self.user, revoked_at__isnull=True
            )
            .filter(public_key_sha256=hashlib.sha256(self.spki).hexdigest())
            .exists()
        )


_KEYS: dict[int, BrowserKey] = {}


def browser_key_for(user: User) -> BrowserKey:
    """The user's test browser, enrolled; a new key when the database no longer knows it."""
    key = _KEYS.get(user.pk)
    if key is None or key.user.username != user.username or not key.is_enrolled():
        key = BrowserKey(user)
        key.enrol()
        _KEYS[user.pk] = key
    return key


def api_enrol(client: Any, key: BrowserKey) -> dict[str, Any]:
    """Enrol `key` through the API (challenge, then SPKI + proof); returns the device JSON."""
    challenge = client.post("/api/v1/signing/challenge/")
    assert challenge.status_code == 201, challenge.content
    nonce = base64.b64decode(challenge.json()["nonce"])
    response = client.post(
        "/api/v1/signing/devices/",
        {
            "label": key.label,
            "spki": base64.b64encode(key.spki).decode(),
            "nonce": challenge.json()["nonce"],
            "proof": base64.b64encode(key.sign(nonce)).decode(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def api_sign_data(client: Any, plan_id: int, key: BrowserKey, device_id: int) -> dict[str, str]:
    """Prepare through the API and sign `to_be_signed`: the data of the "sign" task's completion."""
    response = client.post(
        f"/api/v1/documents/{plan_id}/sign/prepare/", {"device_id": device_id}, format="json"
    )
    assert response.status_code == 200, response.content
    prepared = response.json()
    signature = key.sign(base64.b64decode(prepared["to_be_signed"]))
    return {"session_id": prepared["session_id"], "signature": base64.b64encode(signature).decode()}
