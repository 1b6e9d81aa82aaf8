"""A bare WebSocket consumer: token from the Authorization header (or ?token=), join the person's
group, forward pushes."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import AccessToken


def group_of(person_id: int) -> str:
    return f"floor-{person_id}"


@database_sync_to_async
def person_for(key: str) -> int | None:
    return AccessToken.objects.filter(key=key).values_list("person_id", flat=True).first()


class FloorConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        key = (query.get("token") or [""])[-1]
        for name, value in self.scope.get("headers", []):
            if name == b"authorization" and value.lower().startswith(b"token "):
                key = value.split()[-1].decode("latin-1")
        person = await person_for(key)
        if person is None:
            await self.close(code=4401)
            return
        self.group = group_of(person)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def note(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
