"""The in-memory layer of the embedded default sweeps expired messages at most once a second."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer as ChannelsInMemoryLayer

from notifications.layers import InMemoryChannelLayer


async def test_a_burst_of_group_sends_sweeps_once(monkeypatch):
    # given 1,000 sockets' channels in their users' groups
    sweeps = []
    original = ChannelsInMemoryLayer._clean_expired
    monkeypatch.setattr(
        ChannelsInMemoryLayer, "_clean_expired", lambda self: sweeps.append(1) or original(self)
    )
    layer = InMemoryChannelLayer(capacity=10)
    channels = [await layer.new_channel() for _ in range(1000)]
    for n, channel in enumerate(channels):
        await layer.group_add(f"user-{n}", channel)

    # when 300 of them get a notice and read it
    for n in range(300):
        await layer.group_send(f"user-{n}", {"type": "t", "n": n})
    received = [await layer.receive(channels[n]) for n in range(300)]

    # then each got its own, and the layer swept its queues and groups once, not 600 times
    assert [m["n"] for m in received] == list(range(300))
    assert len(sweeps) == 1


async def test_expired_messages_are_still_swept():
    # given a message that expires at once, on a layer that sweeps on every call
    layer = InMemoryChannelLayer(expiry=0, clean_interval=0)
    channel = await layer.new_channel()
    await layer.group_add("user-1", channel)
    await layer.send(channel, {"type": "old"})
    await asyncio.sleep(0.01)

    # when the next message is sent to the group
    await layer.group_send("user-1", {"type": "new"})

    # then the expired one is gone, and with it the channel's membership (as channels does)
    assert layer.groups.get("user-1", {}) == {}
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.1)


async def test_one_message_to_many_groups_reaches_each_member_once():
    # given three users' sockets, one of them in two of the groups, and a fourth user's
    layer = InMemoryChannelLayer(capacity=1)
    a, b, c, other = [await layer.new_channel() for _ in range(4)]
    await layer.group_add("user-1", a)
    await layer.group_add("user-2", b)
    await layer.group_add("user-2", a)
    await layer.group_add("user-3", c)
    await layer.group_add("user-4", other)
    await layer.send(c, {"type": "earlier"})  # c's queue is full

    # when one batch goes to users 1, 2 and 3
    batch = {"type": "notification.batch", "payloads": {"user-1": 1, "user-2": 2, "user-3": 3}}
    await layer.group_send_many(["user-1", "user-2", "user-3"], batch)

    # then a and b get it once, c (over capacity) keeps what it had, the other user gets nothing
    assert await layer.receive(a) == batch
    assert await layer.receive(b) == batch
    assert await layer.receive(c) == {"type": "earlier"}
    for channel in (a, other, c):
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 0.05)
