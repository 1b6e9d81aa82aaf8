"""DRF authentication by API token: `Authorization: Token <key>` (or `Bearer <key>`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .services import api_token_authenticate

KEYWORDS = (b"token", b"bearer")


def key_from_header(value: bytes) -> str | None:
    """The key of an `Authorization` header value, or None when it is not a token header."""
    parts = value.split()
    if len(parts) != 2 or parts[0].lower() not in KEYWORDS:
        return None
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        return ""


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Expiring, revocable tokens stored hashed (agencies.models.ApiToken)."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        key = key_from_header(header)
        if key is None:
            return None
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("Khóa truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
