"""A served request hands its pushes to the event loop and answers without waiting for them
(notifications.services.pushes_sent_by, set by config.asgi); the loop sends them in order."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.db import transaction
from django.test import override_settings

from config.asgi import application
from notifications.consumers import NotificationConsumer
from notifications.layers import InMemoryChannelLayer
from notifications.services import notify_on_commit, pushes_sent_by, user_group_name

from .helpers import as_user

pytestmark = pytest.mark.django_db(transaction=True)


class StagedLayer(InMemoryChannelLayer):
    """The in-memory layer, with a batch send that can be held back (a slow Redis), slowed down
    or failed by the title of a payload in it; every batch sent is noted."""

    held: ClassVar[asyncio.Event | None] = None
    batches: ClassVar[list[list[str]]] = []

    async def group_send_many(self, groups: Any, message: dict[str, Any]) -> None:
        titles = [p.get("title", p.get("type")) for p in message["payloads"].values()]
        if type(self).held is not None:
            await type(self).held.wait()
        if "Chậm" in titles:
            await asyncio.sleep(0.3)
        if "Hỏng" in titles:
            raise ConnectionError("redis is down")
        type(self).batches.append(titles)
        await super().group_send_many(groups, message)


@pytest.fixture(autouse=True)
def staged_layer():
    StagedLayer.held, StagedLayer.batches = None, []
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": f"{__name__}.StagedLayer"}}):
        yield get_channel_layer()


def notify_in_order(loop: asyncio.AbstractEventLoop, *pushes: tuple[Any, str]) -> None:
    """In one transaction, notify each (user, title) in turn, the pushes handed to `loop`."""
    with pushes_sent_by(loop), transaction.atomic():
        for user, title in pushes:
            notify_on_commit(user_ids=[user.id], kind="task.assigned", title=title)


async def open_socket(user) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    connected, _ = await socket.connect()
    assert connected
    return socket


async def test_a_served_request_answers_before_its_push_is_sent(user, token):
    # given the user's socket open, an unread notice, and a channel layer that holds sends back
    socket = await open_socket(user)
    (notice,) = await sync_to_async(notify_on_commit)(
        user_ids=[user.id], kind="task.assigned", title="Một"
    )
    assert (await socket.receive_json_from(timeout=2))["id"] == notice.id
    StagedLayer.held = asyncio.Event()

    # when the user marks it read through the served app
    body = json.dumps({"ids": [notice.id]}).encode()
    response = await HttpCommunicator(
        application,
        "POST",
        "/api/v1/notifications/read/",
        body=body,
        headers=[
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Token {token}".encode()),
        ],
    ).get_response(timeout=5)

    # then the answer came while the push was still held back
    assert response["status"] == 200
    assert await socket.receive_nothing(timeout=0.2)

    # and once the layer lets it through, the socket gets the read state
    StagedLayer.held.set()
    message = await socket.receive_json_from(timeout=2)
    assert (message["type"], message["ids"], message["unread_count"]) == (
        "notifications.read",
        [notice.id],
        0,
    )
    await socket.disconnect()


async def test_pushes_handed_over_go_out_in_order_even_when_the_first_is_slow(user):
    # given the user's socket open
    socket = await open_socket(user)

    # when one transaction notifies twice, the first push slow to send
    await sync_to_async(notify_in_order)(
        asyncio.get_running_loop(), (user, "Chậm"), (user, "Nhanh")
    )

    # then the socket gets them in the order they were made
    first = await socket.receive_json_from(timeout=2)
    second = await socket.receive_json_from(timeout=2)
    assert (first["title"], second["title"]) == ("Chậm", "Nhanh")
    await socket.disconnect()


async def test_waiting_pushes_for_distinct_users_go_out_as_one_batch(user, other_user):
    # given a send held back
    StagedLayer.held = asyncio.Event()
    loop = asyncio.get_running_loop()
    await sync_to_async(notify_in_order)(loop, (user, "Một"))
    await asyncio.sleep(0.05)

    # when three more are handed over meanwhile, the third to a user already in the batch
    await sync_to_async(notify_in_order)(
        loop, (other_user, "Hai"), (user, "Ba"), (other_user, "Bốn")
    )
    StagedLayer.held.set()
    for _ in range(100):
        if sum(len(b) for b in StagedLayer.batches) == 4:
            break
        await asyncio.sleep(0.01)

    # then the first went alone, the next two together, and the last on its own
    assert StagedLayer.batches == [["Một"], ["Hai", "Ba"], ["Bốn"]]


async def test_a_failed_push_is_logged_and_the_next_one_still_goes(user, caplog):
    # given the user's socket open
    socket = await open_socket(user)

    # when a push fails on the layer, then another is handed over
    with caplog.at_level(logging.ERROR, logger="notifications.services"):
        await sync_to_async(notify_in_order)(
            asyncio.get_running_loop(), (user, "Hỏng"), (user, "Sau")
        )
        message = await socket.receive_json_from(timeout=2)

    # then the failure is logged, and the next push arrives
    assert message["title"] == "Sau"
    assert f"Could not push a notification to user {user.pk}" in caplog.text
    await socket.disconnect()


def test_a_loop_that_no_longer_runs_gets_nothing_and_the_thread_sends_itself(user, staged_layer):
    # given a socket's channel in the user's group, and a loop that has stopped
    channel = async_to_sync(staged_layer.new_channel)()
    async_to_sync(staged_layer.group_add)(user_group_name(user.pk), channel)
    stopped = asyncio.new_event_loop()
    stopped.close()

    # when a notice is committed with its pushes meant for that loop
    notify_in_order(stopped, (user, "Vẫn đến"))

    # then it was sent before the call returned
    assert StagedLayer.batches == [["Vẫn đến"]]
    message = async_to_sync(staged_layer.receive)(channel)
    assert message["payloads"][user_group_name(user.pk)]["title"] == "Vẫn đến"
