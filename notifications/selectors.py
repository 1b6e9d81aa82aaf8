"""Reads of stored notifications; every read is scoped to one user."""

from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Notification

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
