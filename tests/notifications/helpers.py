"""Test helpers for notifications: observe pushes, and run an ASGI app as a given user."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from notifications import services
from notifications.models import Notification


@dataclass(frozen=True)
class SentNotification:
    """One push as it left `notifications.services._push_batch`."""

    user_id: int
    kind: str
    payload: dict[str, Any]
    stored_at_push: bool  # whether the row was in the database when it was pushed


@contextmanager
def capture_notifications() -> Iterator[list[SentNotification]]:
    """Record each notification push (after commit) while still pushing it for real."""
    sent: list[SentNotification] = []
    real_push = services._push_batch

    def observe(pushes: list[tuple[int, dict[str, Any]]]) -> None:
        for user_id, payload in pushes:
            stored = Notification.objects.filter(id=payload["id"], user_id=user_id).exists()
            sent.append(SentNotification(user_id, payload["kind"], payload, stored))
        real_push(pushes)

    with mock.patch.object(services, "_push_batch", observe):
        yield sent


def as_user(app: Any, user: Any) -> Any:
    """Wrap an ASGI app so that its scope carries `user` (as AuthMiddleware would set it)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await app({**scope, "user": user}, receive, send)

    return wrapped
