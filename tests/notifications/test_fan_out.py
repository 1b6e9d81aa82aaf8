"""Fan-out: a notice to hundreds of users is pushed in one trip to the event loop, after commit,
and reaches every one of their sockets."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.test import override_settings

from agencies.models import Unit, User
from notifications.models import Notification
from notifications.services import MESSAGE_TYPE, notify_on_commit, user_group_name

pytestmark = pytest.mark.django_db

RECIPIENTS = 300


class LoopRecordingLayer(InMemoryChannelLayer):
    """The in-memory layer, noting on which event loop each group send runs."""

    loops: ClassVar[list[Any]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        type(self).loops.append(asyncio.get_running_loop())
        await super().group_send(group, message)


LAYER = {"default": {"BACKEND": f"{__name__}.LoopRecordingLayer", "CONFIG": {"capacity": 10}}}


def recipients(count: int) -> list[User]:
    unit = Unit.objects.create(code="nhieu", name="Đơn vị nhận nhiều", kind=Unit.Kind.OTHER)
    return User.objects.bulk_create(
        User(username=f"nhan{i}", full_name=f"Người nhận {i}", unit=unit) for i in range(count)
    )


@override_settings(CHANNEL_LAYERS=LAYER)
def test_an_issue_notice_to_300_users_goes_out_in_one_trip_after_commit(
    django_capture_on_commit_callbacks,
):
    # given 300 users, each with an open socket (a channel in their group)
    users = recipients(RECIPIENTS)
    layer = get_channel_layer()

    async def open_sockets() -> dict[int, str]:
        channels = {}
        for user in users:
            channels[user.pk] = await layer.new_channel()
            await layer.group_add(user_group_name(user.pk), channels[user.pk])
        return channels

    channels = async_to_sync(open_sockets)()
    LoopRecordingLayer.loops.clear()

    # when one notice is stored for all of them and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        stored = notify_on_commit(
            user_ids=[u.pk for u in users], kind="plan.issued", title="Văn bản đến"
        )
        assert LoopRecordingLayer.loops == []  # nothing leaves before the commit

    # then the 300 group sends ran in one trip to one event loop...
    assert len(callbacks) == 1
    assert len(LoopRecordingLayer.loops) == RECIPIENTS
    assert len({id(loop) for loop in LoopRecordingLayer.loops}) == 1

    # ...and every socket got its own stored notification
    async def received() -> dict[int, dict[str, Any]]:
        return {pk: await layer.receive(channel) for pk, channel in channels.items()}

    messages = async_to_sync(received)()
    by_user = {n.user_id: n.pk for n in stored}
    assert {pk: m["type"] for pk, m in messages.items()} == dict.fromkeys(by_user, MESSAGE_TYPE)
    assert {pk: m["payload"]["id"] for pk, m in messages.items()} == by_user
    assert Notification.objects.filter(kind="plan.issued").count() == RECIPIENTS
