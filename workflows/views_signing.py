"""The signer's page "Thiết bị ký số": their browser keys (devices) and their signature image.

The page is rendered here; what happens in the browser (creating the non-extractable key, proving
possession, keeping it in IndexedDB, revoking, uploading the image) is static/js/signing.js
talking to the signing API (signing.api). Thin edge: check the role, read, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from signing import services as signing


def _api_url(name: str, *args: Any) -> str:
    """The API address `name`, or "" where the API is not mounted (page-only URL confs)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def signing_api_urls() -> dict[str, str]:
    """What signing.js calls; `device_revoke` ends in /0/revoke/, the script puts the id in."""
    return {
        "challenge": _api_url("api-signing-challenge"),
        "devices": _api_url("api-signing-devices"),
        "device_revoke": _api_url("api-signing-device-revoke", 0),
        "signature_image": _api_url("api-signing-signature-image"),
    }


@login_required
@require_GET
def signing_devices(request: HttpRequest) -> HttpResponse:
    """The signer's devices (this browser marked by the script) and signature image.

    signing.js reloads the device list from this page after enrolling or revoking a device.
    """
    signing.ensure_may_enrol(request.user)  # PermissionDenied → the error page
    image = signing.signature_image_get(user=request.user)
    return render(
        request,
        "pages/signing_devices.html",
        {
            "devices": signing.device_list_of(user=request.user),
            "signature_image": image,
            "image_max_bytes": signing.SIGNATURE_IMAGE_MAX_BYTES,
            "api": signing_api_urls(),
        },
    )
