"""Who holds the agency's seal key: the one place that chooses, by `settings.SEAL_KEY_BACKEND`.

- "file" (the default): the key is created on first use and stored encrypted in the database
  (`services.credential_for_seal`), and this server signs with it.
- "pkcs11": the key lives in a PKCS#11 token (an HSM, or SoftHSM2 in tests), created there by
  `manage.py seal_key_init` (`signing.pkcs11`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from agencies.models import Unit

from .providers import SignatureProvider

BACKENDS = ("file", "pkcs11")


def seal_key_backend() -> str:
    backend = getattr(settings, "SEAL_KEY_BACKEND", "file") or "file"
    if backend not in BACKENDS:
        raise ImproperlyConfigured(
            f"SEAL_KEY_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}"
        )
    return backend


def seal_provider(*, unit: Unit) -> SignatureProvider:
    """The provider that signs with `unit`'s seal key, from the configured backend.

    Raises `StateError` if the key cannot be used (expired or revoked certificate, token or key
    missing, wrong PIN).
    """
    if seal_key_backend() == "pkcs11":
        from .pkcs11 import pkcs11_seal_provider

        return pkcs11_seal_provider(unit=unit)
    from .services import _provider_for, credential_for_seal

    return _provider_for(credential_for_seal(unit=unit))
