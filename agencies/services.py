"""Credentials of people: API tokens (expiring, revocable, stored hashed), single-use socket
tickets, and the security events they leave."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import InvalidInput, NotFound
from .models import ApiToken, SecurityEvent, SocketTicket, User
from .validation import clean_comment

TOKEN_PREFIX = "kh_"
#: How often `last_used_at` is written: not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    username: str = "",
    ip_address: str | None = None,
    data: dict[str, Any] | None = None,
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.username if user else ""))[:150],
        ip_address=ip_address or None,
        data=data or {},
    )


@transaction.atomic
def api_token_create(
    *, user: User, label: str = "", ip_address: str | None = None, now: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for API_TOKEN_TTL_HOURS. Returns the row and the key; the
    key is shown once and never stored."""
    now = now or timezone.now()
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_sha256=_sha256(key),
        prefix=key[:10],
        label=clean_comment(label, label=_("tên gợi nhớ"), max_length=100),
        expires_at=now + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    security_event_record(
        kind=SecurityEvent.Kind.TOKEN_CREATED,
        user=user,
        ip_address=ip_address,
        data={
            "token": token.pk,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, key


def api_token_authenticate(*, key: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token with `key` (not expired, not revoked, its user active), or None."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 100:
        return None
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__unit")
        .filter(key_sha256=_sha256(key), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def api_token_revoke(
    *, user: User, token_id: int, ip_address: str | None = None, now: dt.datetime | None = None
) -> ApiToken:
    """Revoke one of `user`'s own tokens (logout, or a lost device). Idempotent."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("Không tìm thấy khóa truy cập này."))
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN_REVOKED,
            user=user,
            ip_address=ip_address,
            data={"token": token.pk, "prefix": token.prefix},
        )
    return token


def api_token_list(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:100])


def socket_ticket_issue(*, user: User, now: dt.datetime | None = None) -> tuple[SocketTicket, str]:
    """A ticket that opens one WebSocket for `user` within SOCKET_TICKET_TTL_SECONDS."""
    if not user.is_authenticated or not user.is_active:
        raise InvalidInput(_("Cần đăng nhập."))
    now = now or timezone.now()
    key = secrets.token_urlsafe(32)
    ticket = SocketTicket.objects.create(
        user=user,
        key_sha256=_sha256(key),
        expires_at=now + dt.timedelta(seconds=settings.SOCKET_TICKET_TTL_SECONDS),
    )
    # Tickets are worthless once expired: forget those of earlier days as new ones are made.
    SocketTicket.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    return ticket, key


def socket_ticket_redeem(*, key: str, now: dt.datetime | None = None) -> User | None:
    """The user of an unused, unexpired ticket, which is used up now; else None.

    One conditional UPDATE: two sockets presenting the same ticket at once cannot both win.
    """
    if not key or len(key) > 100:
        return None
    now = now or timezone.now()
    digest = _sha256(key)
    used = SocketTicket.objects.filter(
        key_sha256=digest, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if used != 1:
        return None
    ticket = SocketTicket.objects.select_related("user").get(key_sha256=digest)
    return ticket.user if ticket.user.is_active else None
