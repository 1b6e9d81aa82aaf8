"""Private keys at rest: PKCS#8 PEM encrypted with a key derived from ``settings.SECRET_KEY``.

Fernet (AES-128-CBC + HMAC-SHA256) under a key derived with HKDF-SHA256. Keys stored under an
older secret still open while that secret is listed in ``settings.SECRET_KEY_FALLBACKS``; rotating
``SECRET_KEY`` without keeping the old value there makes the stored keys unusable.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .ca import PrivateKey

_INFO = b"kehoach signing private keys v1"


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keyring() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(s) for s in secrets])


def key_encrypt(key: PrivateKey) -> str:
    """Return `key` as an encrypted token (text) to store in the database."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _keyring().encrypt(pem).decode("ascii")


def key_decrypt(token: str) -> PrivateKey:
    """Open a token made by `key_encrypt`; raises `InvalidToken` if no known secret opens it."""
    pem = _keyring().decrypt(token.encode("ascii"))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, PrivateKey):
        raise TypeError(f"Unsupported key type: {type(key).__name__}")
    return key
