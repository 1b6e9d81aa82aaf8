"""The signer's page "Thiết bị ký số" (browser keys, USB tokens, signature image) and the staff's
page that confirms token certificates whose name is not the person's.

The pages are rendered here; what happens in the browser (creating the non-extractable key,
finding and pairing the signing agent, enrolling a token's certificate, revoking, uploading the
image) is static/js/signing.js talking to the signing API (signing.api) and to the agent on
127.0.0.1. Thin edges: check the role, read or call one service, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from agencies.errors import DomainError
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
        "token_devices": _api_url("api-signing-token-devices"),
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


@login_required
@require_http_methods(["GET", "POST"])
def signing_device_confirmations(request: HttpRequest) -> HttpResponse:
    """Staff: token certificates waiting because their name is not the person's; confirm or
    refuse (revoke) each one."""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            device_id = int(request.POST.get("device_id") or 0)
        except ValueError:
            device_id = 0
        try:
            if action == "confirm":
                device = signing.device_confirm(device_id=device_id, actor=request.user)
                messages.success(
                    request,
                    _("Đã xác nhận chứng thư “%(name)s” của %(person)s.")
                    % {"name": device.subject_name, "person": device.user.display_name},
                )
            elif action == "refuse":
                signing.device_list_pending(actor=request.user)  # staff only, before revoking
                device = signing.device_revoke(device_id=device_id, actor=request.user)
                messages.success(
                    request,
                    _("Đã từ chối (thu hồi) chứng thư “%(name)s” của %(person)s.")
                    % {"name": device.subject_name, "person": device.user.display_name},
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("signing-device-confirmations")
    return render(
        request,
        "pages/signing_confirmations.html",
        {"devices": signing.device_list_pending(actor=request.user)},  # PermissionDenied → page
    )
