"""Reads of stored notifications; every read is scoped to one user."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

from agencies.queries import CompiledQuery, Many

from .models import DEFAULT_EMAIL_KINDS, Notification, NotificationPreference

MAX_LIMIT = 500
#: A page of the list when the caller does not ask for another size: the size of every list of
#: the API (agencies.pagination); the bell shows it and loads older pages on request.
DEFAULT_LIMIT = 20


def notification_list(
    *, user: Any, after: int | None = None, before: int | None = None, limit: int = DEFAULT_LIMIT
) -> list[Notification]:
    """Return at most `limit` (1..501: a page of 500 and one to tell whether more follow) of
    `user`'s notifications (index (user, id)).

    With `after` (catch-up): those with id > `after`, oldest first. Without: the newest first,
    below `before` when given.
    """
    limit = max(1, min(limit, MAX_LIMIT + 1))
    queryset = Notification.objects.filter(user_id=user.pk)
    if after is not None:
        return list(queryset.filter(id__gt=after).order_by("id")[:limit])
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    return list(queryset.order_by("-id")[:limit])


#: Unread notices are counted up to this many: the bell shows "99+" beyond 99, and counting a
#: user's 10,000 unread notices made every list, push and catch-up slower as they piled up.
UNREAD_COUNT_CAP = 100


def notification_unread_count(*, user: Any) -> int:
    """How many of `user`'s notifications are still unread, up to UNREAD_COUNT_CAP (which means
    that many or more)."""
    unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).order_by()
    return unread.values("id")[:UNREAD_COUNT_CAP].count()


class _CappedCount(Subquery):
    """COUNT(*) of a correlated subquery's rows, which the subquery limits (LIMIT n)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


@dataclass(frozen=True)
class Recipient:
    """What notifying one person needs: the unread count before, and where e-mails go."""

    unread: int
    email: str
    email_kinds: tuple[str, ...]
    digest: bool

    def wants_email(self, kind: str) -> bool:
        """One e-mail per notice of `kind` now (not in the digest)."""
        return bool(self.email) and not self.digest and kind in self.email_kinds


def notification_recipients_of(*, users: QuerySet[Any]) -> dict[int, Recipient]:
    """{user id: Recipient} for `users`, in one statement; unread counts up to UNREAD_COUNT_CAP."""
    return _recipients(_recipient_rows(users))


def notification_recipients_by_id(*, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """`notification_recipients_of` the users with these ids: one statement compiled once per
    process (every action that notifies asks)."""
    return _recipients(_recipients_by_id().rows(user_ids=list(user_ids)))


def _recipient_rows(users: QuerySet[Any]) -> QuerySet[Any, tuple[Any, ...]]:
    unread = (
        Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("id")[:UNREAD_COUNT_CAP]
    )
    return (
        users.order_by()
        .annotate(unread=_CappedCount(unread))
        .values_list(
            "pk",
            "unread",
            "email",
            "notification_preference__email_kinds",
            "notification_preference__digest",
        )
    )


@functools.cache
def _recipients_by_id() -> CompiledQuery[tuple[Any, ...]]:
    users = get_user_model()
    return CompiledQuery(
        lambda user_ids: _recipient_rows(users.objects.filter(pk__in=user_ids)),
        user_ids=Many(users._meta.pk),
    )


def _recipients(rows: Iterable[tuple[Any, ...]]) -> dict[int, Recipient]:
    return {
        pk: Recipient(
            unread=count,
            email=email or "",
            email_kinds=tuple(DEFAULT_EMAIL_KINDS if kinds is None else kinds),
            digest=bool(digest),
        )
        for pk, count, email, kinds, digest in rows
    }


def notification_preference_of(*, user: Any) -> tuple[list[str], bool]:
    """(kinds sent by e-mail, daily digest or not) of `user`."""
    row = NotificationPreference.objects.filter(user_id=user.pk).first()
    if row is None:
        return [str(k) for k in DEFAULT_EMAIL_KINDS], False
    return list(row.email_kinds), row.digest
