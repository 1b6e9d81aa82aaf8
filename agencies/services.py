"""Absences and stand-ins; credentials of people: API tokens (expiring, revocable, stored hashed), single-use socket
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

from .errors import InvalidInput, NotFound, PermissionDenied, StateError
from .models import Absence, ApiToken, SecurityEvent, SocketTicket, User, is_chairman
from .queries import CompiledQuery
from .selectors import absences_cache_clear
from .validation import clean_comment, parse_id

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


#: The live token with a key's hash, with its user and unit: every API request asks.
_LIVE_TOKEN: CompiledQuery[ApiToken] = CompiledQuery(
    lambda key_sha256, now: (
        ApiToken.objects.select_related("user", "user__unit")
        .filter(key_sha256=key_sha256, revoked_at__isnull=True, expires_at__gt=now)
        .order_by()[:1]
    ),
    key_sha256=ApiToken._meta.get_field("key_sha256"),
    now=ApiToken._meta.get_field("expires_at"),
)


def api_token_authenticate(*, key: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token with `key` (not expired, not revoked, its user active), or None."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 100:
        return None
    now = now or timezone.now()
    token = _LIVE_TOKEN.row(key_sha256=_sha256(key), now=now)
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


# ---------------------------------------------------------------------------------------------
# Absences and stand-ins

#: The longest absence one record covers.
MAX_ABSENCE_DAYS = 366


def _parse_day(value: Any, *, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(
            _("“%(label)s” phải là một ngày dạng YYYY-MM-DD.") % {"label": label},
            code="invalid_date",
        ) from exc


def may_manage_absence_of(actor: User, person: User) -> bool:
    """The person themselves, the head of their unit, or staff set and end their absences."""
    if not actor.is_active:
        return False
    if actor.pk == person.pk or actor.is_staff:
        return True
    return (
        actor.role == User.Role.AGENCY_HEAD
        and actor.unit_id is not None
        and actor.unit_id == person.unit_id
    )


def _overlapping(start: dt.date, end: dt.date) -> Any:
    return Absence.objects.filter(ended_at__isnull=True, start_date__lte=end, end_date__gte=start)


@transaction.atomic
def absence_create(
    *,
    actor: User,
    person_id: Any,
    stand_in_id: Any,
    start_date: Any,
    end_date: Any,
    reason: str,
    today: dt.date | None = None,
) -> Absence:
    """Record that `person` is away from `start_date` to `end_date` (inclusive) and who stands in.

    The stand-in is another active person of the same unit — for the Chủ tịch, a Phó Chủ tịch;
    for a signer, another signer — who is not away then, nor away themselves standing in for
    someone. A person's absences never overlap, and nobody stands in while away. Set by the
    person, the head of their unit or staff. Both people's rows are locked while counting, so
    two overlapping requests cannot both pass. Raises InvalidInput, NotFound, PermissionDenied
    or StateError (an overlap); nothing is written then.
    """
    today = today or timezone.localdate()
    person_pk = parse_id(person_id, label=_("Người vắng mặt"))
    stand_in_pk = parse_id(stand_in_id, label=_("Người thay mặt"))
    start = _parse_day(start_date, label=_("Từ ngày"))
    end = _parse_day(end_date, label=_("Đến ngày"))
    reason = clean_comment(reason, label=_("lý do"), required=True, max_length=255)
    if person_pk == stand_in_pk:
        raise InvalidInput(_("Một người không thể thay mặt chính mình."), code="self_stand_in")
    if end < start:
        raise InvalidInput(_("Ngày kết thúc phải từ ngày bắt đầu trở đi."), code="invalid_range")
    if end < today:
        raise InvalidInput(_("Không ghi nhận vắng mặt đã kết thúc trong quá khứ."), code="in_past")
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        raise InvalidInput(
            _("Một lần vắng mặt dài tối đa %(days)s ngày.") % {"days": MAX_ABSENCE_DAYS},
            code="too_long",
        )
    people = {
        u.pk: u
        for u in User.objects.select_for_update()
        .filter(pk__in=[person_pk, stand_in_pk], is_active=True)
        .order_by("pk")
    }
    person, stand_in = people.get(person_pk), people.get(stand_in_pk)
    if person is None or stand_in is None:
        raise NotFound(_("Không tìm thấy người vắng mặt hoặc người thay mặt."))
    if not may_manage_absence_of(actor, person):
        raise PermissionDenied(
            _(
                "Chỉ người vắng mặt, lãnh đạo đơn vị của họ hoặc quản trị viên mới ghi nhận "
                "được vắng mặt."
            )
        )
    _ensure_may_stand_in(person, stand_in)
    window = _overlapping(start, end)
    if window.filter(person=person).exists():
        raise StateError(
            _("%(name)s đã có lịch vắng mặt trùng với khoảng thời gian này.")
            % {"name": person.display_name},
            code="overlapping_absence",
        )
    if window.filter(person=stand_in).exists():
        raise StateError(
            _("%(name)s cũng vắng mặt trong khoảng thời gian này, không thể thay mặt.")
            % {"name": stand_in.display_name},
            code="stand_in_absent",
        )
    if window.filter(stand_in=person).exists():
        raise StateError(
            _("%(name)s đang được giao thay mặt người khác trong khoảng thời gian này.")
            % {"name": person.display_name},
            code="absent_is_stand_in",
        )
    absence = Absence.objects.create(
        person=person,
        stand_in=stand_in,
        start_date=start,
        end_date=end,
        reason=reason,
        created_by=actor,
    )
    _absences_changed()
    return absence


def _absences_changed() -> None:
    """Forget the cached absences now (this transaction reads its own) and once committed."""
    absences_cache_clear()
    transaction.on_commit(absences_cache_clear)


def _ensure_may_stand_in(person: User, stand_in: User) -> None:
    if is_chairman(person):
        if not (stand_in.role == User.Role.SIGNER and not is_chairman(stand_in)):
            raise InvalidInput(
                _("Người thay mặt Chủ tịch phải là một Phó Chủ tịch."), code="stand_in_not_deputy"
            )
        return
    if person.unit_id is None or stand_in.unit_id != person.unit_id:
        raise InvalidInput(
            _("Người thay mặt phải cùng đơn vị với người vắng mặt."), code="stand_in_other_unit"
        )
    if person.role == User.Role.SIGNER and stand_in.role != User.Role.SIGNER:
        raise InvalidInput(
            _("Người thay mặt một lãnh đạo ký văn bản phải là lãnh đạo có thẩm quyền ký."),
            code="stand_in_cannot_sign",
        )


@transaction.atomic
def absence_end(*, actor: User, absence_id: Any, now: dt.datetime | None = None) -> Absence:
    """End an absence now (the person is back early, or a planned one is called off): from now
    on new tasks go to the person again. Idempotent."""
    absence = (
        Absence.objects.select_for_update()
        .select_related("person", "stand_in")
        .filter(pk=parse_id(absence_id, label=_("Lịch vắng mặt")))
        .first()
    )
    if absence is None or not may_manage_absence_of(actor, absence.person):
        raise NotFound(_("Không tìm thấy lịch vắng mặt này."))
    if absence.ended_at is None:
        absence.ended_at = now or timezone.now()
        absence.ended_by = actor
        absence.save(update_fields=["ended_at", "ended_by"])
        _absences_changed()
    return absence
