"""Reads of stored notifications; every read is scoped to one user."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import DEFAULT_EMAIL_KINDS, Notification, NotificationPreference

MAX_LIMIT = 500


def notification_list(
    *, user: Any, after: int | None = None, before: int | None = None, limit: int = 100
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


def notification_unread_count(*, user: Any) -> int:
    """How many of `user`'s notifications are still unread."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_unread_counts_of(*, users: QuerySet[Any]) -> dict[int, int]:
    """{user id: unread count} for `users`, in one statement (the partial unread index)."""
    unread = (
        Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return dict(
        users.order_by().annotate(unread=Coalesce(Subquery(unread), 0)).values_list("pk", "unread")
    )


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
    """{user id: Recipient} for `users`, in one statement (as notification_unread_counts_of)."""
    unread = (
        Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    rows = (
        users.order_by()
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .values_list(
            "pk",
            "unread",
            "email",
            "notification_preference__email_kinds",
            "notification_preference__digest",
        )
    )
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


def notification_unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts for several users in one query; users with none map to 0."""
    rows = (
        Notification.objects.filter(user_id__in=user_ids, read_at__isnull=True)
        .order_by()
        .values_list("user_id")
        .annotate(unread=Count("id"))
    )
    counts = dict.fromkeys(user_ids, 0)
    counts.update(dict(rows))
    return counts
