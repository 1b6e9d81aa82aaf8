"""Authenticate notification WebSockets without a long-lived secret in the URL.

In order: a single-use ticket (`?ticket=`, from POST /api/v1/auth/socket-ticket/: worthless once
used or after a minute, so an access log that keeps URLs keeps nothing useful); an API token in
the `Authorization: Token …` header (clients that can set headers); else the Django session
(browsers on our own pages). Credentials that are presented and fail make the socket anonymous
(closed with 4401) instead of falling back to the session. A token in the URL (`?token=`), accepted
by earlier versions, is refused the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from agencies.authentication import key_from_header
from agencies.services import api_token_authenticate, socket_ticket_redeem


def credentials_from_scope(scope: dict[str, Any]) -> tuple[str, str] | None:
    """("ticket" | "token" | "url-token", value) of the credentials the socket presents, if any."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "ticket" in query:
        return "ticket", query["ticket"][-1]
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            key = key_from_header(value)
            if key is not None:
                return "token", key
    if "token" in query:
        return "url-token", ""
    return None


@database_sync_to_async
def user_for(kind: str, value: str) -> Any:
    """The active user the credentials name, else AnonymousUser."""
    if kind == "ticket":
        user = socket_ticket_redeem(key=value)
        return user or AnonymousUser()
    if kind == "token":
        token = api_token_authenticate(key=value)
        return token.user if token is not None else AnonymousUser()
    return AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    """Set scope["user"] from a ticket or a token when the socket presents one."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        credentials = credentials_from_scope(scope)
        if credentials is not None:
            scope = {**scope, "user": await user_for(*credentials)}
        return await super().__call__(scope, receive, send)


def TokenAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 (named like AuthMiddlewareStack)
    """Session auth first, then the ticket or token (when given) overrides the user."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
