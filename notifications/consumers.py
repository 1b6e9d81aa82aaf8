"""The WebSocket edge: one socket per open page, joined to its user's group; routing only."""

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agencies.validation import MAX_ID

from .selectors import notification_list, notification_unread_count
from .services import user_group_name

logger = logging.getLogger(__name__)

#: Close code for a socket without an authenticated user (the client stops reconnecting).
CLOSE_UNAUTHENTICATED = 4401
#: How many stored notifications one catch-up query reads; catch-up pages until it has them all.
CATCH_UP_PAGE = 200


def parse_after(value: Any) -> int | None:
    """A non-negative notification id from a query-string value or a client message, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_ID:
        return value
    return None


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Send the user's notifications to one socket: missed ones first (catch-up), then live ones.

    Protocol. Server → client: notification payloads (`id`, `kind`, `title`, `body`, `url`,
    `data`, `created_at`, `read`, `unread_count`) and read-state messages
    (`{"type": "notifications.read", "ids": [...] | null, "unread_count": n}`).
    Client → server: `{"type": "catch_up", "after": <id>}`.
    `?after=<id>` on the URL catches up on connect. An anonymous socket is accepted and closed at
    once with code 4401, so that a browser sees the code (a close before accept becomes HTTP 403).
    """

    user: Any = None
    group_name: str | None = None

    #: Pushes: their handlers never touch the database.
    PUSHES = frozenset({"notification.message", "notification.batch"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """A push goes straight to its handler. Channels' dispatch first closes old database
        connections for every message, through the process's one thread for synchronous code:
        a notice to 300 sockets of a worker queued 300 trips there, the first socket got it
        ~40 ms after it reached the worker and the last ~60 ms after (with 1,000 open). The
        other messages (connect, receive, disconnect) still go through channels' dispatch, and
        the database is read only through `database_sync_to_async`, which closes them itself."""
        if message.get("type") in self.PUSHES:
            handler = getattr(self, get_handler_name(message))
            await handler(message)
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        # Ids sent on this socket: live pushes that a catch-up already delivered are skipped.
        self.sent_ids: set[int] = set()
        # Join before reading the catch-up, so that nothing committed in between is lost; live
        # messages wait in the channel until connect() returns, and duplicates are dropped then.
        self.group_name = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        after = parse_after(query.get("after", [None])[-1])
        if after is not None:
            await self.catch_up(after)

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Ignore frames that are not JSON objects instead of failing the socket."""
        if self.user is None or not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content.get("type") == "catch_up":
            after = parse_after(content.get("after"))
            if after is not None:
                await self.catch_up(after)

    async def catch_up(self, after: int) -> None:
        """Send every stored notification of the user with id > `after`, oldest first."""
        while True:
            payloads = await self._load_after(after)
            for payload in payloads:
                if payload["id"] not in self.sent_ids:
                    self.sent_ids.add(payload["id"])
                    await self.send_json(payload)
            if len(payloads) < CATCH_UP_PAGE:
                return
            after = payloads[-1]["id"]

    async def notification_message(self, event: dict[str, Any]) -> None:
        """A push from services._push_batch (via the user's group): forward it unless sent."""
        await self._forward(event["payload"])

    async def notification_batch(self, event: dict[str, Any]) -> None:
        """A batch of pushes for several users (notifications.layers): forward this user's."""
        payload = event["payloads"].get(self.group_name)
        if payload is not None:
            await self._forward(payload)

    async def _forward(self, payload: dict[str, Any]) -> None:
        notification_id = payload.get("id")
        if notification_id is not None:
            if notification_id in self.sent_ids:
                return
            self.sent_ids.add(notification_id)
        await self.send_json(payload)

    @database_sync_to_async
    def _load_after(self, after: int) -> list[dict[str, Any]]:
        notifications = notification_list(user=self.user, after=after, limit=CATCH_UP_PAGE)
        if not notifications:
            return []
        unread_count = notification_unread_count(user=self.user)
        return [{**n.as_payload(), "unread_count": unread_count} for n in notifications]
