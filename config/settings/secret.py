"""The SECRET_KEY: it encrypts the private keys the server holds (signing/keystore.py) and makes
the verification links printed in issued PDFs (documents/verification.py), so it must be secret,
random and stable.

From the environment (SECRET_KEY) when set; otherwise generated once, at random, into
`VAR_DIR/secret_key` (mode 600) and read from there ever after. With DEBUG off the server refuses
to start with an empty key, the old public default, or one too short to be random.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: The default earlier versions shipped: public, so it protects nothing.
PUBLIC_DEFAULT_KEYS = frozenset({"dev-only-insecure-key-change-me-in-production"})
MIN_LENGTH = 32


def secret_key_from_file(var_dir: Path) -> str:
    """The key kept in `var_dir/secret_key`, created at random on first use.

    Created under a temporary name and linked into place, so that several workers starting at
    once all end up reading the same key.
    """
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        temporary = var_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)  # fails if another process got there first: use theirs
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def ensure_secret_key(key: str, *, debug: bool) -> str:
    """`key`, or ImproperlyConfigured when it is not safe to serve with DEBUG off."""
    if debug:
        return key
    if not key:
        raise ImproperlyConfigured("SECRET_KEY is empty: set it, or unset it to generate one.")
    if key in PUBLIC_DEFAULT_KEYS or key.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY is a public default: set a random one (or unset it to generate one "
            "under VAR_DIR). Keep the old value in SECRET_KEY_FALLBACKS until the keys stored "
            "under it have been re-encrypted."
        )
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(f"SECRET_KEY is shorter than {MIN_LENGTH} characters.")
    return key
