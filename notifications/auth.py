"""Authenticate WebSockets by DRF token, falling back to the Django session."""

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

TOKEN_KEYWORD = b"token"


def token_from_scope(scope: dict[str, Any]) -> str | None:
    """The token key from `Authorization: Token <key>` or, failing that, from `?token=<key>`."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            parts = value.split()
            if len(parts) == 2 and parts[0].lower() == TOKEN_KEYWORD:
                return parts[1].decode("latin-1")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    keys = query.get("token")
    return keys[-1] if keys else None


@database_sync_to_async
def user_for_token(key: str) -> Any:
    """The active user owning token `key`, else AnonymousUser."""
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Set scope["user"] from a DRF token when the socket presents one.

    Without a token the scope is left as is (the session user set by AuthMiddlewareStack, if this
    runs inside it). A token that is presented but unknown or inactive makes the socket anonymous:
    explicit credentials that fail never fall back to the session.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = token_from_scope(scope)
        if key is not None:
            scope = {**scope, "user": await user_for_token(key)}
        return await super().__call__(scope, receive, send)


def TokenAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 (named like AuthMiddlewareStack)
    """Session auth first, then the token (when given) overrides the user."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
